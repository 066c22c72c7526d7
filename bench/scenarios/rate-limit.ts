/**
 * Scenario 4, rate limit: `TokenBucket.tryRemove` against limiter's
 * `TokenBucket.tryRemoveTokens`, and the keyed `RateLimiter.consume` against a map of
 * limiter `RateLimiter`s (limiter has no keyed limiter; `tryRemoveTokens` is its synchronous
 * check).
 *
 * Two regimes for the bucket: allowed (the refill outpaces the calls, every call passes) and
 * throttled (the bucket is empty and refills slowly, almost every call is refused). Both
 * libraries read the clock on every call, as they must; `performance.now()` alone is measured
 * beside them as the floor.
 *
 * @module
 */
import { RateLimiter as LimiterRateLimiter, TokenBucket as LimiterTokenBucket } from 'limiter';
import { RateLimiter, TokenBucket } from 'logcaster';
import { compare, type Contender } from '../lib/harness.js';
import { Random, Zipf } from '../lib/random.js';
import type { Scenario } from '../lib/scenario.js';

const KEYS = 1_000;

// Each contender gets its own loop (not one shared helper taking a callback): a shared loop
// would make its call site polymorphic and decide for the engine what gets inlined.

function oursBucket(bucket: TokenBucket): Contender {
  return {
    name: 'logcaster',
    run(ops) {
      let allowed = 0;
      for (let n = 0; n < ops; n++) if (bucket.consume()) allowed++;
      return allowed;
    },
  };
}

function limiterBucket(bucket: LimiterTokenBucket): Contender {
  return {
    name: 'limiter',
    run(ops) {
      let allowed = 0;
      for (let n = 0; n < ops; n++) if (bucket.tryRemoveTokens(1)) allowed++;
      return allowed;
    },
  };
}

/** The floor: one clock read per call, which any token bucket needs to refill lazily. */
function clockAlone(): Contender {
  return {
    name: 'performance.now() alone',
    run(ops) {
      let sum = 0;
      for (let n = 0; n < ops; n++) sum += performance.now();
      return sum > 0 ? ops : 0;
    },
  };
}

function oursKeyed(limiter: RateLimiter, keys: readonly string[]): Contender {
  let cursor = 0;
  return {
    name: 'logcaster',
    run(ops) {
      let allowed = 0;
      let i = cursor;
      for (let n = 0; n < ops; n++) {
        if (limiter.consume(keys[i]).allowed) allowed++;
        if (++i === keys.length) i = 0;
      }
      cursor = i;
      return allowed;
    },
  };
}

function limiterKeyed(keys: readonly string[]): Contender {
  const perKey = new Map<string, LimiterRateLimiter>();
  let cursor = 0;
  return {
    name: 'limiter (Map of RateLimiter)',
    run(ops) {
      let allowed = 0;
      let i = cursor;
      for (let n = 0; n < ops; n++) {
        const key = keys[i];
        let entry = perKey.get(key);
        if (entry === undefined) {
          entry = new LimiterRateLimiter({ tokensPerInterval: 50, interval: 'second' });
          perKey.set(key, entry);
        }
        if (entry.tryRemoveTokens(1)) allowed++;
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
      contenders: [oursBucket(ours), limiterBucket(theirs), clockAlone()],
    });
    ctx.group(allowed);

    // Throttled: 100 tokens a second against millions of calls.
    const oursEmpty = new TokenBucket({ capacity: 100, refillPerSecond: 100, initialTokens: 0 });
    const theirsEmpty = new LimiterTokenBucket({ bucketSize: 100, tokensPerInterval: 100, interval: 'second' });
    const throttled = await compare({
      group: 'TokenBucket, bucket empty (almost every call refused)',
      unit: 'calls/s',
      subject: 'logcaster',
      contenders: [oursBucket(oursEmpty), limiterBucket(theirsEmpty)],
    });
    ctx.group(throttled);
    ctx.target('TokenBucket.tryRemove vs limiter (every call allowed)', allowed.ratios.limiter, 'at-least', 1.5);
    ctx.target('TokenBucket.tryRemove vs limiter (bucket empty, refused)', throttled.ratios.limiter, 'at-least', 1.5);

    // Keyed: 1,000 clients with a Zipf-like skew (a few chatty ones), 50 tokens/s each.
    const random = new Random(4001);
    const zipf = new Zipf(random, KEYS, 1);
    const keys = Array.from({ length: 50_000 }, () => `client-${zipf.next()}`);
    const limiter = new RateLimiter({ capacity: 100, refillPerSecond: 50, initialTokens: 100, maxKeys: 10_000 });
    const keyed = await compare({
      group: `keyed limit, ${KEYS.toLocaleString('en-US')} keys with Zipf skew`,
      unit: 'calls/s',
      subject: 'logcaster',
      contenders: [oursKeyed(limiter, keys), limiterKeyed(keys)],
    });
    ctx.group(keyed);
  },
};

export default scenario;
