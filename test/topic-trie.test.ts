import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TopicError, TopicTrie } from '../src/index.js';
import { referenceMatches } from './helpers/reference-matcher.js';

const sorted = <V>(values: V[]): V[] => [...values].sort();

describe('TopicTrie semantics', () => {
  const cases: [pattern: string, topic: string, expected: boolean][] = [
    ['a/b', 'a/b', true],
    ['a/b', 'a/b/c', false],
    ['a/b', 'a', false],
    ['a/*', 'a/b', true],
    ['a/*', 'a/', true], // '*' matches one empty level
    ['a/*', 'a', false],
    ['a/*', 'a/b/c', false],
    ['*/b', '/b', true],
    ['a/#', 'a', true], // '#' matches zero levels
    ['a/#', 'a/b', true],
    ['a/#', 'a/b/c', true],
    ['a/#', 'ab', false],
    ['#', 'a', true],
    ['#', 'a/b/c', true],
    ['#', '/', true],
    ['a//b', 'a//b', true],
    ['a/*/b', 'a//b', true],
    ['/a', '/a', true],
    ['a/', 'a/', true],
    ['a/', 'a', false],
    ['*/*', 'a/b', true],
    ['*/*', 'a', false],
    ['*/#', 'a', true],
    ['a/*/#', 'a/b', true],
    ['a/*/#', 'a', false],
    // MQTT: a leading wildcard does not reach $-topics.
    ['#', '$sys/uptime', false],
    ['*/uptime', '$sys/uptime', false],
    ['$sys/#', '$sys/uptime', true],
    ['$sys/*', '$sys/uptime', true],
    ['a/#', 'a/$b', true],
    ['a/*', 'a/$b', true],
  ];

  for (const [pattern, topic, expected] of cases) {
    it(`${expected ? 'matches' : 'does not match'} topic ${JSON.stringify(topic)} with pattern ${JSON.stringify(pattern)}`, () => {
      const trie = new TopicTrie<string>();
      trie.add(pattern, 'v');
      expect(trie.match(topic)).toEqual(expected ? ['v'] : []);
      expect(trie.hasMatch(topic)).toBe(expected);
      expect(referenceMatches(pattern, topic)).toBe(expected);
    });
  }

  it('returns each matching pair once, even when several patterns match', () => {
    const trie = new TopicTrie<string>();
    trie.add('logs/#', 'all');
    trie.add('logs/*/ERROR', 'errors');
    trie.add('logs/api/ERROR', 'api-errors');
    trie.add('logs/api/ERROR', 'api-errors'); // the same pair twice is stored once
    trie.add('logs/*/INFO', 'info');
    expect(sorted(trie.match('logs/api/ERROR'))).toEqual(['all', 'api-errors', 'errors']);
    expect(trie.size).toBe(4);
  });

  it('keeps the same value under different patterns as separate pairs', () => {
    const trie = new TopicTrie<string>();
    trie.add('a/#', 'x');
    trie.add('a/*', 'x');
    expect(trie.match('a/b')).toEqual(['x', 'x']);
  });

  it('supports custom tokens through the syntax option', () => {
    const trie = new TopicTrie<number>({ syntax: { singleLevelWildcard: '+', multiLevelWildcard: '#', separator: '.' } });
    trie.add('a.+.c', 1);
    trie.add('a.#', 2);
    expect(sorted(trie.match('a.b.c'))).toEqual([1, 2]);
    // '*' is only text with this syntax, once the user says so
    expect(() => trie.add('a.*', 3)).toThrowError(expect.objectContaining({ reason: 'FOREIGN_WILDCARD' }));
    const lenient = new TopicTrie<number>({ syntax: { separator: '.', singleLevelWildcard: '+', allowForeignWildcards: true } });
    lenient.add('a.*', 3);
    lenient.add('a.#', 2);
    expect(sorted(lenient.match('a.*'))).toEqual([2, 3]);
  });
});

