import { connect } from '@nats-io/transport-node';
import { PubSubBroker } from 'logcaster';
import { NatsBridge, type DisconnectInfo, type GapInfo, type ReconnectInfo } from 'logcaster/nats';
import { expect, it, vi } from 'vitest';
import { describeWithNats, useNatsCluster } from '../helpers/nats-server.js';

interface Tally {
  published: number;
  delivered: number;
  missing: number;
  dropped: number;
}

describeWithNats('NatsBridge when a server of the cluster is killed (kill -9)', (binary) => {
  const nats = useNatsCluster(binary, 3, 'f');
  const { connections, bridges, nextPrefix } = nats;

  /** A node on server `first` that knows every server, to fail over to another one quickly. */
  const node = async (first: number, prefix: string) => {
    const order = [first, ...[0, 1, 2].filter((i) => i !== first)];
    const connection = await connect({
      servers: order.map((i) => nats.cluster.urls[i]),
      noRandomize: true,
      reconnectTimeWait: 100,
      maxReconnectAttempts: -1,
    });
    connections.push(connection);
    const broker = new PubSubBroker<number>();
    const bridge = new NatsBridge(broker, { connection, prefix });
    bridges.push(bridge as NatsBridge<unknown>);
    const events = { disconnects: [] as DisconnectInfo[], reconnects: [] as ReconnectInfo[], gaps: [] as GapInfo[], dropped: 0 };
    bridge.on('disconnect', (info) => events.disconnects.push(info));
    bridge.on('reconnect', (info) => events.reconnects.push(info));
    bridge.on('gap', (info) => events.gaps.push(info));
    bridge.on('drop', (count) => (events.dropped += count));
    bridge.on('error', () => undefined);
    return { broker, bridge, connection, events };
  };

  /**
   * Publishes numbered messages from `sender` on 4 topics at about 2,000 per second, runs
   * `fault` once `receiver` has some, goes on until it has had `after` more, then checks that
   * every message was delivered once and in order, or counted as lost.
   */
  const pump = async (
    sender: Awaited<ReturnType<typeof node>>,
    receiver: Awaited<ReturnType<typeof node>>,
    fault: () => Promise<void>,
  ): Promise<Tally> => {
    const got = new Map<string, number[]>();
    receiver.broker.subscribe('load/#', (n, topic) => {
      let list = got.get(topic);
      if (list === undefined) got.set(topic, (list = []));
      list.push(n);
    });
    await receiver.bridge.ready({ timeoutMs: 5000 });
    await sender.bridge.ready({ timeoutMs: 5000 });
    await vi.waitFor(() => expect(sender.bridge.servers()).toContain(receiver.connection.info?.server_id), { timeout: 3000 });
    let n = 0;
    let thrown = 0;
    const count = (): number => [...got.values()].reduce((sum, list) => sum + list.length, 0);
    const timer = setInterval(() => {
      for (let i = 0; i < 10; i++, n++) {
        try {
          sender.broker.publish(`load/t${n % 4}`, n);
        } catch {
          thrown++;
        }
      }
    }, 5);
    try {
      await vi.waitFor(() => expect(count()).toBeGreaterThan(500), { timeout: 5000, interval: 10 });
      await fault();
      const at = count();
      await vi.waitFor(() => expect(count()).toBeGreaterThan(at + 1000), { timeout: 10_000, interval: 10 });
    } finally {
      clearInterval(timer);
    }
    const published = n;
    // Everything sent has had time to arrive; then one last message per topic closes any gap.
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (let t = 0; t < 4; t++) sender.broker.publish(`load/t${t}`, published + t);
    await vi.waitFor(
      () => {
        for (let t = 0; t < 4; t++) expect(got.get(`load/t${t}`)?.at(-1)).toBe(published + t);
      },
      { timeout: 5000, interval: 10 },
    );
    expect(thrown).toBe(0);
    for (const list of got.values()) for (let i = 1; i < list.length; i++) expect(list[i]).toBeGreaterThan(list[i - 1]);
    const delivered = count() - 4;
    const stats = receiver.bridge.stats();
    const tally = { published, delivered, missing: stats.missing, dropped: sender.events.dropped };
    // Nothing is lost without a trace: what did not arrive was reported as a gap (or dropped from the outbox, which shows as a gap too).
    expect(delivered + stats.missing).toBe(published);
    expect(stats.duplicates).toBe(0);
    return tally;
  };

  it("the publisher's server dies: its client fails over, and every message is delivered or reported lost", async ({ annotate }) => {
    const prefix = nextPrefix();
    const receiver = await node(1, prefix);
    const sender = await node(0, prefix);
    const tally = await pump(sender, receiver, () => nats.cluster.stop(0, 'SIGKILL'));
    expect(sender.events.disconnects.map((d) => [d.connection, d.reason])).toEqual([['connection', 'lost']]);
    expect(sender.events.reconnects).toHaveLength(1);
    expect(receiver.events.disconnects).toHaveLength(0);
    expect(sender.bridge.stats()).toMatchObject({ disconnects: 1, reconnects: 1, sendErrors: 0 });
    await annotate(`[nats failover: publisher's server killed] ${JSON.stringify(tally)}`);
  }, 40_000);

  it("the receiver's server dies: it fails over, catches up, and reports what it missed as gaps", async ({ annotate }) => {
    const prefix = nextPrefix();
    const receiver = await node(2, prefix);
    const sender = await node(0, prefix);
    const tally = await pump(sender, receiver, () => nats.cluster.stop(2, 'SIGKILL'));
    expect(receiver.events.disconnects.map((d) => d.reason)).toEqual(['lost']);
    expect(receiver.events.reconnects).toHaveLength(1);
    // It was away: messages sent meanwhile were lost to it, and it said so.
    expect(tally.missing).toBeGreaterThan(0);
    expect(receiver.events.gaps.reduce((sum, gap) => sum + gap.missing, 0)).toBe(tally.missing);
    await annotate(`[nats failover: receiver's server killed] ${JSON.stringify(tally)}`);
  }, 40_000);
});
