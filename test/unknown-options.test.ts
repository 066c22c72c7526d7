/**
 * A typo is an error, not a no-op: every options object the public API takes refuses a key it
 * does not know, naming the nearest known one, and refuses a value that is not an object.
 * One row per options object and call.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
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
  TopicTrie,
} from '../src/index.js';
import { resolveTopicSyntax } from '../src/adapter.js';
import { BACKPRESSURE_OPTION_KEYS } from '../src/flow/backpressure.js';
import { BATCHER_OPTION_KEYS } from '../src/flow/batcher.js';
import { BOUNDED_QUEUE_OPTION_KEYS } from '../src/flow/bounded-queue-keys.js';
import { RATE_LIMITER_OPTION_KEYS, RATE_LIMIT_KEYS } from '../src/flow/rate-limiter.js';
import { TOKEN_BUCKET_OPTION_KEYS } from '../src/flow/token-bucket.js';
import { checkOptions, nearestKey, optionKeys, type OptionKeys } from '../src/internal/options.js';
import { CLOSE_OPTION_KEYS, DRAIN_OPTION_KEYS } from '../src/lifecycle.js';
import {
  BROKER_OPTION_KEYS,
  NEXT_MESSAGE_OPTION_KEYS,
  PUBLISH_CHUNKED_OPTION_KEYS,
  STREAM_OPTION_KEYS,
  SUBSCRIBE_OPTION_KEYS,
  SUBSCRIPTION_QUEUE_OPTION_KEYS,
} from '../src/broker/broker-options.js';
import { ROUTE_RULE_KEYS } from '../src/broker/router.js';
import { OUTBOX_OPTION_KEYS } from '../src/bridge/options.js';
import { READY_OPTION_KEYS } from '../src/bridge/ready-gate.js';
import { LOAD_MONITOR_OPTION_KEYS, LOAD_WEIGHT_KEYS } from '../src/flow/load-monitor.js';
import { NatsBridge } from '../src/nats/index.js';
import { CHANNEL_MAP_OPTION_KEYS } from '../src/redis/channel-map.js';
import { ChannelMap, RedisBridge, RedisShardedBridge, RedisStreamBridge } from '../src/redis/index.js';
import { METRICS_OPTION_KEYS } from '../src/metrics/metrics.js';
import { SYNTAX_OPTION_KEYS, TOPIC_OPTION_KEYS } from '../src/topics/topic.js';
import { TOPIC_TRIE_OPTION_KEYS } from '../src/topics/topic-trie.js';

type Options = Record<string, unknown>;
const fn = (): void => undefined;

interface Row {
  /** The exported options types this row covers. */
  types: string[];
  /** The call, as its messages name it (`'new TokenBucket'`); `''` for a nested object. */
  where: string;
  /** Makes the call with this options value (what the call needs besides is filled in here). */
  make: (options: unknown) => unknown;
  /** What the call needs in its options (e.g. Batcher's `flush`), merged under every case. */
  base?: Options;
  /** A misspelled key and the one it should suggest. */
  typo: [given: string, meant: string];
  /** The declared key list: every key in it must be accepted (with `undefined`: the default). */
  keys?: OptionKeys<unknown>;
  /** Non-objects the call refuses with a TypeError; a nested option may treat some as a shorthand. */
  notObjects?: unknown[];
}

/** Rethrows anything but a `TimeoutError`: for a call that waits, timing out means it got past the check. */
const unlessTimeout = (error: unknown): void => {
  if ((error as { code?: unknown }).code !== 'ERR_TIMEOUT') throw error;
};

/** The least a Redis connection must have for a bridge to start: nothing answers. */
const fakeRedis = (): { publisher: object; subscriber: object } => {
  const connection = (): object => ({
    status: 'ready',
    on: fn,
    off: fn,
    publish: () => Promise.resolve(0),
    subscribe: () => Promise.resolve(0),
    unsubscribe: () => Promise.resolve(0),
  });
  return { publisher: connection(), subscriber: connection() };
};

/** Closes a bridge that was made, so a row that gets past the check leaves nothing running. */
const closed = (bridge: RedisBridge<unknown>): Promise<void> => bridge.close();

/** Runs `act` on a bridge over fake connections and closes the bridge, whatever `act` did. */
async function withBridge(act: (bridge: RedisBridge<unknown>) => Promise<void>): Promise<void> {
  const bridge = new RedisBridge(new PubSubBroker(), fakeRedis() as never);
  try {
    await act(bridge);
  } finally {
    await bridge.close();
  }
}

