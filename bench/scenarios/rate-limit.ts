/**
 * Scenario 4, rate limit: `TokenBucket.tryRemove` against limiter's
 * `TokenBucket.tryRemoveTokens`, and the keyed `RateLimiter.consume` against a map of
 * limiter `RateLimiter`s (limiter has no keyed limiter; `tryRemoveTokens` is its synchronous
 * check).
 *
 * Two regimes for the bucket: allowed (the refill outpaces the calls, every call passes) and
 * throttled (the bucket is empty and refills slowly, almost every call is refused). Both
 * libraries read the clock on every call, as they must.
 *
 * @module
 */
import { RateLimiter as LimiterRateLimiter, TokenBucket as LimiterTokenBucket } from 'limiter';
import { RateLimiter, TokenBucket } from 'logcaster';
import { compare, type Contender } from '../lib/harness.js';
import { Random, Zipf } from '../lib/random.js';
import type { Scenario } from '../lib/scenario.js';

const KEYS = 1_000;

function bucketContender(name: string, tryRemove: () => boolean): Contender {
  return {
    name,
    run(ops) {
      let allowed = 0;
      for (let n = 0; n < ops; n++) if (tryRemove()) allowed++;
      return allowed;
    },
  };
}

function keyedContender(name: string, keys: readonly string[], consume: (key: string) => boolean): Contender {
  let cursor = 0;
  return {
    name,
    run(ops) {
      let allowed = 0;
      let i = cursor;
      for (let n = 0; n < ops; n++) {
        if (consume(keys[i])) allowed++;
        if (++i === keys.length) i = 0;
      }
      cursor = i;
      return allowed;
    },
  };
}

const scenario: Scenario = {
  name: 'rate-limit',
  title: 'Rate limiting: TokenBucket and RateLimiter vs limiter',
  async run(ctx) {
    // Allowed: a billion tokens a second, so the bucket never runs dry.
    const ours = new TokenBucket({ capacity: 1_000_000, refillPerSecond: 1e9 });
    const theirs = new LimiterTokenBucket({ bucketSize: 1_000_000, tokensPerInterval: 1e9, interval: 'second' });
    const allowed = await compare({
      group: 'TokenBucket, every call allowed',
      unit: 'calls/s',
      subject: 'logcaster',
      contenders: [
        bucketContender('logcaster', () => ours.tryRemove()),
        bucketContender('limiter', () => theirs.tryRemoveTokens(1)),
      ],
    });
    ctx.group(allowed);

    // Throttled: 100 tokens a second against millions of calls.
    const oursEmpty = new TokenBucket({ capacity: 100, refillPerSecond: 100, initialTokens: 0 });
    const theirsEmpty = new LimiterTokenBucket({ bucketSize: 100, tokensPerInterval: 100, interval: 'second' });
    const throttled = await compare({
      group: 'TokenBucket, bucket empty (almost every call refused)',
      unit: 'calls/s',
      subject: 'logcaster',
      contenders: [
        bucketContender('logcaster', () => oursEmpty.tryRemove()),
        bucketContender('limiter', () => theirsEmpty.tryRemoveTokens(1)),
      ],
    });
    ctx.group(throttled);
    ctx.target('TokenBucket.tryRemove vs limiter (every call allowed)', allowed.ratios.limiter, 'at-least', 1.5);

    // Keyed: 1,000 clients with a Zipf-like skew (a few chatty ones), 50 tokens/s each.
    const random = new Random(4001);
    const zipf = new Zipf(random, KEYS, 1);
    const keys = Array.from({ length: 50_000 }, () => `client-${zipf.next()}`);
    const limiter = new RateLimiter({ capacity: 100, refillPerSecond: 50, initialTokens: 100, maxKeys: 10_000 });
    const perKey = new Map<string, LimiterRateLimiter>();
    const keyed = await compare({
      group: `keyed limit, ${KEYS.toLocaleString('en-US')} keys with Zipf skew`,
      unit: 'calls/s',
      subject: 'logcaster',
      contenders: [
        keyedContender('logcaster', keys, (key) => limiter.consume(key).allowed),
        keyedContender('limiter (Map of RateLimiter)', keys, (key) => {
          let entry = perKey.get(key);
          if (entry === undefined) {
            entry = new LimiterRateLimiter({ tokensPerInterval: 50, interval: 'second' });
            perKey.set(key, entry);
          }
          return entry.tryRemoveTokens(1);
        }),
      ],
    });
    ctx.group(keyed);
  },
};

export default scenario;
