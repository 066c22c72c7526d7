import { EventEmitter } from 'node:events';
import { PubSubBroker, TopicError } from 'logcaster';
import {
  RedisBridge,
  RedisStreamBridge,
  type DisconnectInfo,
  type RedisBridgeOptions,
  type RedisPublisherClient,
  type RedisSubscriberClient,
} from 'logcaster/redis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RedisBridgeError } from 'logcaster/redis';
import { decodeEnvelope } from '../../src/bridge/envelope.js';
import { captureWarnings } from '../helpers/warnings.js';

/** A stand-in for an ioredis connection: its status and events are driven by the test. */
class FakeConnection extends EventEmitter {
  status = 'ready';
  readonly published: Array<[string, Buffer]> = [];
  readonly commands: string[][] = [];

  publish(channel: string, message: Buffer): Promise<number> {
    this.published.push([channel, message]);
    return Promise.resolve(1);
  }

  subscribe(...channels: string[]): Promise<number> {
    this.commands.push(['SUBSCRIBE', ...channels]);
    return Promise.resolve(channels.length);
  }

  unsubscribe(...channels: string[]): Promise<number> {
    this.commands.push(['UNSUBSCRIBE', ...channels]);
    return Promise.resolve(0);
  }

  /** What `callBuffer` answers (by command name); unanswered commands never settle. */
  readonly answers = new Map<string, (args: string[]) => unknown>();

  callBuffer(command: string, ...args: Array<string | number | Buffer>): Promise<unknown> {
    const strings = args.map(String);
    this.commands.push([command, ...strings]);
    const answer = this.answers.get(command);
    return answer === undefined ? new Promise(() => undefined) : Promise.resolve(answer(strings));
  }

  goDown(): void {
    this.status = 'reconnecting';
    this.emit('close');
  }

  comeBack(): void {
    this.status = 'ready';
    this.emit('ready');
  }
}

const setup = (options: { maxItems?: number } = {}) => {
  const broker = new PubSubBroker<{ n: number }>();
  const publisher = new FakeConnection();
  const subscriber = new FakeConnection();
  const bridge = new RedisBridge(broker, {
    publisher,
    subscriber,
    nodeId: 'node-a',
    outbox: options.maxItems === undefined ? {} : { maxItems: options.maxItems },
  });
  return { broker, publisher, subscriber, bridge };
};

const seqs = (publisher: FakeConnection): number[] => publisher.published.map(([, data]) => decodeEnvelope(data).seq);