describe('TopicTrie validation', () => {
  const badPatterns: [pattern: string, code: string][] = [
    ['a/b*', 'WILDCARD_NOT_WHOLE_LEVEL'],
    ['a/x#', 'WILDCARD_NOT_WHOLE_LEVEL'],
    ['*a', 'WILDCARD_NOT_WHOLE_LEVEL'],
    ['a/#/b', 'MULTI_WILDCARD_NOT_LAST'],
    ['#/#', 'MULTI_WILDCARD_NOT_LAST'],
    ['', 'EMPTY'],
  ];
  for (const [pattern, code] of badPatterns) {
    it(`rejects pattern ${JSON.stringify(pattern)} with TopicError ${code} and changes nothing`, () => {
      const trie = new TopicTrie<number>();
      trie.add('keep/me', 1);
      let caught: unknown;
      try {
        trie.add(pattern, 2);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(TopicError);
      expect((caught as TopicError).code).toBe('ERR_INVALID_TOPIC');
      expect((caught as TopicError).reason).toBe(code);
      expect((caught as TopicError).topic).toBe(pattern);
      expect(trie.size).toBe(1);
      expect(trie.nodeCount).toBe(3);
    });
  }

  it('rejects published topics that contain wildcards', () => {
    const trie = new TopicTrie<number>();
    expect(() => trie.match('a/*')).toThrowError(expect.objectContaining({ reason: 'WILDCARD_IN_TOPIC' }));
    expect(() => trie.match('a/#')).toThrowError(expect.objectContaining({ reason: 'WILDCARD_IN_TOPIC' }));
    expect(() => trie.hasMatch('a/b#')).toThrowError(TopicError);
  });

  it('enforces the configurable level and length limits', () => {
    const trie = new TopicTrie<number>({ maxLevels: 3, maxLength: 10 });
    expect(() => trie.add('a/b/c/d', 1)).toThrowError(expect.objectContaining({ reason: 'TOO_MANY_LEVELS' }));
    expect(() => trie.match('abcdefghijk')).toThrowError(expect.objectContaining({ reason: 'TOO_LONG' }));
    expect(trie.add('a/b/c', 1)).toBe(true);
  });

  it('rejects a non-string topic with a TopicError instead of crashing', () => {
    const trie = new TopicTrie<number>();
    expect(() => trie.match(42 as unknown as string)).toThrowError(expect.objectContaining({ reason: 'NOT_A_STRING' }));
  });

  it('rejects bad options with a RangeError naming the value', () => {
    expect(() => new TopicTrie({ maxLevels: 0 })).toThrowError(/maxLevels.*got 0/);
    expect(() => new TopicTrie({ syntax: { separator: '' } })).toThrowError(RangeError);
    expect(() => new TopicTrie({ syntax: { singleLevelWildcard: '#' } })).toThrowError(/must differ/);
    expect(() => new TopicTrie({ syntax: { singleLevelWildcard: 'a/' } })).toThrowError(/separator/);
    expect(() => new TopicTrie({ syntax: 'amqp' as 'mqtt' })).toThrowError(/preset.*amqp/);
    expect(() => new TopicTrie({ cacheSize: -1 })).toThrowError(/cacheSize.*-1/);
  });
});

describe('TopicTrie bookkeeping', () => {
  it('removes pairs, reports whether they existed, and prunes empty nodes', () => {
    const trie = new TopicTrie<string>();
    trie.add('a/b/c', 'x');
    trie.add('a/*/#', 'y');
    expect(trie.nodeCount).toBe(5); // root, a, b, c, *
    expect(trie.remove('a/b/c', 'nope')).toBe(false);
    expect(trie.remove('a/b/zzz', 'x')).toBe(false);
    expect(trie.remove('a/b/c', 'x')).toBe(true);
    expect(trie.remove('a/b/c', 'x')).toBe(false);
    expect(trie.nodeCount).toBe(3); // root, a, *
    expect(trie.remove('a/*/#', 'y')).toBe(true);
    expect(trie.nodeCount).toBe(1);
    expect(trie.size).toBe(0);
  });

  it('iterates over every stored pair with its pattern', () => {
    const trie = new TopicTrie<number>();
    const pairs: [string, number][] = [
      ['a/b', 1],
      ['a/*', 2],
      ['#', 3],
      ['a/#', 4],
      ['a//b', 5],
      ['/', 6],
      ['*', 7],
    ];
    for (const [p, v] of pairs) trie.add(p, v);
    expect([...trie].sort()).toEqual([...pairs].sort());
  });

  it('clear() empties the trie and the cache', () => {
    const trie = new TopicTrie<number>();
    trie.add('a/#', 1);
    expect(trie.match('a/b')).toEqual([1]);
    trie.clear();
    expect(trie.size).toBe(0);
    expect(trie.nodeCount).toBe(1);
    expect(trie.match('a/b')).toEqual([]);
  });

  it('never serves a stale cached result after add or remove', () => {
    const trie = new TopicTrie<number>({ cacheSize: 4 });
    expect(trie.match('a/b')).toEqual([]);
    trie.add('a/b', 1);
    expect(trie.match('a/b')).toEqual([1]);
    const first = trie.match('a/b');
    first.push(99); // the caller's copy: must not leak into the cache
    expect(trie.match('a/b')).toEqual([1]);
    trie.remove('a/b', 1);
    expect(trie.match('a/b')).toEqual([]);
    expect(trie.hasMatch('a/b')).toBe(false);
  });

  it('matches topics thousands of levels deep without overflowing the stack', () => {
    const depth = 50_000;
    const trie = new TopicTrie<string>({ maxLevels: depth + 1, maxLength: depth * 3 });
    const levels = Array.from({ length: depth }, (_, i) => String(i % 10));
    trie.add(levels.join('/'), 'deep');
    trie.add([...levels.slice(0, depth - 1), '*'].join('/'), 'star');
    trie.add('#', 'all');
    expect(sorted(trie.match(levels.join('/')))).toEqual(['all', 'deep', 'star']);
    expect(trie.remove(levels.join('/'), 'deep')).toBe(true);
  });

  it('returns memory to its starting point after a churn of 100k add/remove', () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(gc, 'vitest runs with --expose-gc').toBeTypeOf('function');
    const trie = new TopicTrie<number>();
    const patterns = Array.from({ length: 100_000 }, (_, i) => `logs/svc${i % 500}/${i % 7 === 0 ? '*' : 'L' + (i % 5)}/c${i}`);
    trie.add('logs/#', -1); // a survivor, so the trie is not trivially empty
    gc?.();
    const before = process.memoryUsage().heapUsed;
    const nodesBefore = trie.nodeCount;
    for (let i = 0; i < patterns.length; i++) trie.add(patterns[i], i);
    expect(trie.size).toBe(100_001);
    expect(trie.nodeCount).toBeGreaterThan(100_000);
    for (let i = 0; i < patterns.length; i++) expect(trie.remove(patterns[i], i)).toBe(true);
    expect(trie.size).toBe(1);
    expect(trie.nodeCount).toBe(nodesBefore);
    if (gc !== undefined) {
      gc();
      const after = process.memoryUsage().heapUsed;
      // 100k live nodes would be >10 MB; allow for unrelated allocation noise only.
      expect(after - before).toBeLessThan(2_000_000);
    }
  });
});

