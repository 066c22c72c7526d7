import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LoadMonitor, RateLimiter } from '../src/index.js';

function fakeClock(start = 0): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe('RateLimiter', () => {
  it('defaults to a full bucket of 100 per key, like a new TokenBucket, refilled at 50 per second', () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ now: clock.now });
    const burst = Array.from({ length: 101 }, () => limiter.consume('producer-1').allowed);
    expect(burst.filter(Boolean)).toHaveLength(100);
    expect(limiter.consume('producer-1')).toEqual({ allowed: false, remaining: 0, retryAfterMs: 20 });
    clock.advance(1000);
    expect(limiter.consume('producer-1', 50)).toMatchObject({ allowed: true, remaining: 0 });
    clock.advance(10_000);
    expect(limiter.consume('producer-1', 100)).toMatchObject({ allowed: true });
  });

  it('keeps one bucket per key', () => {
    const limiter = new RateLimiter({ capacity: 2, initialTokens: 2, now: fakeClock().now });
    expect([limiter.consume('a').allowed, limiter.consume('a').allowed, limiter.consume('a').allowed]).toEqual([true, true, false]);
    expect(limiter.consume('b').allowed).toBe(true);
  });

  it('applies per-key overrides', () => {
    const limiter = new RateLimiter({ initialTokens: 10, now: fakeClock().now });
    limiter.configure('vip', { initialTokens: 100 });
    expect(limiter.consume('vip', 100).allowed).toBe(true);
    expect(limiter.consume('anyone', 11).allowed).toBe(false);
    // A capacity below the default initialTokens caps it instead of refusing a field never passed.
    limiter.configure('small', { capacity: 5 });
    expect(limiter.consume('small', 0).remaining).toBe(5);
    expect(() => limiter.configure('bad', { capacity: 5, initialTokens: 6 })).toThrow(/bad: initialTokens.*6/);
  });

  it('keeps the tokens of a tracked key when it is reconfigured, capped at the new capacity', () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ capacity: 100, refillPerSecond: 10, initialTokens: 50, now: clock.now });
    expect(limiter.consume('k', 0).remaining).toBe(50);
    clock.advance(1000); // +10 at the old rate
    limiter.configure('k', { capacity: 30, refillPerSecond: 1, initialTokens: 30 });
    expect(limiter.consume('k', 0).remaining).toBe(30);
    limiter.configure('k', { capacity: 100, refillPerSecond: 1 });
    clock.advance(2000); // +2 at the new rate, no fresh burst
    expect(limiter.consume('k', 0).remaining).toBe(32);
    expect(limiter.delete('k')).toBe(true);
    expect(limiter.consume('k', 0).remaining).toBe(50);
  });

  it('refills nothing when the clock steps backwards', () => {
    let t = 10_000;
    const limiter = new RateLimiter({ capacity: 10, refillPerSecond: 10, initialTokens: 0, now: () => t });
    limiter.consume('k', 0);
    t = 5000;
    expect(limiter.consume('k', 0).remaining).toBe(0);
    t = 5500;
    expect(limiter.consume('k', 0).remaining).toBe(5);
  });

  it('refuses a cost above capacity with an infinite retry time', () => {
    const limiter = new RateLimiter({ capacity: 5, now: fakeClock().now });
    expect(limiter.consume('k', 6)).toEqual({ allowed: false, remaining: 5, retryAfterMs: Infinity });
    expect(() => limiter.consume('k', -1)).toThrow(RangeError);
    expect(() => limiter.consume('k', NaN)).toThrow(/NaN/);
  });

  it('forgets keys whose buckets are full again, so idle keys cost no memory', () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ capacity: 10, refillPerSecond: 10, initialTokens: 10, now: clock.now });
    for (let i = 0; i < 1000; i++) limiter.consume(`client-${i}`);
    expect(limiter.size).toBe(1000);
    clock.advance(1000); // every bucket is full again
    // Eviction is amortised over later calls (a few keys every few calls).
    for (let i = 0; i < 4000; i++) limiter.consume('busy');
    expect(limiter.size).toBe(1);
    expect(limiter.stats().evictedIdle).toBe(1000);
  });

  it('caps the number of keys, forgetting the least recently used', () => {
    const limiter = new RateLimiter({ maxKeys: 3, initialTokens: 10, now: fakeClock().now });
    limiter.consume('a', 5);
    limiter.consume('b', 5);
    limiter.consume('c', 5);
    limiter.consume('a', 0); // a is now the most recent
    limiter.consume('d'); // evicts b
    expect(limiter.size).toBe(3);
    expect(limiter.stats().evictedLru).toBe(1);
    // a and c are remembered (5 tokens left), b comes back as a new key with 10.
    expect(limiter.consume('a', 0).remaining).toBe(5);
    expect(limiter.consume('c', 0).remaining).toBe(5);
    expect(limiter.consume('b', 0).remaining).toBe(10);
  });

  it('stays within maxKeys under any traffic', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 50 })), { maxLength: 200 }), (maxKeys, calls) => {
        const clock = fakeClock();
        const limiter = new RateLimiter({ maxKeys, now: clock.now });
        for (const [key, ms] of calls) {
          clock.advance(ms);
          limiter.consume(`client-${key}`);
          expect(limiter.size).toBeLessThanOrEqual(maxKeys);
        }
        // Every distinct key was created at least once, and every creation is tracked or counted.
        const { keys, evictedIdle, evictedLru } = limiter.stats();
        expect(keys + evictedIdle + evictedLru).toBeGreaterThanOrEqual(new Set(calls.map(([k]) => k)).size);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps memory flat under a stream of one-off keys', () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ capacity: 10, refillPerSecond: 100, initialTokens: 10, maxKeys: 1000, now: clock.now });
    for (let i = 0; i < 50_000; i++) {
      clock.advance(1);
      limiter.consume(`once-${i}`);
    }
    // A one-off key is full again 10 ms after its call, so the sweep reclaims it long before
    // the cap: memory stays far below maxKeys without LRU evictions.
    expect(limiter.size).toBeLessThan(100);
    expect(limiter.stats().evictedLru).toBe(0);
    expect(limiter.stats().evictedIdle).toBeGreaterThan(49_000);
  });

  it('slows refill as load rises', () => {
    const clock = fakeClock();
    let load = 0;
    const limiter = new RateLimiter({ capacity: 1000, refillPerSecond: 100, initialTokens: 0, minRefillFactor: 0.1, load: () => load, now: clock.now });
    limiter.consume('k', 0);
    clock.advance(1000);
    expect(limiter.consume('k', 0).remaining).toBe(100);
    load = 1;
    clock.advance(1000);
    expect(limiter.consume('k', 0).remaining).toBe(110);
    load = 0.5;
    expect(limiter.refillFactor()).toBeCloseTo(0.55);
    load = NaN;
    expect(() => limiter.refillFactor()).toThrow(/load.*NaN/);
  });

  it('reads the load from a LoadMonitor', () => {
    const monitor = new LoadMonitor({ sample: () => ({ cpu: 1, memory: 1 }) });
    const limiter = new RateLimiter({ load: monitor });
    expect(limiter.refillFactor()).toBe(1);
    monitor.sampleNow();
    expect(limiter.refillFactor()).toBeCloseTo(0.1);
  });

  it('rejects bad options naming the value', () => {
    expect(() => new RateLimiter({ maxKeys: 0 })).toThrow(/maxKeys.*0/);
    expect(() => new RateLimiter({ capacity: -1 })).toThrow(/capacity/);
    expect(() => new RateLimiter({ minRefillFactor: 2 })).toThrow(/minRefillFactor.*2/);
  });

  it('matches a reference model of per-key buckets under random traffic', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 500 }) }),
      fc.record({ kind: fc.constant('consume' as const), key: fc.constantFrom('a', 'b', 'c'), cost: fc.integer({ min: 0, max: 6 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const clock = fakeClock();
        const limiter = new RateLimiter({ capacity: 5, refillPerSecond: 10, initialTokens: 2, now: clock.now });
        // Model: a key never seen (or forgotten while full) holds initialTokens... unless it
        // was full, where forgetting is only ever stricter; the model therefore checks the
        // safety bound per key rather than exact decisions after an eviction.
        const spent = new Map<string, number>();
        let elapsed = 0;
        for (const o of ops) {
          if (o.kind === 'advance') {
            clock.advance(o.ms);
            elapsed += o.ms;
            continue;
          }
          const result = limiter.consume(o.key, o.cost);
          if (result.allowed) spent.set(o.key, (spent.get(o.key) ?? 0) + o.cost);
          expect(result.remaining).toBeLessThanOrEqual(5);
          // Never more than capacity + rate × elapsed for any key.
          expect(spent.get(o.key) ?? 0).toBeLessThanOrEqual(5 + (10 * elapsed) / 1000 + 1e-9);
          if (!result.allowed) expect(result.retryAfterMs).toBeGreaterThan(0);
        }
        expect(limiter.size).toBeLessThanOrEqual(3);
      }),
      { numRuns: 300 },
    );
  });

  it('decides exactly like a reference model of per-key buckets with a changing load', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: -200, max: 700 }) }),
      fc.record({ kind: fc.constant('load' as const), load: fc.oneof(fc.constantFrom(0, 0.3, 0.5, 0.8, 1), fc.double({ min: 0, max: 1, noNaN: true })) }),
      fc.record({ kind: fc.constant('consume' as const), key: fc.constantFrom('a', 'b', 'c', 'd'), cost: fc.integer({ min: 0, max: 7 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 100 }), (ops) => {
        const clock = fakeClock();
        let load = 0;
        const capacity = 6;
        const rate = 8;
        // initialTokens = capacity: a key forgotten because it was full comes back full, so
        // idle eviction is invisible and the model can be exact.
        const limiter = new RateLimiter({ capacity, refillPerSecond: rate, initialTokens: capacity, minRefillFactor: 0.25, load: () => load, now: clock.now });
        const model = new Map<string, { tokens: number; last: number }>();
        for (const o of ops) {
          if (o.kind === 'advance') clock.advance(o.ms);
          if (o.kind === 'load') load = o.load;
          if (o.kind !== 'consume') continue;
          const now = clock.now();
          const factor = 1 - load * 0.75;
          let bucket = model.get(o.key);
          if (bucket === undefined) {
            bucket = { tokens: capacity, last: now };
            model.set(o.key, bucket);
          } else {
            if (now > bucket.last) bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.last) * rate * factor) / 1000);
            bucket.last = now;
          }
          const expected = bucket.tokens >= o.cost;
          const result = limiter.consume(o.key, o.cost);
          if (Math.abs(bucket.tokens - o.cost) > 1e-9) expect(result.allowed).toBe(expected);
          if (result.allowed) bucket.tokens = Math.max(0, bucket.tokens - o.cost);
          if (Math.abs(bucket.tokens - Math.round(bucket.tokens)) > 1e-9) expect(result.remaining).toBe(Math.floor(bucket.tokens));
          if (result.allowed) expect(result.retryAfterMs).toBe(0);
          else if (o.cost > capacity) expect(result.retryAfterMs).toBe(Infinity);
          else expect(result.retryAfterMs).toBeCloseTo(((o.cost - bucket.tokens) * 1000) / (rate * factor), 6);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('decides exactly like a single bucket for a key that is never evicted (the charged key is never swept)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 4 })), { maxLength: 60 }), (steps) => {
        const clock = fakeClock();
        const limiter = new RateLimiter({ capacity: 4, refillPerSecond: 5, initialTokens: 1, now: clock.now });
        // The key's bucket starts at its first consume.
        let tokens: number | undefined;
        for (const [ms, cost] of steps) {
          clock.advance(ms);
          tokens = tokens === undefined ? 1 : Math.min(4, tokens + (ms * 5) / 1000);
          const { allowed } = limiter.consume('k', cost);
          if (Math.abs(tokens - cost) > 1e-9) expect(allowed).toBe(tokens >= cost);
          if (allowed) tokens -= cost;
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('RateLimiter memory bounds', () => {
  it('accepts a huge maxKeys without reserving memory for it', () => {
    const limiter = new RateLimiter({ maxKeys: Number.MAX_SAFE_INTEGER, now: fakeClock().now });
    for (let i = 0; i < 500; i++) limiter.consume(`client-${i}`);
    expect(limiter.size).toBe(500);
    expect(limiter.stats().evictedLru).toBe(0);
  });

  it('keeps a configured key\'s own limit when its bucket is evicted at maxKeys', () => {
    const limiter = new RateLimiter({ maxKeys: 2, capacity: 10, initialTokens: 10, now: fakeClock().now });
    limiter.configure('vip', { capacity: 100, initialTokens: 100 });
    limiter.consume('vip', 1);
    limiter.consume('a', 1);
    limiter.consume('b', 1); // evicts vip's bucket, the least recently used
    expect(limiter.stats().evictedLru).toBe(1);
    expect(limiter.size).toBe(2);
    // vip comes back as a new key, with its own limit, not the defaults.
    expect(limiter.consume('vip', 0).remaining).toBe(100);
  });
});
