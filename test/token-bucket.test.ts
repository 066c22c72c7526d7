import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TokenBucket } from '../src/index.js';

/** A clock the test moves by hand. */
function fakeClock(start = 1000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('TokenBucket', () => {
  it('starts full by default and refuses once empty', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ capacity: 3, refillPerSecond: 1, now: clock.now });
    expect([bucket.consume(), bucket.consume(), bucket.consume(), bucket.consume()]).toEqual([true, true, true, false]);
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

  it('refills nothing for a clock step backwards and counts on from the new reading', () => {
    let t = 5000;
    const bucket = new TokenBucket({ capacity: 5, refillPerSecond: 1, initialTokens: 2, now: () => t });
    t = 1000;
    expect(bucket.tokens).toBe(2);
    expect(bucket.consume(2)).toBe(true);
    t = 2000;
    expect(bucket.tokens).toBeCloseTo(1);
  });

  it('reads the monotonic performance.now by default, not the wall clock', () => {
    vi.useFakeTimers({ toFake: ['performance', 'Date', 'setTimeout'] });
    const bucket = new TokenBucket({ capacity: 10, refillPerSecond: 10, initialTokens: 0 });
    expect(bucket.consume()).toBe(false);
    vi.setSystemTime(Date.now() + 3_600_000); // a wall-clock step gives nothing
    expect(bucket.tokens).toBe(0);
    vi.advanceTimersByTime(250);
    expect(bucket.tokens).toBeCloseTo(2.5);
    expect(bucket.msUntil(3)).toBeCloseTo(50);
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
    expect(() => bucket.consume(-1)).toThrow(RangeError);
    expect(() => bucket.consume(NaN)).toThrow(/NaN/);
    expect(() => bucket.consume(6)).toThrow(/6 exceeds capacity 5/);
    expect(() => bucket.consume(Infinity)).toThrow(/Infinity exceeds capacity/);
    expect(() => bucket.msUntil(-2)).toThrow(/-2/);
    expect(() => bucket.msUntil(NaN)).toThrow(/NaN/);
    expect(bucket.msUntil(Infinity)).toBe(Infinity);
    expect(() => new TokenBucket({ capacity: Infinity, refillPerSecond: 1 })).toThrow(/capacity.*Infinity/);
    expect(() => new TokenBucket({ capacity: 5, refillPerSecond: 1, initialTokens: -1 })).toThrow(/initialTokens.*-1/);
    expect(() => new TokenBucket({ capacity: 5, refillPerSecond: 1, now: 5 as unknown as () => number })).toThrow(TypeError);
    expect(bucket.consume(0)).toBe(true);
  });

  it('matches an exact model under random removals and clock steps, and never exceeds its bounds', () => {
    const step = fc.oneof(
      // Mostly forwards; sometimes backwards, which must refill nothing.
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: -500, max: 3000 }) }),
      fc.record({ kind: fc.constant('remove' as const), cost: fc.oneof(fc.integer({ min: 0, max: 9 }), fc.double({ min: 0, max: 9, noNaN: true })) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.oneof(fc.integer({ min: 0, max: 20 }), fc.double({ min: 0, max: 50, noNaN: true })),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.array(step, { maxLength: 80 }),
        (capacity, rate, fill, steps) => {
          const clock = fakeClock(0);
          const initial = capacity * fill;
          const bucket = new TokenBucket({ capacity, refillPerSecond: rate, initialTokens: initial, now: clock.now });
          // The model: exact tokens, refilled from the clock reading at each call (a reading
          // earlier than the previous one refills nothing), capped at capacity.
          let tokens = initial;
          let reading = clock.now();
          let forward = 0;
          let allowedCost = 0;
          for (const s of steps) {
            if (s.kind === 'advance') {
              clock.advance(s.ms);
              if (s.ms > 0) forward += s.ms;
              continue;
            }
            if (s.cost > capacity) {
              // Refused before the clock is read: no state changes.
              expect(() => bucket.consume(s.cost)).toThrow(RangeError);
              expect(bucket.msUntil(s.cost)).toBe(Infinity);
              continue;
            }
            const elapsed = clock.now() - reading;
            reading = clock.now();
            if (elapsed > 0) tokens = Math.min(capacity, tokens + (elapsed * rate) / 1000);
            const got = bucket.consume(s.cost);
            // The same decision, unless the two sides are within float noise of each other.
            if (Math.abs(tokens - s.cost) > 1e-9) expect(got).toBe(tokens >= s.cost);
            if (got) {
              tokens = Math.max(0, tokens - s.cost);
              allowedCost += s.cost;
            }
            const now = bucket.tokens;
            expect(now).toBeLessThanOrEqual(capacity);
            expect(now).toBeGreaterThanOrEqual(0);
            expect(Math.abs(now - tokens)).toBeLessThan(1e-9);
            expect(allowedCost).toBeLessThanOrEqual(initial + (rate * forward) / 1000 + 1e-9);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
