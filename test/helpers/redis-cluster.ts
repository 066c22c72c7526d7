/**
 * A real Redis Cluster for the tests: `masters` redis-servers in cluster mode on free ports
 * (client and bus), joined with `redis-cli --cluster create`, no replicas. A shard that is
 * stopped does not take the others down (`cluster-require-full-coverage no`), and comes back
 * with its slots when started again (its nodes.conf is kept).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findBinary, succeeds, waitUntil } from './processes.js';
import { freePort, redisCommand, startRedisServer, type RedisServer } from './redis-server.js';

const run = promisify(execFile);

/** A running Redis Cluster owned by the test. */
export interface RedisCluster {
  /** The masters, in slot order: node 0 serves slots 0–5460 (of three), and so on. */
  readonly nodes: readonly RedisServer[];
  /** `{ host, port }` of every node, for `new Cluster(startupNodes, …)`. */
  readonly startupNodes: Array<{ host: string; port: number }>;
  /** Waits until every running node reports `cluster_state:ok`. */
  healthy(): Promise<void>;
  /** Stops every node and removes their dirs. */
  close(): Promise<void>;
}

/** Whether node `port` reports the cluster as ok and knows `size` masters. */
async function clusterOk(port: number, size: number): Promise<boolean> {
  const info = await redisCommand(port, 'CLUSTER INFO');
  return info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${size}`);
}

/** Starts a cluster of `masters` nodes; resolves once every node says the cluster is ok. */
export async function startRedisCluster(binary: string, masters = 3): Promise<RedisCluster> {
  const cli = findBinary('redis-cli');
  if (cli === undefined) throw new Error('redis-cli is not installed (it comes with redis-server: `apt-get install -y redis-tools`)');
  const nodes: RedisServer[] = [];
  for (let i = 0; i < masters; i++) {
    const bus = await freePort();
    nodes.push(
      await startRedisServer(binary, (dir) => [
        '--cluster-enabled', 'yes',
        '--cluster-config-file', join(dir, 'nodes.conf'),
        '--cluster-port', String(bus),
        '--cluster-node-timeout', '1000',
        // One shard down must not stop the others (there are no replicas to fail over to).
        '--cluster-require-full-coverage', 'no',
      ]),
    );
  }
  const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
  await run(cli, ['--cluster', 'create', ...addresses, '--cluster-yes'], { timeout: 20_000 });
  const healthy = (): Promise<void> =>
    waitUntil(
      'the Redis Cluster to report cluster_state:ok on every node',
      async () => {
        for (const node of nodes) {
          if (node.pid === undefined) continue;
          if (!(await succeeds(() => clusterOk(node.port, masters)))) return false;
        }
        return true;
      },
      20_000,
    );
  await healthy();
  return {
    nodes,
    startupNodes: nodes.map((node) => ({ host: '127.0.0.1', port: node.port })),
    healthy,
    async close() {
      for (const node of nodes) await node.close();
    },
  };
}
