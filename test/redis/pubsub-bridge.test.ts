import { once } from 'node:events';
import type { Redis } from 'ioredis';
import { PubSubBroker } from 'logcaster';
import { RedisBridge, stringCodec, type DisconnectInfo, type GapInfo, type ReconnectInfo, type RedisBridgeEvents } from 'logcaster/redis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { REDIS_CLIENTS, describeWithRedis, startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { referenceMatches } from '../helpers/reference-matcher.js';

interface Msg {
  from: number;
  n: number;
  topic: string;
}

/** The next `event` of a bridge, as a promise of its (first) argument; rejects after 3 s. */
function next<T, E extends keyof RedisBridgeEvents>(bridge: RedisBridge<T>, event: E): Promise<RedisBridgeEvents[E][0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${event}' event within 3 s`)), 3000);
    bridge.once(event, (...args: RedisBridgeEvents[E]) => {
      clearTimeout(timer);
      resolve(args[0]);
    });
  });
}

interface Received extends Msg {
  pattern: string;
}

for (const { name: clientName, Redis: RedisClient } of REDIS_CLIENTS) describeWithRedis(`RedisBridge on a real Redis (${clientName})`, (binary) => {
  let server: RedisServer;
  const clients: Redis[] = [];
  const bridges: Array<RedisBridge<unknown>> = [];
  let prefixes = 0;

  beforeAll(async () => {
    server = await startRedisServer(binary);
  });
  afterAll(async () => {
    await server?.close();
  });
  afterEach(async () => {
    for (const bridge of bridges.splice(0)) await bridge.close();
    for (const client of clients.splice(0)) client.disconnect();
  });

  const client = (retryMs = 20): Redis => {
    const redis = new RedisClient(server.port, '127.0.0.1', { retryStrategy: () => retryMs, lazyConnect: false });
    clients.push(redis);
    return redis;
  };

  const ready = async (...redis: Redis[]): Promise<void> => {
    await Promise.all(redis.map((r) => (r.status === 'ready' ? undefined : once(r, 'ready'))));
  };

  /** A node: its own broker, two connections, a bridge; options for the bridge. */
  const node = async <T = Msg>(
    prefix: string,
    options: Partial<ConstructorParameters<typeof RedisBridge<T>>[1]> = {},
    retryMs = 20,
  ) => {
    const broker = new PubSubBroker<T>();
    const publisher = client(retryMs);
    const subscriber = client(retryMs);
    await ready(publisher, subscriber);
    const bridge = new RedisBridge<T>(broker, { publisher, subscriber, prefix, ...options });
    bridges.push(bridge as RedisBridge<unknown>);
    return { broker, bridge, publisher, subscriber };
  };

  const nextPrefix = (): string => `t${process.pid}-${++prefixes}`;

  describe('start-up', () => {
    it('works when made before its connections are ready, as the README shows', async () => {
      const prefix = nextPrefix();
      const a = await node<string>(prefix, { codec: stringCodec });
      // Node B: clients and bridge made in one go, subscription made at once.
      const broker = new PubSubBroker<string>();
      const publisher = client();
      const subscriber = client();
      const bridge = new RedisBridge<string>(broker, { publisher, subscriber, prefix, codec: stringCodec });
      bridges.push(bridge as RedisBridge<unknown>);
      const got: string[] = [];
      broker.subscribe('logs/api/#', (m) => void got.push(m));
      await bridge.ready();
      expect(subscriber.status).toBe('ready');
      a.bridge.publish('logs/api/ERROR', 'after start');
      await vi.waitFor(() => expect(got).toEqual(['after start']), { timeout: 3000 });
    });
  });

  describe('exchange between nodes', () => {
    const topics = ['logs/api/ERROR', 'logs/api/INFO', 'logs/web/ERROR', 'logs/db/WARN', 'metrics/cpu', 'logs/api/ERROR/deep'];

    /**
     * Every node subscribes to its patterns, publishes `perNode` messages round-robin over
     * the topics, then every subscription must hold exactly the messages whose topic its
     * pattern matches (its own node's included), once each, in each sender's order.
     */
    const exchange = async (patternsPerNode: string[][], perNode: number, channels: number): Promise<void> => {
      const prefix = nextPrefix();
      const nodes = await Promise.all(patternsPerNode.map(() => node(prefix, { channels })));
      const received = new Map<string, Received[]>();
      nodes.forEach(({ broker }, i) => {
        for (const pattern of patternsPerNode[i]) {
          const log: Received[] = [];
          received.set(`${i} ${pattern}`, log);
          broker.subscribe(pattern, (msg) => {
            log.push({ ...msg, pattern });
          });
        }
      });
      await Promise.all(nodes.map(({ bridge }) => bridge.ready()));

      for (let n = 0; n < perNode; n++) {
        nodes.forEach(({ bridge }, from) => {
          const topic = topics[(n + from) % topics.length];
          bridge.publish(topic, { from, n, topic });
        });
      }

      const expected = new Map<string, Msg[]>();
      patternsPerNode.forEach((patterns, i) => {
        for (const pattern of patterns) {
          const list: Msg[] = [];
          for (let n = 0; n < perNode; n++) {
            for (let from = 0; from < nodes.length; from++) {
              const topic = topics[(n + from) % topics.length];
              if (referenceMatches(pattern, topic)) list.push({ from, n, topic });
            }
          }
          expected.set(`${i} ${pattern}`, list);
        }
      });

      await vi.waitFor(
        () => {
          for (const [key, list] of expected) expect(received.get(key)?.length).toBeGreaterThanOrEqual(list.length);
        },
        { timeout: 5000, interval: 20 },
      );
      // Anything late (a duplicate) would arrive right behind; give it a moment.
      await new Promise((resolve) => setTimeout(resolve, 100));

      const key = (m: Msg): string => `${m.from}:${m.n}:${m.topic}`;
      for (const [name, list] of expected) {
        const got = received.get(name) ?? [];
        expect(got.map(key).sort(), name).toEqual(list.map(key).sort());
        // Per sender and topic, the order of publication.
        const lastBySender = new Map<string, number>();
        for (const m of got) {
          const id = `${m.from} ${m.topic}`;
          expect(m.n, `${name}: ${id}`).toBeGreaterThan(lastBySender.get(id) ?? -1);
          lastBySender.set(id, m.n);
        }
      }
      for (const { bridge } of nodes) {
        const stats = bridge.stats();
        expect(stats.duplicates).toBe(0);
        expect(stats.gaps).toBe(0);
        expect(stats.sendErrors).toBe(0);
        expect(stats.published).toBe(perNode);
      }
    };

    it('delivers every message exactly once between two nodes on overlapping wildcard subscriptions', async () => {
      await exchange(
        [
          ['logs/#', 'logs/api/*', 'logs/api/ERROR'],
          ['logs/*/ERROR', 'logs/api/#', 'metrics/#'],
        ],
        120,
        64,
      );
    });

    it('delivers every message exactly once between three nodes sharing few channels', async () => {
      // 4 channels: topics collide, so nodes also receive (and must filter) topics they do not want.
      await exchange(
        [
          ['logs/#', 'logs/api/*'],
          ['logs/*/ERROR', 'logs/api/#', 'metrics/#'],
          ['logs/api/ERROR', '#', 'logs/db/WARN'],
        ],
        100,
        4,
      );
    });

    it('sends plain broker.publish to every node once, skips its own echo, and keeps publishLocal here', async () => {
      const prefix = nextPrefix();
      const a = await node(prefix);
      const b = await node(prefix);
      const atA: string[] = [];
      const atB: string[] = [];
      a.broker.subscribe('logs/#', (m) => void atA.push(m.topic));
      b.broker.subscribe('logs/#', (m) => void atB.push(m.topic));
      await Promise.all([a.bridge.ready(), b.bridge.ready()]);

      expect(a.bridge.publishLocal('logs/local/one', { from: 0, n: 0, topic: 'logs/local/one' })).toBe(1);
      expect(a.broker.publishLocal('logs/local/two', { from: 0, n: 1, topic: 'logs/local/two' })).toBe(1);
      expect(a.broker.publish('logs/shared/three', { from: 0, n: 2, topic: 'logs/shared/three' })).toBe(1);
      expect(a.bridge.publish('logs/shared/four', { from: 0, n: 3, topic: 'logs/shared/four' })).toBe(1);

      await vi.waitFor(() => expect(atB).toEqual(['logs/shared/three', 'logs/shared/four']), { timeout: 2000, interval: 10 });
      await vi.waitFor(() => expect(a.bridge.stats().ownEchoesSkipped).toBe(2), { timeout: 2000, interval: 10 });
      expect(atA).toEqual(['logs/local/one', 'logs/local/two', 'logs/shared/three', 'logs/shared/four']);
      expect(a.bridge.stats()).toMatchObject({ published: 2, publishedLocal: 1, sent: 2, delivered: 0 });
      expect(b.bridge.stats()).toMatchObject({ received: 2, delivered: 2, published: 0 });
    });

    it('carries binary payloads with the Buffer codec', async () => {
      const prefix = nextPrefix();
      const { bufferCodec } = await import('logcaster/redis');
      const a = await node<Buffer>(prefix, { codec: bufferCodec });
      const b = await node<Buffer>(prefix, { codec: bufferCodec });
      const got: Buffer[] = [];
      b.broker.subscribe('bin/#', (m) => void got.push(Buffer.from(m)));
      await b.bridge.ready();
      const payload = Buffer.from([0, 255, 13, 10, 0x80, 1]);
      a.bridge.publish('bin/x', payload);
      await vi.waitFor(() => expect(got).toEqual([payload]), { timeout: 2000, interval: 10 });
    });
  });

  describe('Redis subscriptions follow local interest', () => {
    it('subscribes to the one channel a pattern needs, and unsubscribes when the last local interest goes', async () => {
      const prefix = nextPrefix();
      const admin = client();
      await ready(admin);
      const a = await node(prefix);
      const channelsNow = async (): Promise<string[]> =>
        ((await admin.pubsub('CHANNELS', `${prefix}:*`)) as string[]).sort();
      const exact = a.bridge.channelMap.name(a.bridge.channelMap.channelOf('logs/api'));

      const first = a.broker.subscribe('logs/api/#', () => undefined);
      const second = a.broker.subscribe('logs/api/ERROR', () => undefined);
      await a.bridge.ready();
      expect(await channelsNow()).toEqual([exact]);
      expect(await admin.pubsub('NUMSUB', exact)).toEqual([exact, 1]);
      expect(a.bridge.stats().channels).toBe(1);

      const wildcard = a.broker.subscribe('logs/*/ERROR', () => undefined);
      await a.bridge.ready();
      expect(await channelsNow()).toHaveLength(64);

      wildcard.unsubscribe();
      first.unsubscribe();
      await a.bridge.ready();
      expect(await channelsNow()).toEqual([exact]);

      second.unsubscribe();
      await a.bridge.ready();
      expect(await channelsNow()).toEqual([]);
      expect(a.bridge.stats().channels).toBe(0);
    });

    it('counts subscriptions made before the bridge, and lets go of everything on close', async () => {
      const prefix = nextPrefix();
      const admin = client();
      await ready(admin);
      const broker = new PubSubBroker<Msg>();
      broker.subscribe('metrics/cpu', () => undefined);
      const publisher = client();
      const subscriber = client();
      await ready(publisher, subscriber);
      const bridge = new RedisBridge(broker, { publisher, subscriber, prefix });
      await bridge.ready();
      expect(await admin.pubsub('CHANNELS', `${prefix}:*`)).toHaveLength(1);
      await bridge.close();
      expect(await admin.pubsub('CHANNELS', `${prefix}:*`)).toEqual([]);
      // Closed: local delivery still works, the remote copy is dropped and counted.
      const drops: number[] = [];
      bridge.on('drop', (count) => drops.push(count));
      expect(bridge.publish('metrics/cpu', { from: 0, n: 0, topic: 'metrics/cpu' })).toBe(1);
      expect(drops).toEqual([1]);
      expect(bridge.stats().outboxDropped).toBe(1);
    });
  });

  describe('failures', () => {
    it('survives a Redis restart mid-stream: publishers never throw, the gap is reported, delivery resumes', async () => {
      const prefix = nextPrefix();
      const a = await node(prefix, { outbox: { maxItems: 10 } });
      const b = await node(prefix);
      const got: number[] = [];
      b.broker.subscribe('logs/#', (m) => void got.push(m.n));
      await b.bridge.ready();
      const events = { disconnects: [] as DisconnectInfo[], reconnects: [] as ReconnectInfo[], gaps: [] as GapInfo[], drops: 0 };
      a.bridge.on('disconnect', (info) => events.disconnects.push(info));
      a.bridge.on('reconnect', (info) => events.reconnects.push(info));
      a.bridge.on('drop', (count) => (events.drops += count));
      b.bridge.on('gap', (info) => events.gaps.push(info));

      let n = 0;
      let thrown = 0;
      const pump = setInterval(() => {
        for (let i = 0; i < 5; i++) {
          try {
            a.bridge.publish('logs/api/INFO', { from: 0, n: n++, topic: 'logs/api/INFO' });
          } catch {
            thrown++;
          }
        }
      }, 5);
      try {
        await vi.waitFor(() => expect(got.length).toBeGreaterThan(20), { timeout: 2000, interval: 10 });
        await server.stop();
        await vi.waitFor(() => expect(events.disconnects.map((d) => d.connection).sort()).toEqual(['publisher', 'subscriber']), {
          timeout: 2000,
          interval: 10,
        });
        // Publishes go on into the outbox, which overflows (limit 10): those are dropped, counted.
        await vi.waitFor(() => expect(events.drops).toBeGreaterThan(10), { timeout: 2000, interval: 10 });
        const beforeRestart = n;
        await server.start();
        await vi.waitFor(() => expect(got.at(-1)).toBeGreaterThan(beforeRestart + 20), { timeout: 5000, interval: 10 });
      } finally {
        clearInterval(pump);
      }
      expect(thrown).toBe(0);
      expect(events.disconnects.every((d) => d.reason === 'lost')).toBe(true);
      expect(events.reconnects.map((r) => r.connection).sort()).toEqual(['publisher', 'subscriber']);
      expect(events.gaps.length).toBeGreaterThan(0);
      expect(events.gaps[0].origin).toBe(a.bridge.nodeId);
      const missing = events.gaps.reduce((sum, gap) => sum + gap.missing, 0);
      expect(missing).toBeGreaterThanOrEqual(events.drops);
      expect(b.bridge.stats().missing).toBe(missing);
      // Whatever arrived, arrived once and in order.
      for (let i = 1; i < got.length; i++) expect(got[i]).toBeGreaterThan(got[i - 1]);
    });

    it('reports a subscriber cut off by client-output-buffer-limit as a killed connection, then carries on', async () => {
      const prefix = nextPrefix();
      const admin = client();
      await ready(admin);
      const [, previous] = (await admin.config('GET', 'client-output-buffer-limit')) as [string, string];
      await admin.config('SET', 'client-output-buffer-limit', 'pubsub 64kb 64kb 0');
      try {
        const a = await node<string>(prefix, { codec: stringCodec });
        const b = await node<string>(prefix, { codec: stringCodec });
        const got: string[] = [];
        b.broker.subscribe('big/#', (m) => void got.push(m.slice(0, 10)));
        await b.bridge.ready();
        // Same first two levels, so one channel: sequence numbers (and gaps) are per channel.
        a.bridge.publish('big/x/first', 'first');
        await vi.waitFor(() => expect(got).toEqual(['first']), { timeout: 2000, interval: 10 });
        const down = next(b.bridge, 'disconnect');
        const back = next(b.bridge, 'reconnect');
        const gap = next(b.bridge, 'gap');

        a.bridge.publish('big/x/blob', 'x'.repeat(256 * 1024));
        const info = await down;
        expect(info).toMatchObject({ connection: 'subscriber', reason: 'killed' });
        expect(info.message).toContain('client-output-buffer-limit');
        await back;
        await b.bridge.ready();
        a.bridge.publish('big/x/small', 'small');
        const lost = await gap;
        expect(lost).toMatchObject({ origin: a.bridge.nodeId, expected: 2, got: 3, missing: 1 });
        await vi.waitFor(() => expect(got).toEqual(['first', 'small']), { timeout: 2000, interval: 10 });
      } finally {
        await admin.config('SET', 'client-output-buffer-limit', previous);
      }
    });
  });
});