describe('RedisBridge while Redis is away (fake clients)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps publishes in the outbox while the publisher is down and sends them in order when it is back', () => {
    const { publisher, bridge } = setup();
    bridge.publish('logs/a', { n: 1 });
    publisher.goDown();
    for (let n = 2; n <= 5; n++) expect(() => bridge.publish('logs/a', { n })).not.toThrow();
    expect(publisher.published).toHaveLength(1);
    expect(bridge.stats()).toMatchObject({ outboxPending: 4, sent: 1 });
    publisher.comeBack();
    bridge.publish('logs/a', { n: 6 });
    expect(seqs(publisher)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(bridge.stats()).toMatchObject({ outboxPending: 0, sent: 6, published: 6 });
  });

  it('drops the oldest messages of a full outbox, counted and reported', () => {
    const { publisher, bridge } = setup({ maxItems: 3 });
    const drops: Array<[number, string]> = [];
    bridge.on('drop', (count, reason) => drops.push([count, reason]));
    publisher.goDown();
    for (let n = 1; n <= 5; n++) bridge.publish('logs/a', { n });
    expect(drops).toEqual([
      [1, 'drop-oldest'],
      [1, 'drop-oldest'],
    ]);
    publisher.comeBack();
    expect(seqs(publisher)).toEqual([3, 4, 5]);
    expect(bridge.stats()).toMatchObject({ outboxDropped: 2, outboxPending: 0 });
  });

  it('tells a connection Redis cut off (the other stayed up) from Redis going away', async () => {
    const { broker, publisher, subscriber, bridge } = setup();
    broker.subscribe('logs/#', () => undefined);
    await bridge.ready();
    vi.useFakeTimers();
    const downs: DisconnectInfo[] = [];
    bridge.on('disconnect', (info) => downs.push(info));
    const ups: string[] = [];
    bridge.on('reconnect', (info) => ups.push(info.connection));

    subscriber.goDown();
    vi.advanceTimersByTime(100);
    expect(downs.map((d) => [d.connection, d.reason])).toEqual([['subscriber', 'killed']]);
    subscriber.comeBack();
    expect(ups).toEqual(['subscriber']);
    // The client restores its subscriptions itself; the bridge repeats them for clients that do not.
    expect(subscriber.commands).toHaveLength(2);
    expect(subscriber.commands[1]).toEqual(subscriber.commands[0]);

    subscriber.goDown();
    vi.advanceTimersByTime(10);
    publisher.goDown();
    vi.advanceTimersByTime(100);
    expect(downs.slice(1).map((d) => `${d.connection} ${d.reason}`).sort()).toEqual(['publisher lost', 'subscriber lost']);
    subscriber.emit('end');
    expect(bridge.stats()).toMatchObject({ disconnects: 3, reconnects: 1 });
  });

  it('never throws into the publisher when the client throws or rejects', async () => {
    const { publisher, bridge } = setup();
    const errors: unknown[] = [];
    bridge.on('error', (error) => errors.push(error));
    publisher.publish = () => {
      throw new Error('sync failure');
    };
    expect(() => bridge.publish('logs/a', { n: 1 })).not.toThrow();
    publisher.publish = () => Promise.reject(new Error('async failure'));
    expect(() => bridge.publish('logs/a', { n: 2 })).not.toThrow();
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors.map((e) => (e as Error).message)).toEqual(['sync failure', 'async failure']);
    expect(bridge.stats().sendErrors).toBe(2);
  });

  it('throws for the caller\'s own mistakes before delivering or sending anything', () => {
    const { broker, publisher, bridge } = setup();
    const got: unknown[] = [];
    broker.subscribe('#', (m) => void got.push(m));
    expect(() => bridge.publish('logs/#', { n: 1 })).toThrow(TopicError);
    expect(() => bridge.publish('logs/a', undefined as unknown as { n: number })).toThrow(/no JSON form/);
    expect(got).toEqual([]);
    expect(publisher.published).toEqual([]);
  });

  it('batches the subscriptions made in one tick into one SUBSCRIBE', async () => {
    const { broker, subscriber, bridge } = setup();
    broker.subscribe('a/b/c', () => undefined);
    broker.subscribe('d/e', () => undefined);
    broker.subscribe('a/b/#', () => undefined);
    await bridge.ready();
    expect(subscriber.commands).toHaveLength(1);
    expect(subscriber.commands[0]).toHaveLength(3);
  });
});