describe('TopicTrie against a reference matcher (property)', () => {
  const level = fc.constantFrom('a', 'b', 'c', '', '$x', 'aa');
  // The empty string is not a topic (TopicError EMPTY), so both generators skip it.
  const topicArb = fc
    .array(level, { minLength: 1, maxLength: 6 })
    .map((levels) => levels.join('/'))
    .filter((topic) => topic.length > 0);
  const patternArb = fc
    .tuple(fc.array(fc.oneof(level, fc.constant('*')), { minLength: 1, maxLength: 6 }), fc.boolean())
    .map(([levels, hash]) => (hash ? [...levels.slice(0, -1), '#'] : levels).join('/'))
    .filter((pattern) => pattern.length > 0);
  const op = fc.oneof(
    fc.record({ kind: fc.constant('add' as const), pattern: patternArb, value: fc.integer({ min: 0, max: 4 }) }),
    fc.record({ kind: fc.constant('remove' as const), pattern: patternArb, value: fc.integer({ min: 0, max: 4 }) }),
    fc.record({ kind: fc.constant('match' as const), topic: topicArb }),
  );

  it('match() returns exactly what a naive matcher returns after random add/remove interleavings', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), fc.boolean(), (ops, useCache) => {
        const trie = new TopicTrie<number>({ cacheSize: useCache ? 8 : 0 });
        const model = new Map<string, Set<number>>(); // pattern -> values
        for (const o of ops) {
          if (o.kind === 'add') {
            const isNew = !(model.get(o.pattern)?.has(o.value) ?? false);
            expect(trie.add(o.pattern, o.value)).toBe(isNew);
            if (!model.has(o.pattern)) model.set(o.pattern, new Set());
            model.get(o.pattern)?.add(o.value);
          } else if (o.kind === 'remove') {
            const had = model.get(o.pattern)?.delete(o.value) ?? false;
            expect(trie.remove(o.pattern, o.value)).toBe(had);
          } else {
            const expected: string[] = [];
            for (const [pattern, values] of model) {
              if (referenceMatches(pattern, o.topic)) for (const v of values) expected.push(`${pattern}=${v}`);
            }
            // Values alone can repeat across patterns, so compare counts per value.
            const got = trie.match(o.topic).sort();
            expect(got).toEqual(expected.map((e) => Number(e.split('=').pop())).sort());
            expect(trie.hasMatch(o.topic)).toBe(expected.length > 0);
          }
        }
        let pairs = 0;
        for (const values of model.values()) pairs += values.size;
        expect(trie.size).toBe(pairs);
        expect([...trie].length).toBe(pairs);
      }),
      { numRuns: 300 },
    );
  });
});

