/**
 * Every input that used to be accepted without a word now gets a clear error naming the field
 * and the bad value, or a documented meaning. One row per case.
 */
import { describe, expect, it } from 'vitest';
import {
  BackpressureManager,
  Batcher,
  BoundedQueue,
  BroadcastMetrics,
  LoadMonitor,
  PubSubBroker,
  RateLimiter,
  Router,
  TokenBucket,
  TopicError,
  TopicTrie,
} from '../src/index.js';

type Loose = never;
const loose = (value: unknown): Loose => value as Loose;
const flush = (): void => undefined;

type Row = [what: string, act: () => unknown, error: ErrorConstructor | typeof TopicError, code: string, message: RegExp];

const refused: Row[] = [
  ["subscribe with queue: 'yes'", () => new PubSubBroker().subscribe('a', () => undefined, { queue: loose('yes') }), TypeError, 'ERR_INVALID_ARG_TYPE', /queue must be true, false or an options object \(got "yes"\)/],
  ["a queue with 'drop-lowest-priority' and no priorityOf", () => new BoundedQueue({ policy: 'drop-lowest-priority' }), TypeError, 'ERR_INVALID_ARG_VALUE', /'drop-lowest-priority' needs a priorityOf/],
  ["a subscriber queue with 'drop-lowest-priority' and no priorityOf", () => new PubSubBroker().subscribe('a', () => undefined, { queue: { policy: 'drop-lowest-priority' } }), TypeError, 'ERR_INVALID_ARG_VALUE', /priorityOf/],
  ["RateLimiter load: 'x'", () => new RateLimiter({ load: loose('x') }), TypeError, 'ERR_INVALID_ARG_TYPE', /load must be a LoadMonitor or a function.*\(got "x"\)/],
  ['RateLimiter load: NaN', () => new RateLimiter({ load: loose(Number.NaN) }), TypeError, 'ERR_INVALID_ARG_TYPE', /load.*\(got NaN\)/],
  ["RateLimiter load: () => 'x'", () => new RateLimiter({ load: loose(() => 'x') }).consume('k'), RangeError, 'ERR_INVALID_RETURN_VALUE', /load must give a number.*\(got "x"\)/],
  ['RateLimiter load: () => NaN', () => new RateLimiter({ load: () => Number.NaN }).consume('k'), RangeError, 'ERR_INVALID_RETURN_VALUE', /load must give a number.*\(got NaN\)/],
  ['consume(undefined)', () => new RateLimiter().consume(loose(undefined)), TypeError, 'ERR_INVALID_ARG_TYPE', /key must be a string \(got undefined\)/],
  ['consume(null)', () => new RateLimiter().consume(loose(null)), TypeError, 'ERR_INVALID_ARG_TYPE', /key must be a string \(got null\)/],
  ['consume({})', () => new RateLimiter().consume(loose({})), TypeError, 'ERR_INVALID_ARG_TYPE', /key must be a string \(got an object\)/],
  ['consume(42)', () => new RateLimiter().consume(loose(42)), TypeError, 'ERR_INVALID_ARG_TYPE', /key must be a string \(got 42\)/],
  ["consume('k', '1')", () => new RateLimiter().consume('k', loose('1')), TypeError, 'ERR_INVALID_ARG_TYPE', /cost must be a finite number >= 0 \(got "1"\)/],
  ['a TokenBucket clock returning NaN', () => new TokenBucket({ capacity: 1, refillPerSecond: 1, now: () => Number.NaN }), RangeError, 'ERR_INVALID_RETURN_VALUE', /now\(\) must return a number.*\(got NaN\)/],
  ['a TokenBucket capacity of -1', () => new TokenBucket({ capacity: -1, refillPerSecond: 1 }), RangeError, 'ERR_OUT_OF_RANGE', /capacity must be a finite number > 0 \(got -1\)/],
  ["a TokenBucket capacity of '10'", () => new TokenBucket({ capacity: loose('10'), refillPerSecond: 1 }), TypeError, 'ERR_INVALID_ARG_TYPE', /capacity must be a finite number > 0 \(got "10"\)/],
  ['a TokenBucket capacity of Infinity', () => new TokenBucket({ capacity: Infinity, refillPerSecond: 1 }), RangeError, 'ERR_OUT_OF_RANGE', /capacity must be a finite number > 0 \(got Infinity\)/],
  ['a TokenBucket refillPerSecond of NaN', () => new TokenBucket({ capacity: 1, refillPerSecond: Number.NaN }), RangeError, 'ERR_OUT_OF_RANGE', /refillPerSecond must be a finite number >= 0 \(got NaN\)/],
  ['a TokenBucket consume above capacity', () => new TokenBucket({ capacity: 10, refillPerSecond: 1 }).consume(11), RangeError, 'ERR_OUT_OF_RANGE', /cost 11 exceeds capacity 10/],
  ["a TokenBucket consume('x')", () => new TokenBucket({ capacity: 10, refillPerSecond: 1 }).consume(loose('x')), TypeError, 'ERR_INVALID_ARG_TYPE', /cost must be a number >= 0 or Infinity \(got "x"\)/],
  ['a RateLimiter maxKeys of 1.5', () => new RateLimiter({ maxKeys: 1.5 }), RangeError, 'ERR_OUT_OF_RANGE', /maxKeys must be an integer >= 1 \(got 1.5\)/],
  ["RateLimiter.configure(key, { capacity: '5' })", () => new RateLimiter().configure('k', { capacity: loose('5') }), TypeError, 'ERR_INVALID_ARG_TYPE', /k: capacity must be a finite number > 0 \(got "5"\)/],
  ['a BoundedQueue sizeOf returning NaN', () => new BoundedQueue<number>({ sizeOf: () => Number.NaN }).push(1), RangeError, 'ERR_INVALID_RETURN_VALUE', /sizeOf must return a finite number >= 0 \(got NaN\)/],
  ["an unknown LoadMonitor weight 'cpuu'", () => new LoadMonitor({ weights: loose({ cpuu: 1 }) }), TypeError, 'ERR_UNKNOWN_OPTION', /new LoadMonitor: unknown option 'cpuu' in weights — did you mean 'cpu'\?/],
  ['a LoadMonitor intervalMs of 2 ** 31', () => new LoadMonitor({ intervalMs: 2 ** 31 }), RangeError, 'ERR_OUT_OF_RANGE', /intervalMs must be a number from 1 to 2147483647 \(got 2147483648\)/],
  ["a LoadMonitor weight of '1'", () => new LoadMonitor({ weights: { cpu: loose('1') } }), TypeError, 'ERR_INVALID_ARG_TYPE', /weights\.cpu must be a finite number >= 0 \(got "1"\)/],
  ['a Batcher maxDelayMs of 2 ** 31', () => new Batcher({ flush, maxDelayMs: 2 ** 31 }), RangeError, 'ERR_OUT_OF_RANGE', /maxDelayMs must be a number from 0 to 2147483647 \(got 2147483648\)/],
  ['a Batcher maxItems of 0', () => new Batcher({ flush, maxItems: 0 }), RangeError, 'ERR_OUT_OF_RANGE', /maxItems must be an integer >= 1 \(got 0\)/],
  ["a Batcher maxBytes of '100'", () => new Batcher({ flush, maxBytes: loose('100') }), TypeError, 'ERR_INVALID_ARG_TYPE', /maxBytes must be a number > 0 or Infinity \(got "100"\)/],
  ['a Batcher without flush', () => new Batcher(loose({ maxItems: 5 })), TypeError, 'ERR_INVALID_ARG_TYPE', /flush must be a function \(got undefined\)/],
  ["a Batcher priority 'urgent'", () => new Batcher({ flush }).add(1, loose('urgent')), RangeError, 'ERR_INVALID_ARG_VALUE', /priority must be 'high', 'normal', 'low' or a number \(got "urgent"\)/],
  ['a Batcher sizeOf returning -1', () => new Batcher<number>({ flush, sizeOf: () => -1 }).add(1), RangeError, 'ERR_INVALID_RETURN_VALUE', /sizeOf must return a finite number >= 0 \(got -1\)/],
  ["Batcher.close({ drain: 'yes' })", () => new Batcher({ flush }).close({ drain: loose('yes') }), TypeError, 'ERR_INVALID_ARG_TYPE', /drain must be a boolean \(got "yes"\)/],
  ['a BackpressureManager maxQueues of -1', () => new BackpressureManager({ maxQueues: -1 }), RangeError, 'ERR_OUT_OF_RANGE', /maxQueues must be an integer >= 0 or Infinity \(got -1\)/],
  [
    'a BackpressureManager queue past maxQueues',
    () => {
      const manager = new BackpressureManager({ maxQueues: 1 });
      manager.open('a');
      manager.open('b');
    },
    RangeError,
    'ERR_BOUND_REACHED',
    /cannot open queue "b": maxQueues \(1\) queues are already open/,
  ],
  ['a BroadcastMetrics sizeOf that is not a function', () => new BroadcastMetrics(new PubSubBroker(), { sizeOf: loose(5) }), TypeError, 'ERR_INVALID_ARG_TYPE', /sizeOf must be a function \(got 5\)/],
  ["a BroadcastMetrics prefix 'a-b'", () => new BroadcastMetrics(new PubSubBroker(), { prefix: 'a-b' }), TypeError, 'ERR_INVALID_ARG_VALUE', /prefix must be a string matching .* \(got "a-b"\)/],
  ['a BroadcastMetrics report every 0 ms', () => new BroadcastMetrics(new PubSubBroker()).report(0), RangeError, 'ERR_OUT_OF_RANGE', /intervalMs must be a number from 1 to 2147483647 \(got 0\)/],
  ["a TopicTrie preset 'amqp'", () => new TopicTrie({ syntax: loose('amqp') }), RangeError, 'ERR_INVALID_ARG_VALUE', /syntax preset must be 'default', 'mqtt' or 'nats' \(got "amqp"\)/],
  ['a TopicTrie syntax of 5', () => new TopicTrie({ syntax: loose(5) }), TypeError, 'ERR_INVALID_ARG_TYPE', /syntax must be 'default', 'mqtt', 'nats' or an object \(got 5\)/],
  ["a TopicTrie separator ''", () => new TopicTrie({ syntax: { separator: '' } }), RangeError, 'ERR_INVALID_ARG_VALUE', /syntax\.separator must be a non-empty string \(got ""\)/],
  ['a TopicTrie wildcard that contains the separator', () => new TopicTrie({ syntax: { separator: '/', singleLevelWildcard: '/*' } }), RangeError, 'ERR_INVALID_ARG_VALUE', /must not contain each other/],
  ['a TopicTrie maxLevels of 0', () => new TopicTrie({ maxLevels: 0 }), RangeError, 'ERR_OUT_OF_RANGE', /maxLevels must be an integer >= 1 \(got 0\)/],
  ["a TopicTrie cacheSize of '10'", () => new TopicTrie({ cacheSize: loose('10') }), TypeError, 'ERR_INVALID_ARG_TYPE', /cacheSize must be an integer >= 0 \(got "10"\)/],
  ['a topic that is not a string', () => new TopicTrie().match(loose(42)), TopicError, 'ERR_INVALID_TOPIC', /topic must be a string \(got 42\)/],
  ['new PubSubBroker(null)', () => new PubSubBroker(loose(null)), TypeError, 'ERR_INVALID_ARG_TYPE', /^new PubSubBroker: options must be an object \(got null\)$/],
  ["new PubSubBroker('x')", () => new PubSubBroker(loose('x')), TypeError, 'ERR_INVALID_ARG_TYPE', /^new PubSubBroker: options must be an object \(got "x"\)$/],
  ["a PubSubBroker cacheSize of '10'", () => new PubSubBroker({ cacheSize: loose('10') }), TypeError, 'ERR_INVALID_ARG_TYPE', /cacheSize must be an integer >= 0 \(got "10"\)/],
  ['a PubSubBroker maxPublishDepth of NaN', () => new PubSubBroker({ maxPublishDepth: Number.NaN }), RangeError, 'ERR_OUT_OF_RANGE', /maxPublishDepth must be an integer >= 1 \(got NaN\)/],
  ["a subscriber queue maxItems of '10'", () => new PubSubBroker().subscribe('a', flush, { queue: { maxItems: loose('10') } }), TypeError, 'ERR_INVALID_ARG_TYPE', /maxItems must be an integer >= 1 \(got "10"\)/],
  ['a BoundedQueue maxItems of -1', () => new BoundedQueue({ maxItems: -1 }), RangeError, 'ERR_OUT_OF_RANGE', /maxItems must be an integer >= 1 \(got -1\)/],
  ["a BoundedQueue policy 'drop-all'", () => new BoundedQueue({ policy: loose('drop-all') }), RangeError, 'ERR_INVALID_ARG_VALUE', /policy must be one of .* \(got "drop-all"\)/],
  ['a Router rule that is null', () => new Router([loose(null)]), TypeError, 'ERR_INVALID_ARG_TYPE', /new Router: rule must be an object \(got null\)/],
  ['a Router rule with the g flag', () => new Router([{ match: /x/g, to: 't' }]), TypeError, 'ERR_INVALID_ARG_VALUE', /match must not use the g or y flag/],
  ["a subscribe handler that is 'x'", () => new PubSubBroker().subscribe('a', loose('x')), TypeError, 'ERR_INVALID_ARG_TYPE', /handler must be a function \(got "x"\)/],
  ["a subscribe signal of 'x'", () => new PubSubBroker().subscribe('a', flush, { signal: loose('x') }), TypeError, 'ERR_INVALID_ARG_TYPE', /signal must be an AbortSignal \(got "x"\)/],
  ['a subscribe owner of 5', () => new PubSubBroker().subscribe('a', flush, { owner: loose(5) }), TypeError, 'ERR_INVALID_ARG_TYPE', /owner must be an object \(got 5\)/],
  ['a stream signal that is an object', () => new PubSubBroker().stream('a', { signal: loose({}) }), TypeError, 'ERR_INVALID_ARG_TYPE', /signal must be an AbortSignal \(got an object\)/],
  ["close({ drain: 'yes' })", () => new PubSubBroker().close({ drain: loose('yes') }), TypeError, 'ERR_INVALID_ARG_TYPE', /drain must be a boolean/],
];

