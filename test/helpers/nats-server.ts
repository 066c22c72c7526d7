/**
 * Real nats-server processes for the tests: one, or a cluster of routed servers, on
 * 127.0.0.1 with free ports, each with its monitoring port, killed when the test ends (and
 * when the test process dies: see processes.ts).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDelayProxy, type DelayProxy } from './delay-proxy.js';
import { findBinary, spawnServer, stopChild, succeeds, waitUntil } from './processes.js';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { describeWithBinary, freePort } from './redis-server.js';

const INSTALL_HINT = 'nats-server is not installed: `apt-get install -y nats-server` (Debian/Ubuntu) to run these tests';

/**
 * `describe` for tests that need nats-server: skipped with a message when it is missing,
 * or failing when LOGCASTER_REQUIRE_NATS=1 (CI).
 */
export function describeWithNats(name: string, body: (binary: string) => void): void {
  describeWithBinary(findBinary('nats-server'), 'LOGCASTER_REQUIRE_NATS', INSTALL_HINT, name, body);
}

/** One server of a test cluster. */
export interface NatsServer {
  /** Its client port. */
  readonly port: number;
  /** `nats://127.0.0.1:port` */
  readonly url: string;
  /** Its monitoring port (`/varz`, `/routez`, `/subsz`). */
  readonly monitorPort: number;
  /** Whether it runs. */
  readonly running: boolean;
  /** Its server id (a new one at every start), read from `/varz`. */
  id(): Promise<string>;
}

/** A cluster of nats-servers owned by the test. */
export interface NatsCluster {
  readonly servers: readonly NatsServer[];
  /** Every client URL, for `connect({ servers })`. */
  readonly urls: string[];
  /** Stops server `index` (`'SIGKILL'` is `kill -9`) and waits for it to exit. */
  stop(index: number, signal?: NodeJS.Signals): Promise<void>;
  /** Starts server `index` again on its ports, and waits until its routes are up. */
  start(index: number): Promise<void>;
  /** Waits until every running server has a route to every other running one. */
  routed(): Promise<void>;
  /** Stops every server and proxy and removes the temp dir. */
  close(): Promise<void>;
}

/** Options of {@link startNatsCluster}. */
export interface NatsClusterOptions {
  /** How many servers. @default 1 */
  size?: number;
  /**
   * Routes from every other server to server 0 go through a proxy that delays each
   * direction by this many milliseconds (with two servers: the only route). @default 0
   */
  routeDelayMs?: number;
  /** Turns JetStream on (`-js`), each server storing in its own dir under the temp dir. @default false */
  jetstream?: boolean;
}

const getJson = async (port: number, path: string): Promise<Record<string, unknown>> => {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(1000) });
  return (await response.json()) as Record<string, unknown>;
};