describe('TopicTrie match cache under realistic and adversarial streams', () => {
  it('answers correctly while topics never repeat, then while they repeat, across evictions and changes', () => {
    const trie = new TopicTrie<number>({ cacheSize: 8 });
    const reference = new TopicTrie<number>({ cacheSize: 0 });
    const patterns = ['logs/#', 'logs/*/ERROR', 'logs/api/*', 'logs/api/INFO', 'logs/db/ERROR'];
    patterns.forEach((p, i) => {
      trie.add(p, i);
      reference.add(p, i);
    });
    const check = (topic: string): void => {
      expect(sorted(trie.match(topic))).toEqual(sorted(reference.match(topic)));
      expect(trie.hasMatch(topic)).toBe(reference.hasMatch(topic));
    };
    // Thousands of distinct topics: every lookup misses, several admission windows pass.
    for (let i = 0; i < 3000; i++) check(`logs/svc${i}/${i % 3 === 0 ? 'ERROR' : 'INFO'}`);
    // A few hot topics, repeated: served from the cache once admitted.
    const hot = ['logs/api/INFO', 'logs/api/ERROR', 'logs/db/ERROR', 'logs/web/ERROR', 'other/x'];
    for (let round = 0; round < 400; round++) check(hot[round % hot.length]);
    // A change must invalidate whatever was admitted.
    trie.add('logs/web/ERROR', 99);
    reference.add('logs/web/ERROR', 99);
    for (let round = 0; round < 50; round++) check(hot[round % hot.length]);
    trie.remove('logs/#', 0);
    reference.remove('logs/#', 0);
    for (let round = 0; round < 50; round++) check(hot[round % hot.length]);
  });
});
