import { connect } from '@nats-io/transport-node';
import { PubSubBroker } from 'logcaster';
import { NatsBridge, bufferCodec, type NatsBridgeOptions } from 'logcaster/nats';
import { describe, expect, it, vi } from 'vitest';
import { describeWithNats, useNatsCluster } from '../helpers/nats-server.js';
import { referenceMatches } from '../helpers/reference-matcher.js';

interface Msg {
  from: number;
  n: number;
  topic: string;
}

describeWithNats('NatsBridge on a real 3-server NATS cluster', (binary) => {
  const nats = useNatsCluster(binary, 3, 't');
  const { connections, bridges, nextPrefix } = nats;


  /** A node connected to server `server` of the cluster: its own broker, connection and bridge. */
  const node = async <T = Msg>(server: number, prefix: string, options: Partial<NatsBridgeOptions<T>> = {}) => {
    const connection = await connect({ servers: nats.cluster.urls[server] });
    connections.push(connection);
    const broker = new PubSubBroker<T>();
    const bridge = new NatsBridge<T>(broker, { connection, prefix, ...options });
    bridges.push(bridge as NatsBridge<unknown>);
    return { broker, bridge, connection };
  };

  describe('exchange between nodes on different servers', () => {
    const topics = ['logs/api/ERROR', 'logs/api/INFO', 'logs/web/ERROR', 'logs/db/WARN', 'metrics/cpu', 'logs/api/ERROR/deep'];

    /**
     * Every node subscribes to its patterns, publishes `perNode` messages round-robin over the
     * topics; then every subscription must hold exactly the messages its pattern matches (its
     * own node's included), once each, in each sender's order.
     */
    const exchange = async (patternsPerNode: string[][], perNode: number): Promise<Array<NatsBridge<Msg>>> => {
      const prefix = nextPrefix();
      const nodes = await Promise.all(patternsPerNode.map((_, i) => node(i % 3, prefix)));
      const received = new Map<string, Msg[]>();
      nodes.forEach(({ broker }, i) => {
        for (const pattern of patternsPerNode[i]) {
          const log: Msg[] = [];
          received.set(`${i} ${pattern}`, log);
          broker.subscribe(pattern, (msg) => void log.push(msg));
        }
      });
      await Promise.all(nodes.map(({ bridge }) => bridge.ready({ timeoutMs: 5000 })));
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
        const lastBySender = new Map<string, number>();
        for (const m of got) {
          const id = `${m.from} ${m.topic}`;
          expect(m.n, `${name}: ${id}`).toBeGreaterThan(lastBySender.get(id) ?? -1);
          lastBySender.set(id, m.n);
        }
      }
      for (const { bridge } of nodes) {
        expect(bridge.stats()).toMatchObject({ gaps: 0, sendErrors: 0, published: perNode, malformed: 0 });
      }
      return nodes.map(({ bridge }) => bridge);
    };

    it('delivers every message exactly once per subscription between two nodes on overlapping wildcard subscriptions', async () => {
      await exchange(
        [
          ['logs/#', 'logs/api/*', 'logs/api/ERROR'],
          ['logs/*/ERROR', 'logs/api/#', 'metrics/#'],
        ],
        120,
      );
    });

    it('delivers every message exactly once between three nodes on three servers, the copies of partial overlaps dropped', async () => {
      const [, second] = await exchange(
        [
          ['logs/#', 'logs/api/*'],
          ['logs/*/ERROR', 'logs/api/#', 'metrics/#'],
          ['logs/api/ERROR', '#', 'logs/db/WARN'],
        ],
        100,
      );
      // logs.*.ERROR and logs.api.> both match logs/api/ERROR: NATS sends it twice, one copy counts as a duplicate.
      expect(second.stats().duplicates).toBeGreaterThan(0);
    });

    it('sends plain broker.publish to every node once, skips its own echo, and keeps publishLocal here', async () => {
      const prefix = nextPrefix();
      const a = await node(0, prefix);
      const b = await node(1, prefix);
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

    it('carries topics with dots, spaces and empty levels, and binary payloads', async () => {
      const prefix = nextPrefix();
      const a = await node<Buffer>(0, prefix, { codec: bufferCodec });
      const b = await node<Buffer>(2, prefix, { codec: bufferCodec });
      const got: Array<[string, Buffer]> = [];
      b.broker.subscribe('files/#', (m, topic) => void got.push([topic, Buffer.from(m)]));
      await b.bridge.ready();
      const payload = Buffer.from([0, 255, 13, 10, 0x80, 1]);
      a.bridge.publish('files/v1.2/report final.pdf', payload);
      a.bridge.publish('files//100%', payload);
      await vi.waitFor(() => expect(got).toEqual([['files/v1.2/report final.pdf', payload], ['files//100%', payload]]), {
        timeout: 2000,
        interval: 10,
      });
    });

    it("delivers 'a/+/c' across servers for brokers with MQTT's single-level wildcard", async () => {
      const prefix = nextPrefix();
      const a = await node<string>(0, prefix);
      const broker = new PubSubBroker<string>({ syntax: 'mqtt' });
      const other = new PubSubBroker<string>({ syntax: 'mqtt' });
      await a.bridge.close();
      const connection = await connect({ servers: nats.cluster.urls[1] });
      connections.push(connection);
      const bridgeB = new NatsBridge(broker, { connection, prefix });
      bridges.push(bridgeB as NatsBridge<unknown>);
      const bridgeA = new NatsBridge(other, { connection: a.connection, prefix });
      bridges.push(bridgeA as NatsBridge<unknown>);
      const got: Array<[string, string]> = [];
      broker.subscribe('a/+/c', (m, topic) => void got.push([topic, m]));
      await bridgeB.ready({ timeoutMs: 5000 });
      other.publish('a/b/c', 'one');
      other.publish('a/b/d', 'not this');
      other.publish('a/x/c', 'two');
      await vi.waitFor(() => expect(got).toEqual([['a/b/c', 'one'], ['a/x/c', 'two']]), { timeout: 3000, interval: 10 });
    });
  });

  describe('subscriptions follow local interest', () => {
    /** The subjects a server knows this connection's subscriptions by (monitoring's /connz). */
    const subjectsOn = async (server: number, prefix: string): Promise<string[]> => {
      const response = await fetch(`http://127.0.0.1:${nats.cluster.servers[server].monitorPort}/connz?subs=1`);
      const body = (await response.json()) as { connections: Array<{ subscriptions_list?: string[] }> };
      const all = body.connections.flatMap((c) => c.subscriptions_list ?? []);
      return all.filter((s) => s.startsWith(`${prefix}.`)).sort();
    };

    it('subscribes to the fewest subjects that cover the patterns, and lets go of them with the last subscriber', async () => {
      const prefix = nextPrefix();
      const a = await node(0, prefix);
      const exact = a.broker.subscribe('logs/api/ERROR', () => undefined);
      const wide = a.broker.subscribe('logs/api/#', () => undefined);
      await a.bridge.ready();
      expect(await subjectsOn(0, prefix)).toEqual([`${prefix}.logs.api`, `${prefix}.logs.api.>`]);
      expect(a.bridge.stats().channels).toBe(2);
      wide.unsubscribe();
      await a.bridge.ready();
      expect(await subjectsOn(0, prefix)).toEqual([`${prefix}.logs.api.ERROR`]);
      exact.unsubscribe();
      await a.bridge.ready();
      expect(await subjectsOn(0, prefix)).toEqual([]);
      a.broker.subscribe('metrics/cpu', () => undefined);
      await a.bridge.ready();
      await a.bridge.close();
      expect(await subjectsOn(0, prefix)).toEqual([]);
      // Closed: local delivery still works, the remote copy is dropped and counted.
      const drops: number[] = [];
      a.bridge.on('drop', (count) => drops.push(count));
      expect(a.bridge.publish('metrics/cpu', { from: 0, n: 0, topic: 'metrics/cpu' })).toBe(1);
      expect(drops).toEqual([1]);
    });

    it('after letting a topic go and taking it up again, reports no gap for what was sent meanwhile', async () => {
      const prefix = nextPrefix();
      const a = await node<number>(0, prefix);
      const b = await node<number>(1, prefix);
      const got: number[] = [];
      const first = b.broker.subscribe('logs/#', (n) => void got.push(n));
      await b.bridge.ready();
      a.broker.publish('logs/x', 1);
      await vi.waitFor(() => expect(got).toEqual([1]), { timeout: 2000, interval: 10 });
      first.unsubscribe();
      await b.bridge.ready();
      for (let n = 2; n <= 5; n++) a.broker.publish('logs/x', n);
      // A's server has them (and, B having let go, sends them nowhere) before B takes the topic up again.
      await a.connection.flush();
      b.broker.subscribe('logs/#', (n) => void got.push(n));
      await b.bridge.ready();
      a.broker.publish('logs/x', 6);
      await vi.waitFor(() => expect(got).toEqual([1, 6]), { timeout: 2000, interval: 10 });
      expect(b.bridge.stats()).toMatchObject({ gaps: 0, duplicates: 0 });
    });
  });

  describe('before ready()', () => {
    it('a node that publishes as it connects, without awaiting anything, reaches a ready node on another server with every message', async () => {
      const prefix = nextPrefix();
      const b = await node<number>(1, prefix);
      const got: number[] = [];
      b.broker.subscribe('logs/#', (n) => void got.push(n));
      await b.bridge.ready();
      const a = await node<number>(2, prefix);
      for (let n = 1; n <= 13; n++) a.broker.publish('logs/api/INFO', n);
      expect(a.bridge.stats().sent).toBe(0);
      await vi.waitFor(() => expect(got).toEqual(Array.from({ length: 13 }, (_, i) => i + 1)), { timeout: 3000, interval: 10 });
      expect(a.bridge.stats()).toMatchObject({ published: 13, sent: 13, outboxDropped: 0 });
    });
  });
});