/** Starts `size` routed nats-servers; resolves once every route is up. */
export async function startNatsCluster(binary: string, options: NatsClusterOptions = {}): Promise<NatsCluster> {
  const size = options.size ?? 1;
  const delayMs = options.routeDelayMs ?? 0;
  const dir = mkdtempSync(join(tmpdir(), 'logcaster-nats-'));
  const ports = await Promise.all(
    Array.from({ length: size }, async () => ({ client: await freePort(), cluster: await freePort(), monitor: await freePort() })),
  );
  const proxies: DelayProxy[] = [];
  // Every server routes to server 0 (through the proxy when delayed); the others find each
  // other through it (NATS gossips routes).
  let seed = ports[0].cluster;
  if (delayMs > 0) {
    const proxy = await startDelayProxy(ports[0].cluster, delayMs);
    proxies.push(proxy);
    seed = proxy.port;
  }
  const children: Array<ChildProcess | undefined> = new Array(size).fill(undefined);

  const args = (index: number): string[] => {
    const { client, cluster, monitor } = ports[index];
    const list = ['-a', '127.0.0.1', '-p', String(client), '-m', String(monitor), '-n', `s${index}`];
    list.push('-l', join(dir, `s${index}.log`));
    if (options.jetstream === true) list.push('-js', '-sd', join(dir, `s${index}-store`));
    if (size > 1) {
      list.push('--cluster', `nats://127.0.0.1:${cluster}`, '--cluster_name', 'logcaster-test');
      if (index > 0) list.push('--routes', `nats://127.0.0.1:${seed}`);
    }
    return list;
  };

  const launch = async (index: number): Promise<void> => {
    const child = spawnServer(binary, args(index));
    children[index] = child;
    let gone = false;
    child.once('exit', () => (gone = true));
    await waitUntil(`nats-server s${index} to answer on its monitoring port`, async () => {
      if (gone) throw new Error(`nats-server s${index} exited at start (see ${join(dir, `s${index}.log`)})`);
      return succeeds(async () => (await getJson(ports[index].monitor, '/healthz')).status === 'ok');
    });
  };

  const running = (index: number): boolean => {
    const child = children[index];
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  };

  const routed = async (): Promise<void> => {
    const up = ports.map((_, i) => i).filter(running);
    await waitUntil(
      'every route of the NATS cluster',
      async () => {
        for (const i of up) {
          const ok = await succeeds(async () => Number((await getJson(ports[i].monitor, '/routez')).num_routes) >= up.length - 1);
          if (!ok) return false;
        }
        return true;
      },
      10_000,
    );
  };

  const servers: NatsServer[] = ports.map((p, index) => ({
    port: p.client,
    url: `nats://127.0.0.1:${p.client}`,
    monitorPort: p.monitor,
    get running() {
      return running(index);
    },
    id: async () => String((await getJson(p.monitor, '/varz')).server_id),
  }));

  for (let i = 0; i < size; i++) await launch(i);
  await routed();

  return {
    servers,
    urls: servers.map((server) => server.url),
    async stop(index, signal) {
      const child = children[index];
      children[index] = undefined;
      if (child !== undefined) await stopChild(child, signal);
    },
    async start(index) {
      await launch(index);
      await routed();
    },
    routed,
    async close() {
      for (let i = 0; i < size; i++) {
        const child = children[i];
        children[i] = undefined;
        if (child !== undefined) await stopChild(child);
      }
      for (const proxy of proxies) await proxy.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Something a test opened on the cluster and the fixture closes after it. */
interface Closable {
  close(): Promise<unknown>;
}

/** What {@link useNatsCluster} gives a `describe` block. */
export interface NatsClusterFixture {
  /** The running cluster (set before the first test). */
  readonly cluster: NatsCluster;
  /** Connections and bridges a test opened: closed after it, bridges first. */
  readonly connections: Closable[];
  readonly bridges: Closable[];
  /** A subject prefix no other test of the run uses (`tag` tells the files apart). */
  nextPrefix(): string;
}

/**
 * A cluster of `size` routed servers shared by the tests of a `describe` block: started
 * before them and closed after them. After each test, what it opened is closed and a server
 * it killed is started again, so the next test starts with the whole cluster.
 */
export function useNatsCluster(binary: string, size: number, tag: string): NatsClusterFixture {
  let cluster: NatsCluster | undefined;
  let prefixes = 0;
  const connections: Closable[] = [];
  const bridges: Closable[] = [];
  beforeAll(async () => {
    cluster = await startNatsCluster(binary, { size });
  });
  afterAll(async () => {
    await cluster?.close();
  });
  afterEach(async () => {
    for (const bridge of bridges.splice(0)) await bridge.close();
    for (const connection of connections.splice(0)) await connection.close();
    if (cluster === undefined) return;
    for (let i = 0; i < cluster.servers.length; i++) if (!cluster.servers[i].running) await cluster.start(i);
  });
  return {
    get cluster(): NatsCluster {
      if (cluster === undefined) throw new Error('the NATS cluster is not started yet (use it inside a test)');
      return cluster;
    },
    connections,
    bridges,
    nextPrefix: () => `${tag}${process.pid}.n${++prefixes}`,
  };
}
