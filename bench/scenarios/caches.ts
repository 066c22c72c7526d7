/**
 * Scenario: the bounded map under every cache of the library, against lru-cache (the
 * well-kept package a reader would reach for) and against a `Map` evicting its first key
 * (what the broker did before: `Map.keys().next()` walks the holes deletions leave).
 *
 * The workload is a cache's: get, and on a miss set (evicting when full), over topic strings
 * drawn from a hot set either smaller than the cache (mostly hits) or larger (mostly misses
 * and evictions).
 *
 * @module
 */
import { LRUCache } from 'lru-cache';
import { BoundedMap } from '../../src/internal/bounded-map.js';
import { compare, type Contender } from '../lib/harness.js';
import type { Scenario } from '../lib/scenario.js';
import { makeHotStream } from '../lib/topics.js';

const CAPACITY = 4_096;

function ours(stream: readonly string[]): Contender {
  const map = new BoundedMap<string, number>(CAPACITY);
  let cursor = 0;
  return {
    name: 'logcaster BoundedMap',
    run(ops) {
      let hits = 0;
      let i = cursor;
      for (let n = 0; n < ops; n++) {
        const key = stream[i];
        if (map.get(key) === undefined) map.set(key, n);
        else hits++;
        if (++i === stream.length) i = 0;
      }
      cursor = i;
      return hits;
    },
  };
}

function lru(stream: readonly string[]): Contender {
  const map = new LRUCache<string, number>({ max: CAPACITY });
  let cursor = 0;
  return {
    name: 'lru-cache',
    run(ops) {
      let hits = 0;
      let i = cursor;
      for (let n = 0; n < ops; n++) {
        const key = stream[i];
        if (map.get(key) === undefined) map.set(key, n);
        else hits++;
        if (++i === stream.length) i = 0;
      }
      cursor = i;
      return hits;
    },
  };
}

function fifoMap(stream: readonly string[]): Contender {
  const map = new Map<string, number>();
  let cursor = 0;
  return {
    name: 'Map, evict first key',
    run(ops) {
      let hits = 0;
      let i = cursor;
      for (let n = 0; n < ops; n++) {
        const key = stream[i];
        if (map.get(key) === undefined) {
          if (map.size >= CAPACITY) {
            const oldest = map.keys().next();
            if (oldest.done !== true) map.delete(oldest.value);
          }
          map.set(key, n);
        } else {
          hits++;
        }
        if (++i === stream.length) i = 0;
      }
      cursor = i;
      return hits;
    },
  };
}

const scenario: Scenario = {
  name: 'caches',
  title: 'Bounded map: BoundedMap vs lru-cache and a first-key-evicting Map',
  async run(ctx) {
    for (const hot of [2_000, 40_000]) {
      const stream = makeHotStream(hot, 200_000, 600 + hot);
      const result = await compare({
        group: `capacity ${CAPACITY.toLocaleString('en-US')}, hot set of ${hot.toLocaleString('en-US')} topics (get, set on a miss)`,
        unit: 'lookups/s',
        subject: 'logcaster BoundedMap',
        contenders: [ours(stream), lru(stream), fifoMap(stream)],
      });
      ctx.group(result);
    }
  },
};

export default scenario;
