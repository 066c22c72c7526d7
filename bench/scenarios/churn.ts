/**
 * Scenario 2, churn: adding and removing subscriptions, TopicTrie vs qlobber.
 *
 * Three shapes: filling an empty index with 100k subscriptions and emptying it again (a
 * restart, a mass reconnect); steady churn at 100k live subscriptions, where each
 * operation ends the oldest subscription and starts a new one (clients coming and going);
 * and matching a hot set while subscriptions change (one add and one remove per 100
 * matches), where the trie's cache must drop only what a change can affect.
 *
 * @module
 */
import { Qlobber } from 'qlobber';
import { TopicTrie } from 'logcaster';
import { compare, type Contender } from '../lib/harness.js';
import type { Scenario } from '../lib/scenario.js';
import { buildQlobber, buildTrie, warm } from '../lib/matchers.js';
import { makeHotStream, makePatterns } from '../lib/topics.js';

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

/** Matches per subscription change in the churn-during-matching group. */
const CHANGE_EVERY = 100;

/**
 * One operation: one match; every CHANGE_EVERY matches the oldest extra pair is removed and a
 * new one added.
 */
function matchWhileChurning(name: string, index: Index & { match(topic: string): unknown[] }, stream: readonly string[], pool: readonly string[]): Contender {
  const live: [string, number][] = [];
  let next = 0;
  for (; next < 100; next++) {
    index.add(pool[next], -next - 1);
    live.push([pool[next], -next - 1]);
  }
  let cursor = 0;
  return {
    name,
    run(ops) {
      let found = 0;
      let i = cursor;
      for (let n = 0; n < ops; n++) {
        found += index.match(stream[i]).length;
        if (++i === stream.length) i = 0;
        if (i % CHANGE_EVERY === 0) {
          const old = live.shift();
          if (old !== undefined) index.remove(old[0], old[1]);
          const id = -++next;
          const pattern = pool[next % pool.length];
          index.add(pattern, id);
          live.push([pattern, id]);
        }
      }
      cursor = i;
      return found;
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

    const hot = makeHotStream(1_000, 100_000, 2003);
    const changes = makePatterns(20_000, 2004);
    const trie = buildTrie(patterns);
    const q = buildQlobber(patterns);
    const ours = matchWhileChurning('logcaster', trie, hot, changes);
    warm(ours, 200_000);
    const during = await compare({
      group: `100k subscriptions, hot set of 1k topics, one add + one remove per ${CHANGE_EVERY} matches`,
      unit: 'matches/s',
      subject: 'logcaster',
      contenders: [ours, matchWhileChurning('qlobber', q, hot, changes)],
    });
    ctx.group(during);
    ctx.target(`hot-set matching with a subscription change per ${CHANGE_EVERY} matches vs qlobber`, during.ratios.qlobber, 'at-least', 5);
  },
};

export default scenario;