describe('bridge options', () => {
  const broker = new PubSubBroker<unknown>();
  const clients = (): { publisher: RedisPublisherClient; subscriber: RedisSubscriberClient } => ({
    publisher: new FakeConnection(),
    subscriber: new FakeConnection(),
  });

  it('are checked in the constructor, naming the field and value', () => {
    expect(() => new RedisBridge(broker, { ...clients(), nodeId: '' })).toThrow(/nodeId must be a non-empty string/);
    expect(() => new RedisBridge(broker, { ...clients(), nodeId: 'x'.repeat(256) })).toThrow(/nodeId must be at most 255 bytes/);
    expect(() => new RedisBridge(broker, { ...clients(), outbox: { maxItems: 0 } })).toThrow(/outbox.maxItems must be an integer >= 1 \(got 0\)/);
    expect(() => new RedisBridge(broker, { ...clients(), outbox: { maxBytes: -1 } })).toThrow(/outbox.maxBytes/);
    expect(
      () => new RedisBridge(broker, { ...clients(), outbox: { policy: 'disconnect' as 'drop-oldest' } }),
    ).toThrow(/outbox.policy must be 'drop-oldest' or 'drop-newest' \(got "disconnect"\)/);
    expect(() => new RedisBridge(broker, { ...clients(), maxOrigins: 0 })).toThrow(/maxOrigins must be an integer >= 1/);
    expect(() => new RedisBridge(broker, { ...clients(), channels: 0 })).toThrow(/channels must be/);
    const one = new FakeConnection();
    expect(() => new RedisBridge(broker, { publisher: one, subscriber: one })).toThrow(/two connections/);
    expect(
      () => new RedisBridge(broker, { publisher: {} as RedisPublisherClient, subscriber: new FakeConnection() }),
    ).toThrow(/publisher must have a on\(\) method/);
    const reader = new FakeConnection();
    expect(() => new RedisStreamBridge(broker, { publisher: new FakeConnection(), reader, maxLen: 0 })).toThrow(
      /maxLen must be an integer >= 1 \(got 0\)/,
    );
    expect(() => new RedisStreamBridge(broker, { publisher: new FakeConnection(), reader, blockMs: 0.5 })).toThrow(
      /blockMs must be an integer from 1 to 2147483647 \(got 0.5\)/,
    );
    expect(() => new RedisBridge(broker, { ...clients(), resubscribeGraceMs: -5 })).toThrow(
      expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: 'resubscribeGraceMs must be a number from 0 to 2147483647 (got -5)' }),
    );
    expect(() => new RedisBridge(broker, { ...clients(), channels: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new RedisBridge(broker, { ...clients(), nodeId: '' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });

  it("take outbox.limit, maxItems' old name, for one release: the same bound, a DeprecationWarning once, and an error with both", async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const publisher = new FakeConnection();
      const old = new RedisBridge(new PubSubBroker<{ n: number }>(), { publisher, subscriber: new FakeConnection(), outbox: { limit: 2 } });
      publisher.goDown();
      for (let n = 1; n <= 3; n++) old.publish('logs/a', { n });
      expect(old.stats().outboxDropped).toBe(1);
      await old.close();
      const again = new RedisBridge(new PubSubBroker<unknown>(), { ...clients(), outbox: { limit: 5 } });
      await again.close();
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/outbox\.limit is deprecated: use outbox\.maxItems/), {
        type: 'DeprecationWarning',
        code: 'LOGCASTER_DEP_OUTBOX_LIMIT',
      });
      expect(() => new RedisBridge(broker, { ...clients(), outbox: { limit: 5, maxItems: 5 } })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/give only maxItems/) }),
      );
      expect(() => new RedisBridge(broker, { ...clients(), outbox: { limit: 0 } })).toThrow(/outbox\.limit must be an integer >= 1 \(got 0\)/);
    } finally {
      warn.mockRestore();
    }
  });

  it('have no topics option: the syntax comes from the broker, so the two cannot disagree', () => {
    const mqtt = new PubSubBroker<unknown>({ syntax: 'mqtt' });
    // Not in the type any more: what a caller of an older version (or plain JS) would pass.
    const options = { ...clients(), topics: { singleLevelWildcard: '*' } } as RedisBridgeOptions<unknown>;
    expect(() => new RedisBridge(mqtt, options)).toThrow(/topics is not a bridge option: the bridge reads the topic syntax from broker.syntax/);
    expect(mqtt.publishTap).toBeUndefined();
    const bridge = new RedisBridge(mqtt, clients());
    expect(bridge.channelMap.syntax).toBe(mqtt.syntax);
    expect(bridge.channelMap.channelsOf('a/+/c')).toBe(-1);
    void bridge.close();
  });
});

