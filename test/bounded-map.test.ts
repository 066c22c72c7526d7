import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoundedMap } from '../src/internal/bounded-map.js';

describe('BoundedMap', () => {
  it('never holds more than its capacity and evicts an entry not read since the hand last passed', () => {
    const map = new BoundedMap<string, number>(3);
    map.set('a', 1);
    map.set('b', 2);
    map.set('c', 3);
    expect(map.get('a')).toBe(1); // a gets a second chance
    map.set('d', 4);
    expect(map.size).toBe(3);
    expect(map.has('a')).toBe(true);
    expect(map.has('b')).toBe(false);
    expect(map.evictions).toBe(1);
  });

  it('reuses the slot of a deleted key before evicting anything', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    expect(map.delete('a')).toBe(true);
    map.set('c', 3);
    expect(map.evictions).toBe(0);
    expect([map.get('b'), map.get('c')]).toEqual([2, 3]);
  });

  it('keeps the total weight within maxWeight and refuses a value heavier than the bound', () => {
    const map = new BoundedMap<string, number[]>(10, { maxWeight: 5, weigh: (v) => v.length });
    map.set('a', [1, 2]);
    map.set('b', [1, 2]);
    map.set('c', [1, 2]); // 6 > 5: something else goes
    expect(map.weight).toBeLessThanOrEqual(5);
    expect(map.has('c')).toBe(true);
    expect(map.set('huge', [1, 2, 3, 4, 5, 6])).toBe(false);
    expect(map.has('huge')).toBe(false);
  });

  it('does not save a key from eviction when it is only peeked at', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    expect(map.peek('a')).toBe(1);
    expect(map.peek('zzz')).toBeUndefined();
    map.set('c', 3);
    expect(map.has('a')).toBe(false);
    expect(map.has('b')).toBe(true);
  });

  it('accepts a huge capacity without allocating for it up front', () => {
    const map = new BoundedMap<number, number>(Number.MAX_SAFE_INTEGER);
    for (let k = 0; k < 1000; k++) map.set(k, k * 2);
    expect(map.size).toBe(1000);
    expect(map.get(999)).toBe(1998);
    expect(map.evictions).toBe(0);
    map.resize(10); // shrinking empties, then the bound holds again
    for (let k = 0; k < 20; k++) map.set(k, k);
    expect(map.size).toBe(10);
  });

  it('removes, in one pass of scan steps round the slots, every entry that passes the test and no other', () => {
    const map = new BoundedMap<number, number>(100);
    for (let k = 0; k < 100; k++) map.set(k, k);
    for (let k = 0; k < 100; k += 3) map.delete(k); // holes the scan walks over
    const tested: number[] = [];
    let cursor = 0;
    let steps = 0;
    do {
      cursor = map.scan(cursor, 2, 5, (value, key) => {
        expect(value).toBe(key);
        tested.push(key);
        return key % 2 === 0;
      });
      steps++;
    } while (cursor !== 0);
    // Every live entry was tested once; at most 5 slots per step over 100 slots.
    expect(tested.sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, k) => k).filter((k) => k % 3 !== 0));
    expect(steps).toBeGreaterThanOrEqual(20);
    for (let k = 0; k < 100; k++) expect(map.has(k)).toBe(k % 3 !== 0 && k % 2 !== 0);
    expect(map.evictions).toBe(0);
    expect(map.scan(1_000, 4, 64, () => true)).toBe(0); // a cursor past the last slot starts over
  });

  it('rejects an entry bound that is not a positive integer with a RangeError naming the value', () => {
    expect(() => new BoundedMap(0)).toThrowError(/maxEntries.*got 0/);
    expect(() => new BoundedMap(1.5)).toThrowError(RangeError);
  });

  type Op =
    | { kind: 'set'; key: number; value: number }
    | { kind: 'get'; key: number }
    | { kind: 'delete'; key: number }
    | { kind: 'deleteWhere'; mod: number }
    | { kind: 'clear' }
    | { kind: 'resize'; capacity: number }
    | { kind: 'scan'; entries: number; slots: number; mod: number };
  const key = fc.integer({ min: 0, max: 12 });
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('set' as const), key, value: fc.integer({ min: 0, max: 4 }) }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('get' as const), key }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), key }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteWhere' as const), mod: fc.integer({ min: 2, max: 4 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('clear' as const) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('resize' as const), capacity: fc.integer({ min: 1, max: 8 }) }) },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant('scan' as const), entries: fc.integer({ min: 1, max: 4 }), slots: fc.integer({ min: 1, max: 8 }), mod: fc.integer({ min: 1, max: 3 }) }),
    },
  );

  it('never returns a value other than the last one set for its key, within both bounds (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 12 }), fc.array(op, { maxLength: 120 }), (capacity, maxWeight, ops) => {
        // Weight of a value is the value itself (0..4).
        const map = new BoundedMap<number, number>(capacity, { maxWeight, weigh: (v) => v });
        const model = new Map<number, number>(); // what was last set and not deleted (may have been evicted)
        let bound = capacity;
        let cursor = 0;
        for (const o of ops) {
          if (o.kind === 'set') {
            map.set(o.key, o.value);
            model.set(o.key, o.value);
          } else if (o.kind === 'get') {
            const got = map.get(o.key);
            if (got !== undefined) expect(got).toBe(model.get(o.key));
          } else if (o.kind === 'delete') {
            map.delete(o.key);
            model.delete(o.key);
          } else if (o.kind === 'deleteWhere') {
            map.deleteWhere((k) => k % o.mod === 0);
            for (const k of [...model.keys()]) if (k % o.mod === 0) model.delete(k);
            for (const k of model.keys()) if (k % o.mod === 0) throw new Error('model');
          } else if (o.kind === 'clear') {
            map.clear();
            model.clear();
          } else if (o.kind === 'scan') {
            const before = map.size;
            const evictions = map.evictions;
            const tested: number[] = [];
            cursor = map.scan(cursor, o.entries, o.slots, (value, k) => {
              expect(value).toBe(model.get(k));
              tested.push(k);
              return k % o.mod === 0;
            });
            expect(tested.length).toBeLessThanOrEqual(o.entries);
            expect(new Set(tested).size).toBe(tested.length);
            for (const k of tested) {
              expect(map.has(k)).toBe(k % o.mod !== 0);
              if (k % o.mod === 0) model.delete(k);
            }
            expect(map.size).toBe(before - tested.filter((k) => k % o.mod === 0).length);
            expect(map.evictions).toBe(evictions);
          } else {
            map.resize(o.capacity);
            if (o.capacity < bound) model.clear();
            bound = o.capacity;
          }
          expect(map.size).toBeLessThanOrEqual(bound);
          expect(map.weight).toBeLessThanOrEqual(maxWeight);
          // Every live entry holds the value last set, and the weight is their sum.
          let weight = 0;
          for (let k = 0; k <= 12; k++) {
            if (!map.has(k)) continue;
            expect(model.has(k)).toBe(true);
            const value = map.get(k) as number;
            expect(value).toBe(model.get(k));
            weight += value;
          }
          expect(map.weight).toBe(weight);
        }
      }),
      { numRuns: 400 },
    );
  });
});
