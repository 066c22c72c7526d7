import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../src/index.js';

/** A clock the test moves by hand. */
function fakeClock(start = 1000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe('TokenBucket', () => {
  it('starts full by default and refuses once empty', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ capacity: 3, refillPerSecond: 1, now: clock.now });
    expect([bucket.tryRemove(), bucket.tryRemove(), bucket.tryRemove(), bucket.tryRemove()]).toEqual([true, true, true, false]);
  });

  it('refills lazily at the configured rate, never past capacity', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ capacity: 10, refillPerSecond: 5, initialTokens: 0, now: clock.now });
    clock.advance(400);
    expect(bucket.tokens).toBeCloseTo(2);
    clock.advance(60_000);
    expect(bucket.tokens).toBe(10);
  });

  it('tells how long until a cost is available', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ capacity: 10, refillPerSecond: 4, initialTokens: 1, now: clock.now });
    expect(bucket.msUntil(1)).toBe(0);
    expect(bucket.msUntil(3)).toBeCloseTo(500);
    expect(bucket.msUntil(11)).toBe(Infinity);
    const still = new TokenBucket({ capacity: 2, refillPerSecond: 0, initialTokens: 0, now: clock.now });
    expect(still.msUntil(1)).toBe(Infinity);
  });

  it('ignores a clock that goes backwards', () => {
    let t = 5000;
    const bucket = new TokenBucket({ capacity: 5, refillPerSecond: 1, initialTokens: 0, now: () => t });
    t = 1000;
    expect(bucket.tokens).toBe(0);
    t = 6000;
    expect(bucket.tokens).toBeCloseTo(1);
  });

  it('applies a changed refill rate from the moment it changes', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ capacity: 100, refillPerSecond: 10, initialTokens: 0, now: clock.now });
    clock.advance(1000);
    bucket.refillPerSecond = 1;
    clock.advance(1000);
    expect(bucket.tokens).toBeCloseTo(11);
  });

  it('rejects bad arguments with a RangeError naming the value', () => {
    expect(() => new TokenBucket({ capacity: 0, refillPerSecond: 1 })).toThrow(/capacity.*0/);
    expect(() => new TokenBucket({ capacity: 5, refillPerSecond: -1 })).toThrow(/refillPerSecond.*-1/);
    expect(() => new TokenBucket({ capacity: 5, refillPerSecond: NaN })).toThrow(/NaN/);
    expect(() => new TokenBucket({ capacity: 5, refillPerSecond: 1, initialTokens: 6 })).toThrow(/initialTokens.*6/);
    const bucket = new TokenBucket({ capacity: 5, refillPerSecond: 1 });
    expect(() => bucket.tryRemove(-1)).toThrow(RangeError);
    expect(() => bucket.tryRemove(NaN)).toThrow(/NaN/);
    expect(() => bucket.tryRemove(6)).toThrow(/6 exceeds capacity 5/);
    expect(() => bucket.msUntil(-2)).toThrow(/-2/);
    expect(bucket.tryRemove(0)).toBe(true);
  });

  it('matches an exact model under random removals and clock steps', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 3000 }) }),
      fc.record({ kind: fc.constant('remove' as const), cost: fc.integer({ min: 0, max: 8 }) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 20 }),
        fc.array(step, { maxLength: 60 }),
        (capacity, rate, steps) => {
          const clock = fakeClock(0);
          const initial = Math.floor(capacity / 2);
          const bucket = new TokenBucket({ capacity, refillPerSecond: rate, initialTokens: initial, now: clock.now });
          // Model: exact tokens, refilled from elapsed time, capped at capacity.
          let tokens = initial;
          let elapsed = 0;
          let allowedCost = 0;
          for (const s of steps) {
            if (s.kind === 'advance') {
              clock.advance(s.ms);
              elapsed += s.ms;
              tokens = Math.min(capacity, tokens + (s.ms * rate) / 1000);
              continue;
            }
            if (s.cost > capacity) {
              expect(() => bucket.tryRemove(s.cost)).toThrow(RangeError);
              continue;
            }
            const expected = tokens + 1e-9 >= s.cost;
            const got = bucket.tryRemove(s.cost);
            // Float noise aside (1e-9 tokens), the decisions agree.
            if (Math.abs(tokens - s.cost) > 1e-6) expect(got).toBe(expected);
            if (got) {
              tokens = Math.max(0, tokens - s.cost);
              allowedCost += s.cost;
            }
            expect(bucket.tokens).toBeLessThanOrEqual(capacity);
            expect(allowedCost).toBeLessThanOrEqual(initial + (rate * elapsed) / 1000 + 1e-6);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
