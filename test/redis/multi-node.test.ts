import { once } from 'node:events';
import type { Redis } from 'ioredis';
import { PubSubBroker } from 'logcaster';
import { RedisBridge, RedisStreamBridge } from 'logcaster/redis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { REDIS_CLIENTS, describeWithRedis, startRedisServer, type RedisServer } from '../helpers/redis-server.js';

/** The two bridges behind one constructor shape: (broker, publisher, second connection, prefix). */
const BRIDGES = [
  {
    name: 'RedisBridge',
    make: <T>(broker: PubSubBroker<T>, publisher: Redis, other: Redis, prefix: string) =>
      new RedisBridge<T>(broker, { publisher, subscriber: other, prefix }),
  },
  {
    name: 'RedisStreamBridge',
    make: <T>(broker: PubSubBroker<T>, publisher: Redis, other: Redis, prefix: string) =>
      new RedisStreamBridge<T>(broker, { publisher, reader: other, prefix, blockMs: 200 }),
  },
] as const;

for (const { name: clientName, Redis: RedisClient } of REDIS_CLIENTS) {
  describeWithRedis(`two nodes through a real Redis (${clientName})`, (binary) => {
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

    const connect = async (): Promise<Redis> => {
      const redis = new RedisClient(server.port, '127.0.0.1', { retryStrategy: () => 20 });
      clients.push(redis);
      if (redis.status !== 'ready') await once(redis, 'ready');
      return redis;
    };

    for (const bridgeKind of BRIDGES) {
      describe(bridgeKind.name, () => {
        const node = async <T>(broker: PubSubBroker<T>, prefix: string) => {
          const bridge = bridgeKind.make(broker, await connect(), await connect(), prefix);
          closers.push(() => bridge.close());
          return bridge;
        };

        it('after ready(), the very next message another node publishes arrives, for each new subscription', async () => {
          const prefix = `m${process.pid}-${++prefixes}`;
          const a = new PubSubBroker<number>();
          const b = new PubSubBroker<number>();
          await node(a, prefix);
          const bridgeB = await node(b, prefix);
          // Each round: a new subscription on B (a new channel), ready(), then one publish on A.
          // Without readiness, the first message of a round races the SUBSCRIBE (or the cursor).
          for (let round = 0; round < 15; round++) {
            const got: number[] = [];
            b.subscribe(`room${round}/x/#`, (n) => void got.push(n));
            await bridgeB.ready({ timeoutMs: 5000 });
            a.publish(`room${round}/x/line`, round);
            await vi.waitFor(() => expect(got).toEqual([round]), { timeout: 3000, interval: 5 });
          }
        });

        it('carries plain broker.publish to the other node exactly once, with no echo', async () => {
          const prefix = `m${process.pid}-${++prefixes}`;
          const a = new PubSubBroker<string>();
          const b = new PubSubBroker<string>();
          const bridgeA = await node(a, prefix);
          const bridgeB = await node(b, prefix);
          const atA: string[] = [];
          const atB: string[] = [];
          a.subscribe('logs/#', (m) => void atA.push(m));
          b.subscribe('logs/#', (m) => void atB.push(m));
          await Promise.all([bridgeA.ready(), bridgeB.ready()]);
          for (let i = 0; i < 50; i++) a.publish('logs/api/INFO', `a${i}`);
          b.publish('logs/web/INFO', 'b0');
          a.publishLocal('logs/api/INFO', 'a-local');
          const fromA = Array.from({ length: 50 }, (_, i) => `a${i}`);
          // B's own message is delivered at once; A's arrive in A's order.
          await vi.waitFor(() => expect(atB).toEqual(['b0', ...fromA]), { timeout: 3000, interval: 10 });
          await vi.waitFor(() => expect(atA).toHaveLength(52), { timeout: 3000, interval: 10 });
          // Anything late (an echo, a duplicate) would arrive right behind; give it a moment.
          await new Promise((resolve) => setTimeout(resolve, 100));
          expect(atB).toEqual(['b0', ...fromA]);
          expect(atA).toEqual([...fromA, 'a-local', 'b0']);
          expect(bridgeA.stats()).toMatchObject({ published: 50, delivered: 1, duplicates: 0, gaps: 0 });
          expect(bridgeB.stats()).toMatchObject({ published: 1, delivered: 50, duplicates: 0, gaps: 0 });
        });

        it("delivers 'a/+/c' across nodes for brokers with MQTT's single-level wildcard", async () => {
          const prefix = `m${process.pid}-${++prefixes}`;
          const a = new PubSubBroker<string>({ syntax: 'mqtt' });
          const b = new PubSubBroker<string>({ syntax: 'mqtt' });
          await node(a, prefix);
          const bridgeB = await node(b, prefix);
          const got: Array<[string, string]> = [];
          b.subscribe('a/+/c', (m, topic) => void got.push([topic, m]));
          await bridgeB.ready({ timeoutMs: 5000 });
          a.publish('a/b/c', 'one');
          a.publish('a/b/d', 'not this');
          a.publish('a/x/c', 'two');
          await vi.waitFor(() => expect(got).toEqual([['a/b/c', 'one'], ['a/x/c', 'two']]), { timeout: 3000, interval: 10 });
          expect(bridgeB.channelMap.syntax.singleLevelWildcard).toBe('+');
        });
      });
    }
  });
}
