import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { PubSubBroker } from 'logcaster';
import { RedisBridge, RedisStreamBridge } from 'logcaster/redis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeEnvelope } from '../../src/bridge/envelope.js';
import { REDIS_CLIENTS, describeWithRedis, startRedisServer, type RedisServer } from '../helpers/redis-server.js';

/** A stand-in for an ioredis connection whose readiness the test decides. */
class FakeConnection extends EventEmitter {
  status = 'connecting';
  readonly published: Buffer[] = [];
  private acks: Array<() => void> = [];

  publish(_channel: string, message: Buffer): Promise<number> {
    this.published.push(message);
    return Promise.resolve(1);
  }

  /** SUBSCRIBE is acknowledged when the test says so. */
  subscribe(): Promise<number> {
    return new Promise((resolve) => this.acks.push(() => resolve(1)));
  }

  unsubscribe(): Promise<number> {
    return Promise.resolve(0);
  }

  acknowledge(): void {
    for (const ack of this.acks.splice(0)) ack();
  }

  comeUp(): void {
    this.status = 'ready';
    this.emit('ready');
  }
}

describe('publishing before ready()', () => {
  it('waits in the outbox until the bridge is ready, then goes out in order', async () => {
    const broker = new PubSubBroker<number>();
    const publisher = new FakeConnection();
    const subscriber = new FakeConnection();
    publisher.comeUp();
    const bridge = new RedisBridge(broker, { publisher, subscriber });
    broker.subscribe('logs/#', () => undefined);
    for (let n = 1; n <= 13; n++) broker.publish('logs/api/INFO', n);
    // The publisher could take them, but the bridge is not ready: its subscriber is not even up.
    await new Promise((resolve) => setImmediate(resolve));
    expect(publisher.published).toHaveLength(0);
    expect(bridge.stats()).toMatchObject({ published: 13, sent: 0, outboxPending: 13 });
    subscriber.comeUp();
    await new Promise((resolve) => setImmediate(resolve));
    expect(publisher.published).toHaveLength(0);
    subscriber.acknowledge();
    await bridge.ready();
    expect(publisher.published.map((data) => decodeEnvelope(data).seq)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    expect(bridge.stats()).toMatchObject({ sent: 13, outboxPending: 0, outboxDropped: 0 });
    await bridge.close();
  });

  it('drops past the outbox bound before ready(), counted and reported, never silently', async () => {
    const broker = new PubSubBroker<number>();
    const publisher = new FakeConnection();
    publisher.comeUp();
    const subscriber = new FakeConnection();
    const bridge = new RedisBridge(broker, { publisher, subscriber, outbox: { maxItems: 5 } });
    const drops: number[] = [];
    bridge.on('drop', (count) => drops.push(count));
    broker.subscribe('logs/#', () => undefined);
    for (let n = 1; n <= 13; n++) broker.publish('logs/api/INFO', n);
    expect(drops.reduce((a, b) => a + b, 0)).toBe(8);
    subscriber.comeUp();
    subscriber.acknowledge();
    await bridge.ready();
    // drop-oldest: the last five went out.
    expect(publisher.published.map((data) => decodeEnvelope(data).seq)).toEqual([9, 10, 11, 12, 13]);
    expect(bridge.stats()).toMatchObject({ outboxDropped: 8, sent: 5 });
    await bridge.close();
  });

  it('publishes at once on a bridge that is ready with nothing to subscribe to', async () => {
    const broker = new PubSubBroker<number>();
    const publisher = new FakeConnection();
    const subscriber = new FakeConnection();
    publisher.comeUp();
    subscriber.comeUp();
    const bridge = new RedisBridge(broker, { publisher, subscriber });
    broker.publish('logs/api/INFO', 1);
    expect(publisher.published).toHaveLength(1);
    await bridge.close();
  });
});

for (const { name: clientName, Redis: RedisClient } of REDIS_CLIENTS) {
  describeWithRedis(`two nodes started together, neither awaited (${clientName})`, (binary) => {
    let server: RedisServer;
    const clients: Redis[] = [];
    const closers: Array<() => Promise<void>> = [];
    let prefixes = 0;

    beforeAll(async () => {
      server = await startRedisServer(binary);
    });
    afterAll(async () => {
      await server?.close();
    });
    afterEach(async () => {
      for (const close of closers.splice(0)) await close();
      for (const client of clients.splice(0)) client.disconnect();
    });

    const client = (): Redis => {
      const redis = new RedisClient(server.port, '127.0.0.1', { retryStrategy: () => 20 });
      clients.push(redis);
      return redis;
    };

    const BRIDGES = [
      ['RedisBridge', (broker: PubSubBroker<number>, prefix: string) => new RedisBridge(broker, { publisher: client(), subscriber: client(), prefix })],
      [
        'RedisStreamBridge',
        (broker: PubSubBroker<number>, prefix: string) => new RedisStreamBridge(broker, { publisher: client(), reader: client(), prefix, blockMs: 200 }),
      ],
    ] as const;

    for (const [bridgeName, make] of BRIDGES) {
      it(`${bridgeName}: a node that publishes as it starts, without awaiting anything, reaches a ready node with every message`, async () => {
        const prefix = `br${process.pid}-${++prefixes}`;
        const b = new PubSubBroker<number>();
        const bridgeB = make(b, prefix);
        closers.push(() => bridgeB.close());
        const got: number[] = [];
        b.subscribe('logs/#', (n) => void got.push(n));
        await bridgeB.ready();
        // Node A subscribes and publishes as it starts (as the example server does), at 1 ms
        // intervals: its first messages are published before its connections are even up.
        const a = new PubSubBroker<number>();
        const bridgeA = make(a, prefix);
        closers.push(() => bridgeA.close());
        a.subscribe('logs/#', () => undefined);
        for (let n = 1; n <= 13; n++) {
          a.publish('logs/api/INFO', n);
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
        await vi.waitFor(() => expect(got.length + bridgeB.stats().missing).toBe(13), { timeout: 3000, interval: 10 });
        expect(got).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
        expect(bridgeA.stats()).toMatchObject({ published: 13, sent: 13, outboxDropped: 0 });
      });
    }
  });
}
