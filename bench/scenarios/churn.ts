/**
 * Scenario 2, churn: adding and removing subscriptions, TopicTrie vs qlobber.
 *
 * Two shapes: filling an empty index with 100k subscriptions and emptying it again (a
 * restart, a mass reconnect), and steady churn at 100k live subscriptions, where each
 * operation ends the oldest subscription and starts a new one (clients coming and going).
 *
 * @module
 */
import { Qlobber } from 'qlobber';
import { TopicTrie } from 'logcaster';
import { compare, type Contender } from '../lib/harness.js';
import type { Scenario } from '../lib/scenario.js';
import { makePatterns } from '../lib/topics.js';

const LIVE = 100_000;

interface Index {
  add(pattern: string, value: number): unknown;
  remove(pattern: string, value: number): unknown;
}

const makeTrie = (): Index => new TopicTrie<number>();
const makeQlobber = (): Index => new Qlobber<number>({ separator: '/', wildcard_one: '*', wildcard_some: '#' });

/** One operation: add `patterns.length` subscriptions to an empty index, then remove them all. */
function fillAndEmpty(name: string, make: () => Index, patterns: readonly string[]): Contender {
  return {
    name,
    run(ops) {
      for (let n = 0; n < ops; n++) {
        const index = make();
        for (let i = 0; i < patterns.length; i++) index.add(patterns[i], i);
        for (let i = 0; i < patterns.length; i++) index.remove(patterns[i], i);
      }
      return ops;
    },
  };
}

/** One operation: remove the oldest live subscription and add a new one. */
function steadyChurn(name: string, make: () => Index, pool: readonly string[]): Contender {
  const index = make();
  for (let i = 0; i < LIVE; i++) index.add(pool[i], i);
  let oldest = 0;
  return {
    name,
    run(ops) {
      let o = oldest;
      for (let n = 0; n < ops; n++) {
        index.remove(pool[o % pool.length], o);
        const fresh = o + LIVE;
        index.add(pool[fresh % pool.length], fresh);
        o++;
      }
      oldest = o;
      return ops;
    },
  };
}

const scenario: Scenario = {
  name: 'churn',
  title: 'Subscription churn: TopicTrie add/remove vs qlobber',
  async run(ctx) {
    const patterns = makePatterns(LIVE, 2001);
    ctx.group(
      await compare({
        group: 'add 100k subscriptions to an empty index, then remove them all',
        unit: 'adds+removes/s',
        subject: 'logcaster',
        unitsPerOp: 2 * LIVE,
        maxBatch: 1,
        minSamples: 2,
        contenders: [fillAndEmpty('logcaster', makeTrie, patterns), fillAndEmpty('qlobber', makeQlobber, patterns)],
      }),
    );
    const pool = makePatterns(2 * LIVE, 2002);
    const steady = await compare({
      group: 'steady churn at 100k live subscriptions (remove the oldest, add one)',
      unit: 'adds+removes/s',
      subject: 'logcaster',
      unitsPerOp: 2,
      contenders: [steadyChurn('logcaster', makeTrie, pool), steadyChurn('qlobber', makeQlobber, pool)],
    });
    ctx.group(steady);
  },
};

export default scenario;
