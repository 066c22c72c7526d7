import { EventEmitter } from 'node:events';
import { PubSubBroker, TopicError } from 'logcaster';
import {
  RedisBridge,
  RedisStreamBridge,
  type DisconnectInfo,
  type RedisPublisherClient,
  type RedisSubscriberClient,
} from 'logcaster/redis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeEnvelope } from '../../src/redis/envelope.js';

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

  callBuffer(command: string, ...args: Array<string | number | Buffer>): Promise<unknown> {
    this.commands.push([command, ...args.map(String)]);
    return new Promise(() => undefined);
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

const setup = (options: { limit?: number } = {}) => {
  const broker = new PubSubBroker<{ n: number }>();
  const publisher = new FakeConnection();
  const subscriber = new FakeConnection();
  const bridge = new RedisBridge(broker, {
    publisher,
    subscriber,
    nodeId: 'node-a',
    outbox: options.limit === undefined ? {} : { limit: options.limit },
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
    const { publisher, bridge } = setup({ limit: 3 });
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
    expect(() => new RedisBridge(broker, { ...clients(), outbox: { limit: 0 } })).toThrow(/outbox.limit must be an integer >= 1 \(got 0\)/);
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
      /blockMs must be an integer >= 1/,
    );
  });
});
