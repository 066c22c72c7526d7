import { once } from 'node:events';
import type { Redis } from 'ioredis';
import { PubSubBroker, TopicError } from 'logcaster';
import { RedisStreamBridge, type DisconnectInfo, type GapInfo, type ReconnectInfo } from 'logcaster/redis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { REDIS_CLIENTS, describeWithRedis, startRedisServer, type RedisServer } from '../helpers/redis-server.js';

interface Msg {
  from: string;
  n: number;
}

for (const { name: clientName, Redis: RedisClient } of REDIS_CLIENTS) describeWithRedis(`RedisStreamBridge on a real Redis (${clientName})`, (binary) => {
  let server: RedisServer;
  const clients: Redis[] = [];
  const bridges: Array<RedisStreamBridge<unknown>> = [];
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

  const client = async (retryMs = 20): Promise<Redis> => {
    const redis = new RedisClient(server.port, '127.0.0.1', { retryStrategy: () => retryMs });
    clients.push(redis);
    if (redis.status !== 'ready') await once(redis, 'ready');
    return redis;
  };

  const node = async (
    prefix: string,
    options: Partial<ConstructorParameters<typeof RedisStreamBridge<Msg>>[1]> = {},
    readerRetryMs = 20,
  ) => {
    const broker = new PubSubBroker<Msg>();
    const publisher = await client();
    const reader = await client(readerRetryMs);
    const bridge = new RedisStreamBridge<Msg>(broker, { publisher, reader, prefix, blockMs: 200, ...options });
    bridges.push(bridge as RedisStreamBridge<unknown>);
    return { broker, bridge, publisher, reader };
  };

  const nextPrefix = (): string => `s${process.pid}-${++prefixes}`;

  describe('delivery', () => {
    it('delivers every message once, in order, between two nodes on overlapping patterns', async () => {
      const prefix = nextPrefix();
      const a = await node(prefix);
      const b = await node(prefix);
      const atB: Array<[string, Msg]> = [];
      const atA: Array<[string, Msg]> = [];
      b.broker.subscribe('logs/#', (m, topic) => void atB.push([`#${topic}`, m]));
      b.broker.subscribe('logs/*/ERROR', (m, topic) => void atB.push([`*${topic}`, m]));
      a.broker.subscribe('logs/api/#', (m, topic) => void atA.push([topic, m]));
      await Promise.all([a.bridge.ready(), b.bridge.ready()]);

      const topics = ['logs/api/ERROR', 'logs/web/INFO', 'logs/api/INFO'];
      for (let n = 0; n < 90; n++) {
        a.bridge.publish(topics[n % 3], { from: 'a', n });
        b.bridge.publish(topics[(n + 1) % 3], { from: 'b', n });
      }
      // b: 'logs/#' gets all 180, 'logs/*/ERROR' the 60 on logs/api/ERROR. a: 'logs/api/#' gets 120.
      await vi.waitFor(() => expect([atB.length, atA.length]).toEqual([240, 120]), { timeout: 5000, interval: 20 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect([atB.length, atA.length]).toEqual([240, 120]);
      // Once each, and in each sender's order per topic (topics on different streams may interleave).
      const everything = atB.filter(([k]) => k.startsWith('#')).map(([k, m]) => [k.slice(1), m] as const);
      for (const log of [everything, atA]) {
        for (const from of ['a', 'b']) {
          for (const topic of topics) {
            const ns = log.filter(([t, m]) => t === topic && m.from === from).map(([, m]) => m.n);
            expect(ns).toEqual([...new Set(ns)].sort((x, y) => x - y));
          }
        }
      }
      expect(a.bridge.stats()).toMatchObject({ duplicates: 0, gaps: 0, published: 90 });
      expect(b.bridge.stats()).toMatchObject({ duplicates: 0, gaps: 0, published: 90 });
    });

    it('starts reading a stream when a subscription first needs it, not from its beginning', async () => {
      const prefix = nextPrefix();
      const a = await node(prefix);
      const b = await node(prefix);
      a.bridge.publish('chat/room/line', { from: 'a', n: 1 });
      // The XADD is handed to a's publisher connection; a PING behind it on the same connection
      // answers once Redis has applied it, so 1 is in the stream before b starts reading.
      expect(a.bridge.stats().sent).toBe(1);
      await a.publisher.ping();
      const got: number[] = [];
      b.broker.subscribe('chat/room/#', (m) => void got.push(m.n));
      await b.bridge.ready();
      a.bridge.publish('chat/room/line', { from: 'a', n: 2 });
      await vi.waitFor(() => expect(got).toEqual([2]), { timeout: 2000, interval: 10 });
      expect(b.bridge.stats().channels).toBe(1);
    });

    it('loses nothing across a reader reconnect within the bound', async () => {
      const prefix = nextPrefix();
      const a = await node(prefix);
      // The reader comes back only after 300 ms: everything published meanwhile waits in the stream.
      const b = await node(prefix, {}, 300);
      const admin = await client();
      const got: number[] = [];
      b.broker.subscribe('logs/api/#', (m) => void got.push(m.n));
      await b.bridge.ready();
      const events = { down: [] as DisconnectInfo[], up: [] as ReconnectInfo[], gaps: [] as GapInfo[] };
      b.bridge.on('disconnect', (info) => events.down.push(info));
      b.bridge.on('reconnect', (info) => events.up.push(info));
      b.bridge.on('gap', (info) => events.gaps.push(info));

      for (let n = 0; n < 50; n++) a.bridge.publish('logs/api/INFO', { from: 'a', n });
      await vi.waitFor(() => expect(got).toHaveLength(50), { timeout: 2000, interval: 10 });

      const readerId = String(await b.reader.client('ID'));
      await admin.client('KILL', 'ID', readerId);
      await vi.waitFor(() => expect(events.down).toHaveLength(1), { timeout: 2000, interval: 10 });
      for (let n = 50; n < 250; n++) a.bridge.publish('logs/api/INFO', { from: 'a', n });

      await vi.waitFor(() => expect(got).toHaveLength(250), { timeout: 5000, interval: 10 });
      expect(got).toEqual(Array.from({ length: 250 }, (_, n) => n));
      expect(events.down[0]).toMatchObject({ connection: 'reader', reason: 'killed' });
      expect(events.up.map((r) => r.connection)).toEqual(['reader']);
      expect(events.gaps).toEqual([]);
      expect(b.bridge.stats()).toMatchObject({ duplicates: 0, gaps: 0, missing: 0, delivered: 250 });
    });

    it('reports a gap when a reader fell further behind than the bound', async () => {
      const prefix = nextPrefix();
      const a = await node(prefix, { maxLen: 10 });
      const b = await node(prefix, {}, 300);
      const admin = await client();
      const got: number[] = [];
      b.broker.subscribe('logs/api/#', (m) => void got.push(m.n));
      await b.bridge.ready();
      a.bridge.publish('logs/api/INFO', { from: 'a', n: 0 });
      await vi.waitFor(() => expect(got).toEqual([0]), { timeout: 2000, interval: 10 });
      const gaps: GapInfo[] = [];
      b.bridge.on('gap', (info) => gaps.push(info));

      await admin.client('KILL', 'ID', String(await b.reader.client('ID')));
      await vi.waitFor(() => expect(b.bridge.stats().disconnects).toBe(1), { timeout: 2000, interval: 10 });
      // MAXLEN ~ trims whole nodes of the stream (100 entries by default): publish well past it.
      for (let n = 1; n <= 400; n++) a.bridge.publish('logs/api/INFO', { from: 'a', n });
      await vi.waitFor(() => expect(got.at(-1)).toBe(400), { timeout: 5000, interval: 10 });

      expect(gaps).toHaveLength(1);
      // Sequence numbers count from 1: message n has n + 1.
      expect(gaps[0]).toMatchObject({ origin: a.bridge.nodeId, expected: 2 });
      expect(gaps[0].got).toBe(got[1] + 1);
      expect(gaps[0].missing).toBe(got[1] - 1);
      expect(got.length + gaps[0].missing).toBe(401);
    });
  });

  describe('history', () => {
    it('returns the last N messages of a topic, oldest first, skipping other topics in the same stream', async () => {
      const prefix = nextPrefix();
      // One stream for everything: history must filter by topic.
      const a = await node(prefix, { channels: 1 });
      const topics = ['irc/chan/a', 'irc/chan/b', 'irc/other'];
      for (let n = 0; n < 300; n++) a.bridge.publish(topics[n % 3], { from: 'a', n });
      // The publisher sends in order, so a read queued behind the XADDs sees all of them.
      const last5 = await a.bridge.history('irc/chan/a', 5);
      expect(last5.map((e) => e.message.n)).toEqual([285, 288, 291, 294, 297]);
      expect(last5.every((e) => e.topic === 'irc/chan/a' && e.origin === a.bridge.nodeId)).toBe(true);
      const ids = last5.map((e) => e.id);
      expect(ids).toEqual([...ids].sort((x, y) => Number(x.split('-')[0]) - Number(y.split('-')[0]) || 0));

      const all = await a.bridge.history('irc/chan/b', 1000);
      expect(all.map((e) => e.message.n)).toEqual(Array.from({ length: 100 }, (_, i) => 3 * i + 1));
      expect(await a.bridge.history('irc/none', 3)).toEqual([]);
      expect(await a.bridge.history('irc/chan/a', 0)).toEqual([]);
      await expect(a.bridge.history('irc/#', 3)).rejects.toBeInstanceOf(TopicError);
      await expect(a.bridge.history('irc/chan/a', -1)).rejects.toBeInstanceOf(RangeError);
    });
  });

  describe('close', () => {
    it('ends a read loop blocked in XREAD without waiting for the block to time out', async () => {
      const prefix = nextPrefix();
      // A block of a minute: only the CLIENT UNBLOCK wake-up lets close() finish within the test's time.
      const a = await node(prefix, { blockMs: 60_000 });
      a.broker.subscribe('logs/#', () => undefined);
      await a.bridge.ready();
      const admin = await client();
      await vi.waitFor(
        async () => expect(String(await admin.client('LIST'))).toMatch(/cmd=xread/),
        { timeout: 2000, interval: 10 },
      );
      await a.bridge.close();
      expect(String(await admin.client('LIST'))).not.toMatch(/flags=b/);
      bridges.length = 0;
    });
  });
});
