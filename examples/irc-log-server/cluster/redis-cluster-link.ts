/**
 * Several nodes, one Redis Cluster: with `--redis-cluster host:port,host:port,…`, a
 * `RedisShardedBridge` is attached to the broker. It publishes with `SPUBLISH`, so each message
 * goes to the one shard that owns its channel, not to every shard (as a `PUBLISH` in a cluster
 * does): more shards, more capacity. Nick claims are keys (one per nick, each in its own slot:
 * `SET NX` works as on one Redis), and the shared join backlog is Streams (one per channel
 * hash, spread over the shards).
 *
 * As with one Redis, the cluster may be away, at start or later: the node serves its own
 * clients meanwhile and says so (redis-link.ts). One shard away is not the cluster away: the
 * others go on, and the bridge reports what it lost on that shard as gaps.
 *
 * @module
 */
import { Cluster, type ClusterOptions } from 'ioredis';
import type { PubSubBroker } from 'logcaster';
import { RedisShardedBridge } from 'logcaster/redis';
import type { LogEntry } from '../logs/entry.js';
import { connectStreamHistory } from '../logs/stream-history.js';
import { bridgedLink, watchEngine } from './bridged-link.js';
import type { ClusterLink } from './link.js';
import { RedisNickClaims } from './nick-claims.js';
import { letGo, noticeMsOf, retryDelay, type RedisLinkOptions } from './redis-link.js';

/** `host:port,host:port` (as `--redis-cluster` takes it) as ioredis's startup nodes. */
export function parseClusterNodes(list: string): Array<{ host: string; port: number }> {
  return list.split(',').map((item) => {
    const at = item.trim().lastIndexOf(':');
    const host = item.trim().slice(0, at).replace(/^\[(.*)\]$/, '$1');
    const port = Number(item.trim().slice(at + 1));
    if (at <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new RangeError(`redisCluster must be host:port[,host:port…] (got ${JSON.stringify(item)})`);
    }
    return { host, port };
  });
}

/** Retry forever, like the single-Redis clients. */
const clusterOptions = (maxRetriesPerRequest: number | null): ClusterOptions => ({
  clusterRetryStrategy: retryDelay,
  redisOptions: { maxRetriesPerRequest },
});

/**
 * Connects to the Redis Cluster whose nodes (some of them are enough) are `list`, and bridges
 * `broker` through it with sharded Pub/Sub (at most once). Resolves once the cluster has
 * acknowledged the subscriptions the broker has, or after `startTimeoutMs` without it.
 */
export async function connectRedisCluster(list: string, broker: PubSubBroker<LogEntry>, options: RedisLinkOptions = {}): Promise<ClusterLink> {
  const log = options.log ?? (() => undefined);
  const noticeMs = noticeMsOf(options);
  const nodes = parseClusterNodes(list);
  const cluster = new Cluster(nodes, { ...clusterOptions(null), shardedSubscribers: true });
  const bridge = new RedisShardedBridge(broker, { cluster });
  const reach = watchEngine(bridge, { engine: 'redis cluster', where: list, connections: [cluster], noticeMs, log });
  await reach.whenUp(options.startTimeoutMs ?? 3000);
  reach.start();
  return bridgedLink({
    engine: 'Redis Cluster',
    where: list,
    bridge,
    reach,
    log,
    claims: (node, ttlMs) => new RedisNickClaims({ redis: cluster, node, ttlMs, connected: () => cluster.status === 'ready', engine: 'Redis Cluster' }),
    history: (perChannel) => connectStreamHistory(() => new Cluster(nodes, clusterOptions(1)), perChannel, log),
    letGo: () => letGo(cluster),
  });
}
