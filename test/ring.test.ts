import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Ring } from '../src/internal/ring.js';

type Op = { kind: 'push'; value: number } | { kind: 'shift' } | { kind: 'removeAt'; at: number } | { kind: 'clear' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('push' as const), value: fc.integer() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('shift' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('removeAt' as const), at: fc.nat({ max: 1_000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('clear' as const) }) },
);

describe('Ring (the bounded queues’ storage)', () => {
  it('behaves as an array used as a FIFO with removal at any index (fast-check, against an array)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 400 }), (ops) => {
        const ring = new Ring<number>();
        const model: number[] = [];
        for (const op of ops) {
          if (op.kind === 'push') {
            ring.push(op.value);
            model.push(op.value);
          } else if (op.kind === 'shift') {
            expect(ring.shift()).toBe(model.shift());
          } else if (op.kind === 'removeAt') {
            if (model.length === 0) continue;
            const index = op.at % model.length;
            expect(ring.removeAt(index)).toBe(model.splice(index, 1)[0]);
          } else {
            ring.clear();
            model.length = 0;
          }
          expect(ring.length).toBe(model.length);
          expect(ring.peek()).toBe(model[0]);
        }
        expect(ring.toArray()).toEqual(model);
        for (let i = 0; i < model.length; i++) expect(ring.at(i)).toBe(model[i]);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps no reference to an item once it is taken out (a queue must not pin what it gave away)', () => {
    const ring = new Ring<object>();
    const items = Array.from({ length: 40 }, () => ({}));
    for (const item of items) ring.push(item);
    ring.shift();
    ring.removeAt(5);
    ring.removeAt(30);
    const slots = (ring as unknown as { slots: (object | undefined)[] }).slots;
    const held = new Set(slots.filter((slot) => slot !== undefined));
    expect(held.size).toBe(37);
    expect(held.has(items[0])).toBe(false);
    expect(held.has(items[6])).toBe(false);
    expect(held.has(items[32])).toBe(false);
  });

  it('gives back the memory of a burst once it empties', () => {
    const ring = new Ring<number>();
    for (let i = 0; i < 100_000; i++) ring.push(i);
    while (ring.length > 0) ring.shift();
    expect((ring as unknown as { slots: unknown[] }).slots.length).toBeLessThanOrEqual(1024);
  });
});
