import { connect, type NatsConnection } from '@nats-io/transport-node';
import { PubSubBroker } from 'logcaster';
import { NatsBridge } from 'logcaster/nats';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { describeWithNats, startNatsCluster, type NatsCluster } from '../helpers/nats-server.js';

const ROUTE_DELAY_MS = 50;

describeWithNats(`ready() across a NATS route slowed to ${ROUTE_DELAY_MS} ms each way`, (binary) => {
  let cluster: NatsCluster;
  const connections: NatsConnection[] = [];
  const bridges: Array<NatsBridge<unknown>> = [];
  let prefixes = 0;

  beforeAll(async () => {
    cluster = await startNatsCluster(binary, { size: 2, routeDelayMs: ROUTE_DELAY_MS });
  });
  afterAll(async () => {
    await cluster?.close();
  });
  afterEach(async () => {
    for (const bridge of bridges.splice(0)) await bridge.close();
    for (const connection of connections.splice(0)) await connection.close();
  });

  const open = async (server: number): Promise<NatsConnection> => {
    const connection = await connect({ servers: cluster.urls[server] });
    connections.push(connection);
    return connection;
  };

  const node = async (server: number, prefix: string) => {
    const connection = await open(server);
    const broker = new PubSubBroker<number>();
    const bridge = new NatsBridge(broker, { connection, prefix });
    bridges.push(bridge as NatsBridge<unknown>);
    return { broker, bridge, connection };
  };

  it('(the control) a bare subscribe + flush is not enough: a publish from the other server right after it is lost', async () => {
    const subscriber = await open(0);
    const publisher = await open(1);
    let lost = 0;
    for (let round = 0; round < 5; round++) {
      const subject = `control.${process.pid}.${round}`;
      let got = 0;
      subscriber.subscribe(subject, { callback: () => void got++ });
      await subscriber.flush();
      publisher.publish(subject, 'right after the flush');
      await publisher.flush();
      // Well past the route's round trip: had it been routed, it would be here.
      await new Promise((resolve) => setTimeout(resolve, 4 * ROUTE_DELAY_MS));
      if (got === 0) lost++;
    }
    expect(lost).toBe(5);
  });

  it('after ready(), the very next message a node on the other server publishes arrives, in both directions', async () => {
    const prefix = `r${process.pid}.${++prefixes}`;
    const a = await node(0, prefix);
    const b = await node(1, prefix);
    await Promise.all([a.bridge.ready({ timeoutMs: 5000 }), b.bridge.ready({ timeoutMs: 5000 })]);
    // Started within one route delay of each other, they learn of each other from their
    // repeated announcements (the first ones crossed before either server knew the other node).
    await vi.waitFor(() => expect([a.bridge.servers().length, b.bridge.servers().length]).toEqual([2, 2]), { timeout: 3000 });
    for (let round = 0; round < 8; round++) {
      const [listener, talker] = round % 2 === 0 ? [a, b] : [b, a];
      const got: number[] = [];
      listener.broker.subscribe(`room${round}/x/#`, (n) => void got.push(n));
      const started = performance.now();
      await listener.bridge.ready({ timeoutMs: 5000 });
      // It waited for the route: at least one round trip over it.
      expect(performance.now() - started).toBeGreaterThanOrEqual(2 * ROUTE_DELAY_MS - 5);
      talker.broker.publish(`room${round}/x/line`, round);
      await vi.waitFor(() => expect(got).toEqual([round]), { timeout: 3000, interval: 5 });
    }
    expect(a.bridge.stats().gaps + b.bridge.stats().gaps).toBe(0);
  });

  it('a node that joins holds what it publishes until its server knows the others: its first messages reach a node that was ready', async () => {
    const prefix = `r${process.pid}.${++prefixes}`;
    const b = await node(1, prefix);
    const got: number[] = [];
    b.broker.subscribe('logs/#', (n) => void got.push(n));
    await b.bridge.ready({ timeoutMs: 5000 });
    // B's subscriptions spread over the route (one route delay): only then does the cluster
    // know B, and a node joining elsewhere can learn of it.
    await new Promise((resolve) => setTimeout(resolve, 3 * ROUTE_DELAY_MS));
    // B takes up a new topic: its server has it, the other server will in one route delay.
    const fresh: number[] = [];
    b.broker.subscribe('fresh/#', (n) => void fresh.push(n));
    await b.bridge.ready({ timeoutMs: 5000 });
    const a = await node(0, prefix);
    for (let n = 1; n <= 13; n++) {
      a.broker.publish('logs/api/INFO', n);
      a.broker.publish('fresh/api/INFO', n);
    }
    // Sent at once, the fresh ones would have reached A's server before B's new subscription.
    await vi.waitFor(() => expect([got.length, fresh.length]).toEqual([13, 13]), { timeout: 3000, interval: 10 });
    expect(got).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    expect(fresh).toEqual(got);
  });

  it('rejects ready() with a typed error naming what it waits for when the route is slower than timeoutMs', async () => {
    const prefix = `r${process.pid}.${++prefixes}`;
    const a = await node(0, prefix);
    const b = await node(1, prefix);
    await b.bridge.ready({ timeoutMs: 5000 });
    await vi.waitFor(() => expect(a.bridge.servers()).toHaveLength(2), { timeout: 3000 });
    await a.bridge.ready({ timeoutMs: 5000 });
    a.broker.subscribe('late/#', () => undefined);
    await expect(a.bridge.ready({ timeoutMs: 10 })).rejects.toMatchObject({
      name: 'BridgeError',
      code: 'ERR_BRIDGE_READY_TIMEOUT',
      message: expect.stringMatching(/NATS did not acknowledge the subscriptions within 10 ms \(2 subscriptions; waiting for (an answer through server\(s\) N|our server to process)/),
    });
    await a.bridge.ready({ timeoutMs: 5000 });
  });
});
