/**
 * Scenario: routing through `PubSubBroker.publish` when topics carry an id (a request, a
 * user, a job), so no topic repeats and no subscriber matches; and on a hot set while
 * subscriptions come and go. The broker adds routing, snapshots and isolation on top of
 * matching, yet should not be slower than qlobber's `match` alone, and its cache must cost
 * nothing when topics do not repeat (against the same broker with `cacheSize: 0`).
 *
 * @module
 */
import type { Qlobber } from 'qlobber';
import { PubSubBroker } from 'logcaster';
import { compare, type Contender } from '../lib/harness.js';
import { buildQlobber, qlobberMatcher, warm } from '../lib/matchers.js';
import type { Scenario } from '../lib/scenario.js';
import { flat, makeHotStream, makePatterns, makeUniqueStream } from '../lib/topics.js';

const SIZES = [10_000, 100_000];
/** One subscription change per this many publishes in the churn groups. */
const CHANGE_EVERY = 100;

/**
 * The same broker with and without its cache, subscribed in turn (one pattern into each) so
 * their tries interleave in memory: built one after the other, the second comes out faster
 * whichever it is (see `buildTriePair`), which would swamp the cost of the cache itself.
 */
function buildBrokerPair(patterns: readonly string[]): { cached: PubSubBroker<number>; uncached: PubSubBroker<number> } {
  const cached = new PubSubBroker<number>();
  const uncached = new PubSubBroker<number>({ cacheSize: 0 });
  const counter = { hits: 0 };
  const handler = (n: number): void => {
    counter.hits += n;
  };
  for (let i = 0; i < patterns.length; i++) {
    cached.subscribe(patterns[i], handler);
    uncached.subscribe(patterns[i], handler);
  }
  return { cached, uncached };
}

function publisher(name: string, broker: PubSubBroker<number>, stream: readonly string[]): Contender {
  let cursor = 0;
  return {
    name,
    run(ops) {
      let delivered = 0;
      let i = cursor;
      for (let n = 0; n < ops; n++) {
        delivered += broker.publish(stream[i], 1);
        if (++i === stream.length) i = 0;
      }
      cursor = i;
      return delivered + ops;
    },
  };
}

/** Publishes, and every CHANGE_EVERY publishes ends the oldest extra subscription and starts one. */
function churningPublisher(broker: PubSubBroker<number>, stream: readonly string[], pool: readonly string[]): Contender {
  const live: { unsubscribe(): void }[] = [];
  let next = 0;
  const handler = (): void => undefined;
  for (; next < 100; next++) live.push(broker.subscribe(pool[next % pool.length], handler));
  let cursor = 0;
  return {
    name: 'logcaster',
    run(ops) {
      let delivered = 0;
      let i = cursor;
      for (let n = 0; n < ops; n++) {
        delivered += broker.publish(stream[i], 1);
        if (++i === stream.length) i = 0;
        if (i % CHANGE_EVERY === 0) {
          live.shift()?.unsubscribe();
          live.push(broker.subscribe(pool[next++ % pool.length], handler));
        }
      }
      cursor = i;
      return delivered + ops;
    },
  };
}

/** qlobber's side of the churn group: match, and the same add/remove schedule. */
function churningMatcher(q: Qlobber<number>, stream: readonly string[], pool: readonly string[]): Contender {
  const live: [string, number][] = [];
  let next = 0;
  for (; next < 100; next++) {
    q.add(pool[next % pool.length], -next - 1);
    live.push([pool[next % pool.length], -next - 1]);
  }
  let cursor = 0;
  return {
    name: 'qlobber.match',
    run(ops) {
      let found = 0;
      let i = cursor;
      for (let n = 0; n < ops; n++) {
        found += q.match(stream[i]).length;
        if (++i === stream.length) i = 0;
        if (i % CHANGE_EVERY === 0) {
          const old = live.shift();
          if (old !== undefined) q.remove(old[0], old[1]);
          const id = -++next;
          q.add(pool[next % pool.length], id);
          live.push([pool[next % pool.length], id]);
        }
      }
      cursor = i;
      return found + ops;
    },
  };
}

const scenario: Scenario = {
  name: 'routing',
  title: 'Routing: PubSubBroker.publish vs qlobber.match, unique topics and churn',
  async run(ctx) {
    // Topics with an id in two levels (`logs/<service>-x<id>/<level>/<component>-r<id>`): the
    // walk goes down the `*` branches of real patterns, and nothing matches (checked below).
    const unique = flat(
      makeUniqueStream(1_000_003, 51).map((topic, i) => {
        const [root, service, level, component] = topic.split('/');
        return `${root}/${service}-x${i}/${level}/${component}-r${i}`;
      }),
    );
    const hot = makeHotStream(1_000, 100_000, 52);
    const pool = makePatterns(20_000, 53);
    for (const size of SIZES) {
      const n = `${size / 1000}k`;
      const patterns = makePatterns(size, 1000 + size);
      const q = buildQlobber(patterns);
      for (let i = 0; i < unique.length; i += 1009) {
        if (q.match(unique[i]).length > 0) throw new Error(`${unique[i]} matches a subscription`);
      }
      const { cached: broker, uncached } = buildBrokerPair(patterns);
      const ours = publisher('logcaster', broker, unique);
      warm(ours, 400_000);
      warm(publisher('warm', uncached, unique), 400_000);
      const result = await compare({
        group: `${n} subscriptions, publish on topics that never repeat, no subscriber matches`,
        unit: 'publishes/s',
        subject: 'logcaster',
        contenders: [ours, publisher('logcaster cacheSize 0', uncached, unique), qlobberMatcher(q, unique, 'qlobber.match')],
      });
      ctx.group(result);
      ctx.target(`publish with unique topics at ${n} vs qlobber.match`, result.ratios['qlobber.match'], 'at-least', 1);
      ctx.target(`publish with unique topics at ${n}: cache vs cacheSize 0`, result.ratios['logcaster cacheSize 0'], 'at-least', 0.97);

      const churn = churningPublisher(broker, hot, pool);
      warm(churn, 200_000);
      const churnResult = await compare({
        group: `${n} subscriptions, hot set of 1k topics, one subscribe + unsubscribe per ${CHANGE_EVERY} publishes`,
        unit: 'publishes/s',
        subject: 'logcaster',
        contenders: [churn, churningMatcher(q, hot, pool)],
      });
      ctx.group(churnResult);
      broker.close();
      uncached.close();
    }
  },
};

export default scenario;