describe('ready()', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves only once Redis acknowledged the SUBSCRIBE a new subscription needs', async () => {
    const { broker, subscriber, bridge } = setup();
    let acknowledge: (() => void) | undefined;
    subscriber.subscribe = (...channels: string[]) => {
      subscriber.commands.push(['SUBSCRIBE', ...channels]);
      return new Promise<number>((resolve) => (acknowledge = () => resolve(channels.length)));
    };
    await bridge.ready(); // nothing to wait for yet
    broker.subscribe('logs/a', () => undefined);
    let live = false;
    const ready = bridge.ready().then(() => (live = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(subscriber.commands).toHaveLength(1);
    expect(live).toBe(false);
    acknowledge?.();
    await ready;
    expect(live).toBe(true);
  });

  it('waits for the subscriber to come back and resubscribe after it went down', async () => {
    const { broker, subscriber, bridge } = setup();
    broker.subscribe('logs/a', () => undefined);
    await bridge.ready();
    subscriber.goDown();
    let live = false;
    const ready = bridge.ready().then(() => (live = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(live).toBe(false);
    subscriber.comeBack();
    await ready;
    expect(subscriber.commands.at(-1)?.[0]).toBe('SUBSCRIBE');
  });

  it('rejects with a typed error after timeoutMs, on abort, and when the bridge closes', async () => {
    const { broker, subscriber, bridge } = setup();
    subscriber.status = 'connecting';
    broker.subscribe('logs/a', () => undefined);
    await expect(bridge.ready({ timeoutMs: 20 })).rejects.toMatchObject({
      name: 'BridgeError',
      code: 'ERR_BRIDGE_READY_TIMEOUT',
      message: expect.stringMatching(/within 20 ms \(1 of 1 channels not acknowledged, 0 UNSUBSCRIBE\(s\) unanswered; subscriber connecting\)/),
    });
    const controller = new AbortController();
    const aborted = bridge.ready({ signal: controller.signal });
    controller.abort(new Error('gave up'));
    await expect(aborted).rejects.toThrow('gave up');
    const pending = bridge.ready();
    await bridge.close();
    await expect(pending).rejects.toBeInstanceOf(RedisBridgeError);
    await expect(pending).rejects.toMatchObject({ code: 'ERR_BRIDGE_CLOSED' });
    await expect(bridge.ready()).rejects.toMatchObject({ code: 'ERR_BRIDGE_CLOSED' });
    expect(() => bridge.ready({ timeoutMs: -1 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  it('resolves for a stream bridge once each needed stream has its starting cursor', async () => {
    const broker = new PubSubBroker<{ n: number }>();
    const publisher = new FakeConnection();
    const reader = new FakeConnection();
    let answer: ((reply: unknown) => void) | undefined;
    reader.callBuffer = (command: string, ...args: Array<string | number | Buffer>) => {
      reader.commands.push([command, ...args.map(String)]);
      if (command !== 'XREVRANGE') return new Promise(() => undefined);
      return new Promise((resolve) => (answer = resolve));
    };
    const bridge = new RedisStreamBridge(broker, { publisher, reader });
    broker.subscribe('logs/a', () => undefined);
    let live = false;
    const ready = bridge.ready().then(() => (live = true));
    await vi.waitFor(() => expect(answer).toBeDefined());
    expect(live).toBe(false);
    answer?.([]);
    await ready;
    expect(bridge.stats().channels).toBe(1);
    await bridge.close();
  });
});

describe('drop-in publish', () => {
  it('sends plain broker.publish through the bridge, keeps publishLocal here, and lets go on close', async () => {
    const { broker, publisher, bridge } = setup();
    const got: number[] = [];
    broker.subscribe('logs/#', (m) => void got.push(m.n));
    expect(broker.publish('logs/a', { n: 1 })).toBe(1);
    expect(broker.publishLocal('logs/a', { n: 2 })).toBe(1);
    expect(bridge.publishLocal('logs/a', { n: 3 })).toBe(1);
    expect(got).toEqual([1, 2, 3]);
    // Sent once the bridge is ready (its SUBSCRIBE acknowledged), not before.
    expect(seqs(publisher)).toEqual([]);
    await bridge.ready();
    expect(seqs(publisher)).toEqual([1]);
    expect(broker.publishTap).toBeDefined();
    await bridge.close();
    expect(broker.publishTap).toBeUndefined();
    broker.publish('logs/a', { n: 4 });
    expect(seqs(publisher)).toEqual([1]);
    expect(got).toEqual([1, 2, 3, 4]);
  });

  it('refuses a second bridge on one broker with a typed error, and accepts one after close', async () => {
    const { broker, bridge } = setup();
    const make = () => new RedisBridge(broker, { publisher: new FakeConnection(), subscriber: new FakeConnection() });
    expect(make).toThrow(expect.objectContaining({ name: 'BridgeError', code: 'ERR_BRIDGE_BROKER_TAKEN' }));
    await bridge.close();
    const again = make();
    expect(broker.publishTap).toBeDefined();
    await again.close();
  });

  it('a codec that cannot encode makes broker.publish throw before anything is delivered', () => {
    const { broker, publisher } = setup();
    const got: unknown[] = [];
    broker.subscribe('#', (m) => void got.push(m));
    expect(() => broker.publish('logs/a', undefined as unknown as { n: number })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringMatching(/no JSON form/) }),
    );
    expect(got).toEqual([]);
    expect(publisher.published).toEqual([]);
  });
});

describe('the outbox after a reconnect', () => {
  it('is held until every channel has as many subscribers as before the outage (PUBSUB NUMSUB), then sent in order', async () => {
    const { publisher, bridge } = setup();
    bridge.publish('logs/a', { n: 1 }); // reaches 1 subscriber (the fake's reply)
    await new Promise((resolve) => setImmediate(resolve));
    let subscribers = 0;
    publisher.answers.set('PUBSUB', ([, ...channels]) => channels.flatMap((name) => [name, subscribers]));
    publisher.goDown();
    bridge.publish('logs/a', { n: 2 });
    bridge.publish('logs/a', { n: 3 });
    publisher.comeBack();
    bridge.publish('logs/a', { n: 4 });
    // Nobody back yet: still held, asking every 25 ms (waits for the second ask, not for a time).
    await vi.waitFor(() => expect(publisher.commands.filter(([command]) => command === 'PUBSUB').length).toBeGreaterThanOrEqual(2), { timeout: 5000, interval: 5 });
    expect(seqs(publisher)).toEqual([1]);
    expect(bridge.stats().outboxPending).toBe(3);
    subscribers = 1;
    await vi.waitFor(() => expect(seqs(publisher)).toEqual([1, 2, 3, 4]), { timeout: 1000, interval: 5 });
    expect(bridge.stats()).toMatchObject({ outboxHolds: 1, outboxPending: 0 });
    expect(bridge.stats().lastHoldMs).toBeGreaterThan(0);
    await bridge.close();
  });

  it('is sent when resubscribeGraceMs is up even if a subscriber never came back', async () => {
    const broker = new PubSubBroker<{ n: number }>();
    const publisher = new FakeConnection();
    const bridge = new RedisBridge(broker, { publisher, subscriber: new FakeConnection(), resubscribeGraceMs: 80 });
    bridge.publish('logs/a', { n: 1 });
    await new Promise((resolve) => setImmediate(resolve));
    publisher.answers.set('PUBSUB', ([, ...channels]) => channels.flatMap((name) => [name, 0]));
    publisher.goDown();
    bridge.publish('logs/a', { n: 2 });
    publisher.comeBack();
    await vi.waitFor(() => expect(seqs(publisher)).toEqual([1, 2]), { timeout: 1000, interval: 5 });
    expect(bridge.stats().lastHoldMs).toBeGreaterThanOrEqual(75);
    await bridge.close();
  });
});

describe('errors nobody listens for', () => {
  it('become a LogcasterWarning instead of vanishing', async () => {
    const { publisher, bridge } = setup();
    const warnings = captureWarnings();
    try {
      publisher.publish = () => Promise.reject(new Error('READONLY You can\'t write against a read only replica'));
      bridge.publish('logs/a', { n: 1 });
      const warning = await warnings.next();
      expect(warning.code).toBe('LOGCASTER_UNHEARD_ERROR');
      expect(warning.message).toMatch(/RedisBridge: Error: READONLY/);
    } finally {
      warnings.restore();
      await bridge.close();
    }
  });
});

