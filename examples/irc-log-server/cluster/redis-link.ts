/**
 * Several nodes, one Redis: with `--redis redis://host:port`, a `RedisBridge` is attached to
 * the broker, so every entry a node publishes reaches the other nodes too and an IRC client
 * on any node sees the logs fed to any other. The node that ingests an entry routes it (its
 * `channels/…` topics travel too); every node renders for its own clients. Redis only carries
 * what is published (entries, and chat: see chat-bus.ts) and holds the nick claims (nick-claims.ts).
 *
 * @module
 */
import { Redis } from 'ioredis';
import type { PubSubBroker } from 'logcaster';
import { RedisBridge } from 'logcaster/redis';
import type { LogEntry } from '../logs/entry.js';
import { RedisNickClaims } from './nick-claims.js';

/** The bridge's counters an operator watches: shown by `/msg logcaster stats` and in `/metrics`. */
export interface RedisLinkStats {
  /** Times a node's messages were found missing (Pub/Sub is at most once). */
  gaps: number;
  /** Messages known lost, summed over the gaps. */
  missing: number;
  /** Messages waiting in the outbox for Redis to come back. */
  outboxPending: number;
  /** Messages the full outbox dropped. */
  outboxDropped: number;
  /** Connections to Redis that came back after an outage. */
  reconnects: number;
  /** Entries this node sent to the others. */
  published: number;
  /** Entries from the other nodes delivered here. */
  delivered: number;
}

/** What the server needs from the link. */
export interface RedisLink {
  /**
   * Resolves `true` once Redis has acknowledged the subscriptions the broker has now (so
   * entries other nodes send from then on arrive), `false` if not within `timeoutMs`.
   */
  ready(timeoutMs?: number): Promise<boolean>;
  /** The bridge's counters. */
  stats(): RedisLinkStats;
  /**
   * Nick ownership across nodes in keys of this Redis (on the bridge's command connection),
   * expiring `ttlMs` after this node stops refreshing them.
   */
  nickClaims(node: string, ttlMs: number): RedisNickClaims;
  /** Stops bridging and closes both Redis connections. */
  close(): Promise<void>;
}

/**
 * Connects to Redis at `url` and bridges `broker` through it (Pub/Sub mode: live tails, at
 * most once). From then on plain `broker.publish` reaches every node. Resolves once Redis
 * has acknowledged the subscriptions the broker has, or after 3 s without Redis (a node
 * serves its own clients while Redis is down, and the bridge catches up when it is back).
 */
export async function connectRedis(
  url: string,
  broker: PubSubBroker<LogEntry>,
  log: (line: string) => void = () => undefined,
): Promise<RedisLink> {
  // Retry forever, quickly at first: a log server outlives a Redis restart.
  const options = { retryStrategy: (attempt: number) => Math.min(50 * attempt, 2000), maxRetriesPerRequest: null };
  const publisher = new Redis(url, options);
  const subscriber = new Redis(url, options);
  const bridge = new RedisBridge(broker, { publisher, subscriber });
  bridge.on('disconnect', (info) => log(`redis: ${info.message}`));
  bridge.on('reconnect', (info) => log(`redis: reconnected after ${Math.round(info.downMs)} ms`));
  bridge.on('gap', ({ origin, missing }) => log(`redis: lost ${missing} entries from node ${origin}`));
  bridge.on('error', (error) => log(`redis: ${error instanceof Error ? error.message : String(error)}`));
  const ready = (timeoutMs = 3000): Promise<boolean> =>
    bridge.ready({ timeoutMs }).then(
      () => true,
      () => false,
    );
  if (!(await ready())) log(`redis: ${url} not answering yet; continuing`);
  let claims: RedisNickClaims | undefined;
  return {
    ready,
    nickClaims: (node, ttlMs) => {
      claims ??= new RedisNickClaims({ redis: publisher, node, ttlMs, log });
      return claims;
    },
    stats: () => {
      const { gaps, missing, outboxPending, outboxDropped, reconnects, published, delivered } = bridge.stats();
      return { gaps, missing, outboxPending, outboxDropped, reconnects, published, delivered };
    },
    close: async () => {
      await claims?.close();
      await bridge.close();
      await Promise.allSettled([publisher.quit(), subscriber.quit()]);
    },
  };
}
