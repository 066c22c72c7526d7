/**
 * What the server needs from the engine that joins its nodes, whatever it is: a bridge on the
 * broker (so `broker.publish` reaches every node), nick claims, and a shared join backlog.
 * `--redis <url>` makes a {@link ClusterLink} from one Redis (`redis-link.ts`),
 * `--redis-cluster <host:port,…>` from a Redis Cluster (`redis-cluster-link.ts`), `--nats <url>`
 * from NATS with JetStream (`nats-link.ts`); each assembles the same parts (`bridged-link.ts`).
 *
 * @module
 */
import type { PubSubBroker } from 'logcaster';
import type { ServerConfig } from '../config.js';
import type { NickClaims } from '../irc/network.js';
import type { LogEntry } from '../logs/entry.js';
import type { SharedHistory } from '../logs/stream-history.js';

/** The link's counters an operator watches: shown by `/msg logcaster stats` and in `/metrics`. */
export interface ClusterLinkStats {
  /** Times a node's messages were found missing (Pub/Sub is at most once). */
  gaps: number;
  /** Messages known lost, summed over the gaps. */
  missing: number;
  /** Messages waiting in the outbox for the engine to come back. */
  outboxPending: number;
  /** Messages the full outbox dropped. */
  outboxDropped: number;
  /** Connections that came back after an outage. */
  reconnects: number;
  /** Messages this node sent to the others (entries, chat, state). */
  published: number;
  /** Messages from the other nodes delivered here. */
  delivered: number;
}

/** Nick claims the link keeps; closed with it. */
export interface LinkNickClaims extends NickClaims {
  /** Stops refreshing and gives the nicks back (when the engine can be reached). */
  close(): Promise<void>;
}

/** Several nodes joined through one engine. */
export interface ClusterLink {
  /** The engine's name as users read it: `Redis`, `Redis Cluster`, `NATS`. */
  readonly engine: string;
  /**
   * Resolves `true` once the engine has acknowledged the subscriptions the broker has now (so
   * what other nodes send from then on arrives), `false` if not within `timeoutMs`.
   */
  ready(timeoutMs?: number): Promise<boolean>;
  /** Whether the engine can be reached now. */
  readonly connected: boolean;
  /** Calls `listener` each time the engine is reachable again after an outage. */
  onReconnect(listener: () => void): void;
  /** The counters. */
  stats(): ClusterLinkStats;
  /** Nick ownership across nodes, expiring `ttlMs` after this node stops refreshing it. */
  nickClaims(node: string, ttlMs: number): LinkNickClaims;
  /** The join backlog every node shares, keeping at least `perChannel` entries per channel. */
  sharedHistory(perChannel: number): SharedHistory;
  /**
   * Stops bridging and lets go of the engine, within about a second even when it cannot be
   * reached; says how many messages for the other nodes were never sent.
   */
  close(): Promise<void>;
}

/** The options of the server that choose and configure the link. */
export type ClusterSettings = Pick<ServerConfig, 'redis' | 'redisCluster' | 'nats' | 'redisNoticeMs' | 'nickClaimTtlMs' | 'history'>;

/**
 * Connects to the engine `settings` name, or resolves `undefined` for a single node.
 * Loaded only when asked for: ioredis and the bridge add ~19 MiB of RSS to a node without it
 * (and the NATS client about as much). The configuration names one engine at most.
 */
export async function connectCluster(settings: ClusterSettings, broker: PubSubBroker<LogEntry>, log: (line: string) => void): Promise<ClusterLink | undefined> {
  if (settings.redis !== undefined) {
    const { connectRedis } = await import('./redis-link.js');
    return connectRedis(settings.redis, broker, { log, noticeMs: settings.redisNoticeMs });
  }
  if (settings.redisCluster !== undefined) {
    const { connectRedisCluster } = await import('./redis-cluster-link.js');
    return connectRedisCluster(settings.redisCluster, broker, { log, noticeMs: settings.redisNoticeMs });
  }
  if (settings.nats !== undefined) {
    const { connectNats } = await import('./nats-link.js');
    return connectNats(settings.nats, broker, { log, noticeMs: settings.redisNoticeMs, claimTtlMs: settings.nickClaimTtlMs, historyPerChannel: settings.history });
  }
  return undefined;
}