const rows: Row[] = [
  { types: ['TopicTrieOptions'], where: 'new TopicTrie', make: (o) => new TopicTrie(o as never), typo: ['sytnax', 'syntax'], keys: TOPIC_TRIE_OPTION_KEYS },
  { types: ['TopicSyntaxOptions'], where: '', make: (o) => new TopicTrie({ syntax: o as never }), typo: ['seperator', 'separator'], keys: SYNTAX_OPTION_KEYS, notObjects: [5, []] },
  { types: ['TopicOptions'], where: 'resolveTopicSyntax', make: (o) => resolveTopicSyntax(o as never), typo: ['maxLevel', 'maxLevels'], keys: TOPIC_OPTION_KEYS },
  { types: ['TokenBucketOptions'], where: 'new TokenBucket', make: (o) => new TokenBucket(o as never), base: { capacity: 1, refillPerSecond: 1 }, typo: ['refilPerSecond', 'refillPerSecond'], keys: TOKEN_BUCKET_OPTION_KEYS, notObjects: [undefined, null, 'x', 5, [], fn] },
  { types: ['RateLimiterOptions'], where: 'new RateLimiter', make: (o) => new RateLimiter(o as never), typo: ['capacty', 'capacity'], keys: RATE_LIMITER_OPTION_KEYS },
  { types: ['RateLimit'], where: 'RateLimiter.configure', make: (o) => new RateLimiter().configure('k', o as never), typo: ['initalTokens', 'initialTokens'], keys: RATE_LIMIT_KEYS },
  { types: ['BatcherOptions'], where: 'new Batcher', make: (o) => new Batcher(o as never), base: { flush: fn }, typo: ['maxItem', 'maxItems'], keys: BATCHER_OPTION_KEYS, notObjects: [undefined, null, 'x', 5, [], fn] },
  { types: ['DrainOptions'], where: 'Batcher.drain', make: (o) => new Batcher({ flush: fn }).drain(o as never), typo: ['timeout', 'timeoutMs'], keys: DRAIN_OPTION_KEYS },
  { types: ['CloseOptions'], where: 'Batcher.close', make: (o) => new Batcher({ flush: fn }).close(o as never), typo: ['drian', 'drain'], keys: CLOSE_OPTION_KEYS },
  { types: ['BackpressureOptions'], where: 'new BackpressureManager', make: (o) => new BackpressureManager(o as never), typo: ['maxItem', 'maxItems'], keys: BACKPRESSURE_OPTION_KEYS },
  { types: ['BoundedQueueOptions'], where: 'BackpressureManager.open', make: (o) => new BackpressureManager().open('k', o as never), typo: ['lowWaterItem', 'lowWaterItems'], keys: BOUNDED_QUEUE_OPTION_KEYS, notObjects: [null, 'x', 5, [], fn] },
  { types: ['MetricsOptions'], where: 'new BroadcastMetrics', make: (o) => new BroadcastMetrics(new PubSubBroker(), o as never), typo: ['samplEvery', 'sampleEvery'], keys: METRICS_OPTION_KEYS },

  { types: ['BrokerOptions'], where: 'new PubSubBroker', make: (o) => new PubSubBroker(o as never), typo: ['cachesize', 'cacheSize'], keys: BROKER_OPTION_KEYS },
  { types: ['SubscribeOptions'], where: 'subscribe', make: (o) => new PubSubBroker().subscribe('a', fn, o as never), typo: ['singal', 'signal'], keys: SUBSCRIBE_OPTION_KEYS },
  { types: ['SubscriptionQueueOptions'], where: 'subscribe', make: (o) => new PubSubBroker().subscribe('a', fn, { queue: o as never }), typo: ['maxItem', 'maxItems'], keys: SUBSCRIPTION_QUEUE_OPTION_KEYS, notObjects: [null, 'x', 5, []] },
  { types: ['StreamOptions'], where: 'stream', make: (o) => new PubSubBroker().stream('a', o as never), typo: ['maxItem', 'maxItems'], keys: STREAM_OPTION_KEYS },
  { types: ['PublishChunkedOptions'], where: 'publishChunked', make: (o) => new PubSubBroker().publishChunked('a', 1, o as never), typo: ['chunksize', 'chunkSize'], keys: PUBLISH_CHUNKED_OPTION_KEYS },
  // A short timeout, so that a call the check lets through settles; its TimeoutError is success here.
  { types: ['NextMessageOptions'], where: 'nextMessage', make: (o) => new PubSubBroker().nextMessage('a', o as never).catch(unlessTimeout), base: { timeoutMs: 1 }, typo: ['singal', 'signal'], keys: NEXT_MESSAGE_OPTION_KEYS },
  { types: ['DrainOptions'], where: 'drain', make: (o) => new PubSubBroker().drain(o as never), typo: ['timeout', 'timeoutMs'], keys: DRAIN_OPTION_KEYS },
  { types: ['CloseOptions'], where: 'close', make: (o) => new PubSubBroker().close(o as never), typo: ['drian', 'drain'], keys: CLOSE_OPTION_KEYS },
  { types: ['BoundedQueueOptions'], where: 'new BoundedQueue', make: (o) => new BoundedQueue(o as never), typo: ['maxItem', 'maxItems'], keys: BOUNDED_QUEUE_OPTION_KEYS },
  { types: ['LoadMonitorOptions'], where: 'new LoadMonitor', make: (o) => new LoadMonitor(o as never), typo: ['intervalMS', 'intervalMs'], keys: LOAD_MONITOR_OPTION_KEYS },
  { types: ['LoadWeights'], where: 'new LoadMonitor', make: (o) => new LoadMonitor({ weights: o as never }), typo: ['cpuu', 'cpu'], keys: LOAD_WEIGHT_KEYS, notObjects: [null, 'x', 5, []] },
  { types: ['RouteRule'], where: 'new Router', make: (o) => new Router([o as never]), base: { to: 'x' }, typo: ['mach', 'match'], keys: ROUTE_RULE_KEYS },
  { types: ['RouteRule'], where: 'Router.add', make: (o) => new Router().add(o as never), base: { to: 'x' }, typo: ['feild', 'field'], keys: ROUTE_RULE_KEYS },
  // The bridges check their keys before anything else (no client is needed to refuse a typo).
  { types: ['RedisBridgeOptions', 'BridgeOptions'], where: 'new RedisBridge', make: (o) => new RedisBridge(new PubSubBroker(), o as never), typo: ['nodeID', 'nodeId'] },
  { types: ['OutboxOptions'], where: 'new RedisBridge', make: (o) => closed(new RedisBridge(new PubSubBroker(), { ...fakeRedis(), outbox: o } as never)), typo: ['maxByte', 'maxBytes'], keys: OUTBOX_OPTION_KEYS, notObjects: [null, 'x', 5, []] },
  { types: ['RedisStreamBridgeOptions'], where: 'new RedisStreamBridge', make: (o) => new RedisStreamBridge(new PubSubBroker(), o as never), typo: ['nodeID', 'nodeId'] },
  { types: ['ChannelMapOptions'], where: 'new ChannelMap', make: (o) => new ChannelMap(o as never), typo: ['prefx', 'prefix'], keys: CHANNEL_MAP_OPTION_KEYS },
  { types: ['ReadyOptions'], where: 'ready', make: (o) => withBridge((bridge) => bridge.ready(o as never)), typo: ['timeout', 'timeoutMs'], keys: READY_OPTION_KEYS },
  { types: ['ChannelBridgeOptions', 'RedisShardedBridgeOptions'], where: 'new RedisShardedBridge', make: (o) => new RedisShardedBridge(new PubSubBroker(), o as never), typo: ['nodeID', 'nodeId'] },
  { types: ['NatsBridgeOptions'], where: 'new NatsBridge', make: (o) => new NatsBridge(new PubSubBroker(), o as never), typo: ['nodeID', 'nodeId'] },
];