describe('inputs that used to pass in silence', () => {
  for (const [what, act, type, code, message] of refused) {
    it(`refuses ${what}`, () => {
      let caught: unknown;
      try {
        act();
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(type);
      expect(String((caught as Error).message)).toMatch(message);
      if (typeof code === 'string') expect((caught as { code?: unknown }).code).toBe(code);
    });
  }

  it("rejects Batcher.drain({ timeoutMs: -1 }) with a coded RangeError, and drain({ timeout: 5 }) with the option's name", async () => {
    const batcher = new Batcher({ flush });
    await expect(batcher.drain({ timeoutMs: -1 })).rejects.toMatchObject({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    await expect(batcher.drain(loose({ timeout: 5 }))).rejects.toThrowError(/Batcher\.drain: unknown option 'timeout' — did you mean 'timeoutMs'\?/);
  });

  it('refuses a timeout past the longest delay a timer honours (2147483647 ms) and takes Infinity as none', async () => {
    const broker = new PubSubBroker();
    const tooLong = { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: 'timeoutMs must be a number from 0 to 2147483647 or Infinity (got 2147483648)' };
    await expect(broker.drain({ timeoutMs: 2 ** 31 })).rejects.toMatchObject(tooLong);
    await expect(broker.nextMessage('a', { timeoutMs: 2 ** 31 })).rejects.toMatchObject(tooLong);
    await expect(new Batcher({ flush }).drain({ timeoutMs: 2 ** 31 })).rejects.toMatchObject(tooLong);
    expect(() => broker.close({ drain: false, timeoutMs: 2 ** 31 })).toThrowError(tooLong.message);
    expect(broker.closed).toBe(false);
    await expect(broker.drain({ timeoutMs: Infinity })).resolves.toBeUndefined();
    await expect(broker.drain({ timeoutMs: 2 ** 31 - 1 })).resolves.toBeUndefined();
  });

  it("rejects nextMessage with a signal that is not an AbortSignal, and leaves no subscription behind", async () => {
    const broker = new PubSubBroker();
    await expect(broker.nextMessage('a', { signal: loose('x') })).rejects.toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: 'signal must be an AbortSignal (got "x")' });
    expect(broker.stats().subscriptions).toBe(0);
  });

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
