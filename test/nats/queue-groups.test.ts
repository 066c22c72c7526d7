import { connect } from '@nats-io/transport-node';
import { PubSubBroker } from 'logcaster';
import { NatsBridge } from 'logcaster/nats';
import { describe, expect, it, vi } from 'vitest';
import { describeWithNats, useNatsCluster } from '../helpers/nats-server.js';

/** A job: who published it and its number there. */
interface Job {
  from: string;
  n: number;
}

const key = (job: Job): string => `${job.from}:${job.n}`;

describeWithNats('queue groups across nodes on a 2-server NATS cluster', (binary) => {
  const nats = useNatsCluster(binary, 2, 'g');
  const { connections, bridges, nextPrefix } = nats;


  /**
   * A node on server `server`: its broker and bridge, and (beside the bridge, on its
   * connection) a raw NATS subscription to the barrier's markers.
   */
  const node = async (name: string, server: number, prefix: string, failover = false) => {
    // With `failover`, it knows the other server too and goes there when its own one dies.
    const servers = failover ? [nats.cluster.urls[server], ...nats.cluster.urls.filter((_, i) => i !== server)] : nats.cluster.urls[server];
    const connection = await connect({ servers, noRandomize: true, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
    connections.push(connection);
    const broker = new PubSubBroker<Job>();
    const bridge = new NatsBridge<Job>(broker, { connection, prefix });
    bridges.push(bridge as NatsBridge<unknown>);
    const done = new Set<string>();
    connection.subscribe(`_barrier.${prefix}.>`, { callback: (_, message) => void done.add(message.string()) });
    await connection.flush();
    return { name, prefix, broker, bridge, connection, done };
  };
  type Node = Awaited<ReturnType<typeof node>>;

  /**
   * Waits until everything each node published has reached every node, itself included:
   * each publishes a marker on its connection after its jobs, and NATS keeps one publisher's
   * order to one connection, so a copy of a job still on its way would arrive before the
   * marker. (The bridges are ready: their publishes went out at once, not to the outbox.)
   */
  const barrier = async (nodes: Node[]): Promise<void> => {
    for (const { connection, name, prefix } of nodes) connection.publish(`_barrier.${prefix}.${name}`, name);
    await vi.waitFor(() => {
      for (const { done } of nodes) expect([...done].sort()).toEqual(nodes.map((n) => n.name).sort());
    }, { timeout: 5000, interval: 10 });
    for (const { done } of nodes) done.clear();
  };

  /** A group member (or plain subscriber) that records what it handled. */
  const recorder = (broker: PubSubBroker<Job>, pattern: string, group?: string) => {
    const got: Job[] = [];
    const sub = broker.subscribe(pattern, (job) => void got.push(job), group === undefined ? {} : { group });
    return { got, sub };
  };

  const published = (from: string, count: number): string[] => Array.from({ length: count }, (_, n) => `${from}:${n}`);

  describe('one group with a member on each node', () => {
    it('hands each message to exactly one member across the nodes, while plain subscribers everywhere get every message', async () => {
      const prefix = nextPrefix();
      const a = await node('a', 0, prefix);
      const b = await node('b', 1, prefix);
      // A third node with a plain subscriber only.
      const c = await node('c', 0, prefix);
      const workerA = recorder(a.broker, 'jobs/#', 'workers');
      const workerB = recorder(b.broker, 'jobs/#', 'workers');
      const plainA = recorder(a.broker, 'jobs/#');
      const plainB = recorder(b.broker, 'jobs/#');
      const plainC = recorder(c.broker, 'jobs/*');
      await Promise.all([a, b, c].map(({ bridge }) => bridge.ready({ timeoutMs: 5000 })));
      const N = 200;
      for (let n = 0; n < N; n++) {
        a.broker.publish(`jobs/${n % 3}`, { from: 'a', n });
        b.broker.publish(`jobs/${n % 5}`, { from: 'b', n });
      }
      await barrier([a, b, c]);
      const all = [...published('a', N), ...published('b', N)].sort();
      // Once each, across the group.
      expect([...workerA.got, ...workerB.got].map(key).sort()).toEqual(all);
      // NATS picks among the group's subscribers cluster-wide (at random): both have a share.
      expect(workerA.got.length).toBeGreaterThan(0);
      expect(workerB.got.length).toBeGreaterThan(0);
      for (const plain of [plainA, plainB, plainC]) expect(plain.got.map(key).sort()).toEqual(all);
      for (const { bridge } of [a, b, c]) expect(bridge.stats()).toMatchObject({ gaps: 0, duplicates: 0, malformed: 0, groupUnclaimed: 0 });
      expect(a.bridge.stats().groupShares + b.bridge.stats().groupShares).toBe(2 * N);
      expect(c.bridge.stats().groupShares).toBe(0);
    });

    it('moves the traffic to the remaining node when the last member of one node leaves, and back when one joins', async () => {
      const prefix = nextPrefix();
      const a = await node('a', 0, prefix);
      const b = await node('b', 1, prefix);
      const workerA = recorder(a.broker, 'jobs/#', 'workers');
      const workerB1 = recorder(b.broker, 'jobs/#', 'workers');
      const workerB2 = recorder(b.broker, 'jobs/#', 'workers');
      await Promise.all([a.bridge.ready({ timeoutMs: 5000 }), b.bridge.ready({ timeoutMs: 5000 })]);
      // 'jobs/#' → queue subscriptions on 'jobs.>' and 'jobs'.
      const channels = b.bridge.stats().channels;
      expect(channels).toBe(2);
      // One of B's two members leaves: B keeps its queue subscription, and its share goes to the other member.
      workerB1.sub.unsubscribe();
      await b.bridge.ready({ timeoutMs: 5000 });
      expect(b.bridge.stats().channels).toBe(channels);
      for (let n = 0; n < 50; n++) b.broker.publish('jobs/x', { from: 'b', n });
      await barrier([a, b]);
      expect([...workerA.got, ...workerB2.got].map(key).sort()).toEqual(published('b', 50).sort());
      expect(workerB1.got).toEqual([]);
      expect(workerB2.got.length).toBeGreaterThan(0);
      const before = { a: workerA.got.length, b: workerB2.got.length };
      // The last one leaves: B lets go of its queue subscription, and the other server hears of it before ready() resolves.
      workerB2.sub.unsubscribe();
      await b.bridge.ready({ timeoutMs: 5000 });
      expect(b.bridge.stats().channels).toBe(0);
      for (let n = 50; n < 100; n++) b.broker.publish('jobs/x', { from: 'b', n });
      await barrier([a, b]);
      expect(workerA.got.slice(before.a).map(key)).toEqual(published('b', 100).slice(50));
      expect(workerB2.got).toHaveLength(before.b);
      // A member joins on B again: B's own publishes come back to it.
      const workerB3 = recorder(b.broker, 'jobs/#', 'workers');
      await b.bridge.ready({ timeoutMs: 5000 });
      for (let n = 100; n < 150; n++) b.broker.publish('jobs/x', { from: 'b', n });
      await barrier([a, b]);
      const third = [...workerA.got.slice(before.a + 50), ...workerB3.got];
      expect(third.map(key).sort()).toEqual(published('b', 150).slice(100).sort());
      expect(workerB3.got.length).toBeGreaterThan(0);
      for (const { bridge } of [a, b]) expect(bridge.stats()).toMatchObject({ gaps: 0, groupUnclaimed: 0 });
    });
  });

  it("keeps each message to one member after a node's server is killed and it fails over to the other one", async () => {
    const prefix = nextPrefix();
    const a = await node('a', 0, prefix, true);
    const b = await node('b', 1, prefix);
    a.bridge.on('error', () => undefined);
    const workerA = recorder(a.broker, 'jobs/#', 'workers');
    const workerB = recorder(b.broker, 'jobs/#', 'workers');
    const plainB = recorder(b.broker, 'jobs/#');
    await Promise.all([a.bridge.ready({ timeoutMs: 5000 }), b.bridge.ready({ timeoutMs: 5000 })]);
    const reconnected = new Promise((resolve) => a.bridge.once('reconnect', resolve));
    await nats.cluster.stop(0, 'SIGKILL');
    await reconnected;
    // Its client subscribed again on server 1 (queue subscriptions included); ready() confirms it.
    await Promise.all([a.bridge.ready({ timeoutMs: 5000 }), b.bridge.ready({ timeoutMs: 5000 })]);
    for (let n = 0; n < 100; n++) {
      a.broker.publish('jobs/x', { from: 'a', n });
      b.broker.publish('jobs/y', { from: 'b', n });
    }
    await barrier([a, b]);
    const all = [...published('a', 100), ...published('b', 100)].sort();
    expect([...workerA.got, ...workerB.got].map(key).sort()).toEqual(all);
    expect(workerA.got.length).toBeGreaterThan(0);
    expect(workerB.got.length).toBeGreaterThan(0);
    expect(plainB.got.map(key).sort()).toEqual(all);
  });

  describe('on one node', () => {
    it('delivers its own publish to its group once (through NATS, echo accepted) and to its plain subscriber once (echo skipped)', async () => {
      const prefix = nextPrefix();
      const a = await node('a', 0, prefix);
      const worker1 = recorder(a.broker, 'jobs/#', 'workers');
      const worker2 = recorder(a.broker, 'jobs/#', 'workers');
      const plain = recorder(a.broker, 'jobs/#');
      await a.bridge.ready({ timeoutMs: 5000 });
      // The plain subscriber counts now; the group's member, when NATS hands it back.
      for (let n = 0; n < 20; n++) expect(a.broker.publish('jobs/x', { from: 'a', n })).toBe(1);
      await barrier([a]);
      expect([...worker1.got, ...worker2.got].map(key).sort()).toEqual(published('a', 20).sort());
      // The broker's own choice among the node's members: round-robin.
      expect(worker1.got).toHaveLength(10);
      expect(plain.got.map(key)).toEqual(published('a', 20));
      expect(a.bridge.stats()).toMatchObject({ groupShares: 20, ownEchoesSkipped: 20, duplicates: 0 });
    });

    it('gives a message published in the same turn as the first member subscribed to that member: its queue subscription goes out first', async () => {
      const prefix = nextPrefix();
      const a = await node('a', 0, prefix);
      await a.bridge.ready({ timeoutMs: 5000 });
      const worker = recorder(a.broker, 'jobs/#', 'workers');
      a.broker.publish('jobs/x', { from: 'a', n: 0 });
      await barrier([a]);
      expect(worker.got.map(key)).toEqual(['a:0']);
    });

    it('counts a share that arrives after the last member here left (in flight while the unsubscribe travelled) as unclaimed', async () => {
      const prefix = nextPrefix();
      const a = await node('a', 0, prefix);
      const worker = recorder(a.broker, 'jobs/#', 'workers');
      await a.bridge.ready({ timeoutMs: 5000 });
      // The message goes out now; the queue subscription ends after it, so the server has
      // already picked this node: the share comes back to a node with no member left.
      a.broker.publish('jobs/x', { from: 'a', n: 0 });
      worker.sub.unsubscribe();
      await vi.waitFor(() => expect(a.bridge.stats()).toMatchObject({ groupShares: 1, groupUnclaimed: 1 }), { timeout: 3000, interval: 10 });
      await a.bridge.ready({ timeoutMs: 5000 });
      expect(a.bridge.stats()).toMatchObject({ channels: 0, delivered: 0 });
      expect(worker.got).toEqual([]);
    });

    it('keeps publishLocal on this node: one local member gets it, the other node nothing', async () => {
      const prefix = nextPrefix();
      const a = await node('a', 0, prefix);
      const b = await node('b', 1, prefix);
      const workerA = recorder(a.broker, 'jobs/#', 'workers');
      const workerB = recorder(b.broker, 'jobs/#', 'workers');
      await Promise.all([a.bridge.ready({ timeoutMs: 5000 }), b.bridge.ready({ timeoutMs: 5000 })]);
      expect(a.bridge.publishLocal('jobs/x', { from: 'a', n: 0 })).toBe(1);
      expect(a.broker.publishLocal('jobs/x', { from: 'a', n: 1 })).toBe(1);
      await barrier([a, b]);
      expect(workerA.got.map(key)).toEqual(['a:0', 'a:1']);
      expect(workerB.got).toEqual([]);
    });

    it("treats one group name on 'jobs' and on 'jobs/#' as two groups, as the broker does: topic 'jobs' reaches both", async () => {
      const prefix = nextPrefix();
      const a = await node('a', 0, prefix);
      const b = await node('b', 1, prefix);
      const exactA = recorder(a.broker, 'jobs', 'workers');
      const wideB = recorder(b.broker, 'jobs/#', 'workers');
      const exactB = recorder(b.broker, 'jobs', 'workers');
      await Promise.all([a.bridge.ready({ timeoutMs: 5000 }), b.bridge.ready({ timeoutMs: 5000 })]);
      for (let n = 0; n < 30; n++) a.broker.publish('jobs', { from: 'a', n });
      await barrier([a, b]);
      expect(wideB.got.map(key)).toEqual(published('a', 30));
      expect([...exactA.got, ...exactB.got].map(key).sort()).toEqual(published('a', 30).sort());
    });

    it('carries a group name with characters NATS reserves', async () => {
      const prefix = nextPrefix();
      const a = await node('a', 0, prefix);
      const b = await node('b', 1, prefix);
      const group = 'work ers.v1*>%';
      const workerA = recorder(a.broker, 'jobs/#', group);
      const workerB = recorder(b.broker, 'jobs/#', group);
      const other = recorder(b.broker, 'jobs/#', 'workers');
      await Promise.all([a.bridge.ready({ timeoutMs: 5000 }), b.bridge.ready({ timeoutMs: 5000 })]);
      for (let n = 0; n < 30; n++) a.broker.publish('jobs/x', { from: 'a', n });
      await barrier([a, b]);
      expect([...workerA.got, ...workerB.got].map(key).sort()).toEqual(published('a', 30).sort());
      expect(other.got.map(key)).toEqual(published('a', 30));
    });
  });
});