/** Options interfaces that no public call takes from a caller. */
const NOT_TAKEN: Record<string, string> = {
  BoundedMapOptions: 'internal: every cache builds its own',
  ResolvedBridgeOptions: 'the bridges resolve their options into it; never given by a caller',
};

/** The error a call ends with, thrown or as a rejected promise; `undefined` when it succeeds. */
async function outcome(act: () => unknown): Promise<unknown> {
  try {
    const result = act();
    if (result instanceof Promise) await result;
    return undefined;
  } catch (error) {
    return error;
  }
}

function title(row: Row): string {
  return `${row.types.join(' / ')} (${row.where === '' ? 'nested' : row.where})`;
}

describe('unknown options', () => {
  for (const row of rows) {
    const { make, typo, base = {} } = row;
    describe(title(row), () => {
      it(`refuses '${typo[0]}' and suggests '${typo[1]}'`, async () => {
        const error = await outcome(() => make({ ...base, [typo[0]]: 5 }));
        expect(error).toBeInstanceOf(TypeError);
        expect(error).toMatchObject({ code: 'ERR_UNKNOWN_OPTION' });
        const message = (error as Error).message;
        expect(message).toContain(`unknown option '${typo[0]}'`);
        expect(message).toContain(`did you mean '${typo[1]}'?`);
        if (row.where !== '') expect(message.startsWith(`${row.where}: `)).toBe(true);
      });

      it('refuses an unknown key whose value is undefined, and lists the known keys when none is near', async () => {
        const error = await outcome(() => make({ ...base, zzzzzzzzzz: undefined }));
        expect(error).toMatchObject({ name: 'TypeError', code: 'ERR_UNKNOWN_OPTION' });
        expect((error as Error).message).toMatch(/unknown option 'zzzzzzzzzz'.*\(known: '/);
      });

      it('refuses values that are not an options object', async () => {
        for (const value of row.notObjects ?? [null, 'x', 5, []]) {
          const error = await outcome(() => make(value));
          expect(error, `options ${String(value)}`).toBeInstanceOf(TypeError);
          expect(error).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
        }
      });

      if (row.keys !== undefined) {
        const keys = Object.keys(row.keys).filter((key) => !(key in base));
        it(`accepts each declared key left undefined (${keys.join(', ')})`, async () => {
          for (const key of keys) expect(await outcome(() => make({ ...base, [key]: undefined })), key).toBeUndefined();
        });
      }
    });
  }

  it('has a row for every options interface in src/', () => {
    const declared = new Set<string>();
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (name.endsWith('.ts')) {
          for (const match of readFileSync(path, 'utf8').matchAll(/export (?:interface|type) (\w+Options)\b/g)) declared.add(match[1]);
        }
      }
    };
    walk(join(import.meta.dirname, '..', 'src'));
    const covered = new Set(rows.flatMap((row) => row.types));
    const missing = [...declared].filter((name) => !covered.has(name) && !Object.hasOwn(NOT_TAKEN, name));
    expect(missing).toEqual([]);
  });
});

