/**
 * Scenario 1, match: `TopicTrie.match` against qlobber (the matcher inside mqemitter and
 * Aedes) at 10k and 100k subscriptions, plus heap bytes per subscription.
 *
 * Two publish streams: a realistic one (1,000 distinct topics drawn with a Zipf-like skew, as a
 * log stream repeats its hot topics) and an all-distinct one where every match misses the
 * trie's cache, so the cache's help and its cost are both visible.
 *
 * @module
 */
import { Qlobber } from 'qlobber';
import { TopicTrie } from 'logcaster';
import { compare, record, type Contender } from '../lib/harness.js';
import { retainedBytes } from '../lib/heap.js';
import type { Scenario } from '../lib/scenario.js';
import { makeDistinctTopics, makePatterns, makeSkewedStream } from '../lib/topics.js';

const SIZES = [10_000, 100_000];

function buildTrie(patterns: readonly string[], cacheSize?: number): TopicTrie<number> {
  const trie = new TopicTrie<number>(cacheSize === undefined ? {} : { cacheSize });
  for (let i = 0; i < patterns.length; i++) trie.add(patterns[i], i);
  return trie;
}

function buildQlobber(patterns: readonly string[]): Qlobber<number> {
  const q = new Qlobber<number>({ separator: '/', wildcard_one: '*', wildcard_some: '#' });
  for (let i = 0; i < patterns.length; i++) q.add(patterns[i], i);
  return q;
}

// One loop per library (not a helper taking a callback), so each call site stays monomorphic.

/** Matches the topics of `stream` in turn with a TopicTrie. */
function trieMatcher(name: string, trie: TopicTrie<number>, stream: readonly string[]): Contender {
  let cursor = 0;
  return {
    name,
    run(ops) {
      let found = 0;
      let i = cursor;
      for (let n = 0; n < ops; n++) {
        found += trie.match(stream[i]).length;
        if (++i === stream.length) i = 0;
      }
      cursor = i;
      return found;
    },
  };
}

/** Matches the topics of `stream` in turn with qlobber. */
function qlobberMatcher(q: Qlobber<number>, stream: readonly string[]): Contender {
  let cursor = 0;
  return {
    name: 'qlobber',
    run(ops) {
      let found = 0;
      let i = cursor;
      for (let n = 0; n < ops; n++) {
        found += q.match(stream[i]).length;
        if (++i === stream.length) i = 0;
      }
      cursor = i;
      return found;
    },
  };
}

function checkSame(trie: TopicTrie<number>, q: Qlobber<number>, topics: readonly string[]): void {
  for (let i = 0; i < topics.length; i += 97) {
    const a = trie.match(topics[i]).sort((x, y) => x - y).join(',');
    const b = q.match(topics[i]).sort((x, y) => x - y).join(',');
    if (a !== b) throw new Error(`TopicTrie and qlobber disagree on ${topics[i]}: [${a}] vs [${b}]`);
  }
}

const scenario: Scenario = {
  name: 'match',
  title: 'Topic matching: TopicTrie.match vs qlobber',
  async run(ctx) {
    const skewed = makeSkewedStream(1_000, 20_000, 11);
    const distinct = makeDistinctTopics(50_000, 12);
    for (const size of SIZES) {
      const label = size >= 1000 ? `${size / 1000}k` : String(size);
      const patterns = makePatterns(size, 1000 + size);
      // Heap first, on fresh structures; the same structures are then benchmarked.
      const trieHeap = retainedBytes(() => buildTrie(patterns));
      const qHeap = retainedBytes(() => buildQlobber(patterns));
      const trie = trieHeap.value;
      const q = qHeap.value;
      const heap = record(`${label} subscriptions: heap per subscription`, 'bytes', false, 'logcaster', [
        { name: 'logcaster', value: trieHeap.bytes / size },
        { name: 'qlobber', value: qHeap.bytes / size },
      ]);
      ctx.group(heap);
      checkSame(trie, q, skewed);
      checkSame(trie, q, distinct);
      let perTopic = 0;
      for (let i = 0; i < 1000; i++) perTopic += q.match(skewed[i]).length;
      ctx.note(`${label} subscriptions: ${trie.nodeCount} trie nodes; ${(perTopic / 1000).toFixed(1)} matches per published topic on average`);

      const skewedResult = await compare({
        group: `${label} subscriptions, 1,000 topics with Zipf skew`,
        unit: 'matches/s',
        subject: 'logcaster',
        contenders: [trieMatcher('logcaster', trie, skewed), qlobberMatcher(q, skewed)],
      });
      ctx.group(skewedResult);

      const uncached = buildTrie(patterns, 0);
      const distinctResult = await compare({
        group: `${label} subscriptions, all-distinct topics (every match misses the cache)`,
        unit: 'matches/s',
        subject: 'logcaster',
        contenders: [
          trieMatcher('logcaster', trie, distinct),
          trieMatcher('logcaster cacheSize 0', uncached, distinct),
          qlobberMatcher(q, distinct),
        ],
      });
      ctx.group(distinctResult);

      if (size === 100_000) {
        ctx.target('match at 100k subscriptions (skewed topics) vs qlobber', skewedResult.ratios.qlobber, 'at-least', 2);
        ctx.target('heap per subscription at 100k vs qlobber', heap.ratios.qlobber, 'at-most', 1);
      }
    }
  },
};

export default scenario;
