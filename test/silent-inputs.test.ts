/**
 * Every input that used to be accepted without a word now gets a clear error naming the field
 * and the bad value, or a documented meaning. One row per case.
 */
import { describe, expect, it } from 'vitest';
import {
  Batcher,
  BoundedQueue,
  BroadcastMetrics,
  LoadMonitor,
  PubSubBroker,
  RateLimiter,
  Router,
  TokenBucket,
  TopicError,
} from '../src/index.js';

type Loose = never;
const loose = (value: unknown): Loose => value as Loose;

const refused: [what: string, act: () => unknown, error: ErrorConstructor | typeof TopicError, message: RegExp][] = [
  ["subscribe with queue: 'yes'", () => new PubSubBroker().subscribe('a', () => undefined, { queue: loose('yes') }), TypeError, /queue must be true, false or an options object \(got "yes"\)/],
  ["a queue with 'drop-lowest-priority' and no priorityOf", () => new BoundedQueue({ policy: 'drop-lowest-priority' }), TypeError, /'drop-lowest-priority' needs a priorityOf/],
  ["a subscriber queue with 'drop-lowest-priority' and no priorityOf", () => new PubSubBroker().subscribe('a', () => undefined, { queue: { policy: 'drop-lowest-priority' } }), TypeError, /priorityOf/],
  ["RateLimiter load: 'x'", () => new RateLimiter({ load: loose('x') }), TypeError, /load must be a LoadMonitor or a function.*got x/],
  ['RateLimiter load: NaN', () => new RateLimiter({ load: loose(Number.NaN) }), TypeError, /load.*got NaN/],
  ["RateLimiter load: () => 'x'", () => new RateLimiter({ load: loose(() => 'x') }).consume('k'), RangeError, /load must give a number.*got "x"/],
  ['RateLimiter load: () => NaN', () => new RateLimiter({ load: () => Number.NaN }).consume('k'), RangeError, /load must give a number.*got NaN/],
  ['consume(undefined)', () => new RateLimiter().consume(loose(undefined)), TypeError, /key must be a string \(got undefined undefined\)/],
  ['consume(null)', () => new RateLimiter().consume(loose(null)), TypeError, /key must be a string \(got null\)/],
  ['consume({})', () => new RateLimiter().consume(loose({})), TypeError, /key must be a string \(got an object\)/],
  ['consume(42)', () => new RateLimiter().consume(loose(42)), TypeError, /key must be a string \(got number 42\)/],
  ['a TokenBucket clock returning NaN', () => new TokenBucket({ capacity: 1, refillPerSecond: 1, now: () => Number.NaN }), RangeError, /now\(\) must return a number.*NaN/],
  ['a BoundedQueue sizeOf returning NaN', () => new BoundedQueue<number>({ sizeOf: () => Number.NaN }).push(1), RangeError, /sizeOf must return a finite number >= 0 \(got NaN\)/],
  ["an unknown LoadMonitor weight 'cpuu'", () => new LoadMonitor({ weights: loose({ cpuu: 1 }) }), RangeError, /weights\.cpuu is not a measure/],
  ['a Batcher maxDelayMs of 2 ** 31', () => new Batcher({ flush: () => undefined, maxDelayMs: 2 ** 31 }), RangeError, /maxDelayMs must be a number from 0 to 2147483647 \(got 2147483648\)/],
  ['a BroadcastMetrics sizeOf that is not a function', () => new BroadcastMetrics(new PubSubBroker(), { sizeOf: loose(5) }), TypeError, /sizeOf must be a function \(got number\)/],
  ["close({ drain: 'yes' })", () => new PubSubBroker().close({ drain: loose('yes') }), TypeError, /drain must be a boolean/],
];

describe('inputs that used to pass in silence', () => {
  for (const [what, act, type, message] of refused) {
    it(`refuses ${what}`, () => {
      let caught: unknown;
      try {
        act();
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(type);
      expect(String((caught as Error).message)).toMatch(message);
    });
  }

  it('refuses a clock that starts giving NaN later, instead of freezing the bucket', () => {
    let t = 0;
    const bucket = new TokenBucket({ capacity: 1, refillPerSecond: 1, now: () => t });
    t = Number.NaN;
    expect(() => bucket.consume()).toThrowError(/now\(\).*NaN/);
    t = 2000;
    expect(bucket.consume()).toBe(true);
  });

  it("refuses a Router destination 'a/#' before delivering to any destination", () => {
    const broker = new PubSubBroker<string>();
    const got: string[] = [];
    broker.subscribe('#', (_m, topic) => void got.push(topic));
    const router = new Router<string>([{ to: 'first' }, { name: 'bad', to: 'a/#' }]);
    expect(() => router.publish(broker, 'x')).toThrowError(TopicError);
    expect(() => router.publish(broker, 'x')).toThrowError(/rule bad: destination/);
    expect(got).toEqual([]);
  });

  it('gives RateLimiter.configure(key, { capacity: 5 }) a documented meaning: a full bucket of 5', () => {
    const limiter = new RateLimiter();
    limiter.configure('small', { capacity: 5 });
    expect(limiter.consume('small', 0).remaining).toBe(5);
    const seeded = new RateLimiter({ initialTokens: 10 });
    seeded.configure('small', { capacity: 5 });
    expect(seeded.consume('small', 0).remaining).toBe(5);
    seeded.configure('big', { capacity: 500 });
    expect(seeded.consume('big', 0).remaining).toBe(10);
  });

  it('counts a throwing queue sizeOf as an error of that subscriber and keeps publishing to the others', () => {
    const broker = new PubSubBroker<string>();
    const errors: unknown[] = [];
    broker.on('error', (error) => errors.push(error));
    let plain = 0;
    broker.subscribe('t', () => void plain++);
    broker.subscribe('t', () => undefined, { queue: { sizeOf: () => Number.NaN } });
    expect(broker.publish('t', 'x')).toBe(1);
    expect(plain).toBe(1);
    expect(errors.map(String)).toEqual([expect.stringMatching(/sizeOf must return a finite number/)]);
    expect(broker.stats()).toMatchObject({ offered: 2, delivered: 1, errors: 1 });
  });
});