describe('the shared check', () => {
  it('suggests a key in another case first, then the nearest by edits, and nothing when none is near', () => {
    const known = ['cacheSize', 'maxItems', 'maxBytes', 'signal', 'syntax', 'timeoutMs', 'queue'];
    expect(nearestKey('cachesize', known)).toBe('cacheSize');
    expect(nearestKey('CACHESIZE', known)).toBe('cacheSize');
    expect(nearestKey('maxItem', known)).toBe('maxItems');
    expect(nearestKey('singal', known)).toBe('signal');
    expect(nearestKey('sytnax', known)).toBe('syntax');
    expect(nearestKey('timeout', known)).toBe('timeoutMs');
    expect(nearestKey('queu', known)).toBe('queue');
    expect(nearestKey('max', known)).toBeUndefined();
    expect(nearestKey('capacity', known)).toBeUndefined();
  });

  it("names the call and the option: new PubSubBroker: unknown option 'cachesize' — did you mean 'cacheSize'?", () => {
    const keys = optionKeys<{ cacheSize?: number; syntax?: string }>({ cacheSize: true, syntax: true });
    expect(() => checkOptions('new PubSubBroker', { cachesize: 10 }, keys as never)).toThrowError(
      "new PubSubBroker: unknown option 'cachesize' — did you mean 'cacheSize'?",
    );
    expect(() => checkOptions('subscribe', { maxItem: 5 }, keys as never, 'queue')).toThrowError(
      "subscribe: unknown option 'maxItem' in queue (known: 'cacheSize', 'syntax')",
    );
  });

  it("refuses new PubSubBroker(null) and new PubSubBroker('x') with a clear TypeError (the check the broker will call)", () => {
    const keys = optionKeys<{ cacheSize?: number }>({ cacheSize: true });
    for (const [value, shown] of [
      [null, 'null'],
      ['x', '"x"'],
      [5, '5'],
      [[], 'an array'],
      [fn, 'a function'],
      [undefined, 'undefined'],
    ] as const) {
      let caught: unknown;
      try {
        checkOptions('new PubSubBroker', value, keys);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(TypeError);
      expect(caught).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE', message: `new PubSubBroker: options must be an object (got ${shown})` });
    }
  });

  it('accepts objects without a prototype and class instances, reading own keys only', () => {
    const keys = optionKeys<{ a?: number }>({ a: true });
    expect(() => checkOptions('f', Object.assign(Object.create(null) as object, { a: 1 }), keys)).not.toThrow();
    expect(() => checkOptions('f', Object.create({ inherited: 1 }) as object, keys)).not.toThrow();
  });

  it('makes TypeScript refuse a key list that misses a field or names one the type lacks', () => {
    interface Two {
      a?: number;
      b: string;
    }
    // @ts-expect-error 'b' is missing: adding a field to an options type without listing it fails to compile.
    optionKeys<Two>({ a: true });
    // @ts-expect-error 'c' is not a field of Two.
    optionKeys<Two>({ a: true, b: true, c: true });
    expectTypeOf(optionKeys<Two>({ a: true, b: true })).toEqualTypeOf<OptionKeys<Two>>();
  });
});
