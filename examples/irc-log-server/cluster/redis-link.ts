/**
 * Several nodes, one Redis: with `--redis redis://host:port`, a `RedisBridge` is attached to
 * the broker, so every message a node publishes (log entries, chat, network state) reaches the
 * other nodes too. Redis also holds the nick claims (nick-claims.ts) and the shared join
 * backlog (a `RedisStreamBridge`, logs/stream-history.ts).
 *
 * Redis may be away — at start, or for a while later. The node keeps serving its own clients
 * meanwhile, says so once, then again every `noticeMs` until Redis is back, and on shutdown
 * lets go of its connections at once and says how many messages it could not send.
 *
 * @module
 */
import { Redis, type Cluster } from 'ioredis';
import type { PubSubBroker } from 'logcaster';
import { RedisBridge } from 'logcaster/redis';
import type { LogEntry } from '../logs/entry.js';
import { connectStreamHistory } from '../logs/stream-history.js';
import { bridgedLink, watchEngine } from './bridged-link.js';
import type { ClusterLink } from './link.js';
import { RedisNickClaims } from './nick-claims.js';

/** Options of {@link connectRedis} (and of `connectRedisCluster`). */
export interface RedisLinkOptions {
  /** Where to say what happens to the connection. @default nowhere */
  readonly log?: (line: string) => void;
  /** While Redis cannot be reached, how often to say so again, ms. Minimum: 100. @default 30000 */
  readonly noticeMs?: number;
  /** How long the start waits for Redis before going on without it, ms. @default 3000 */
  readonly startTimeoutMs?: number;
}

/** How long a QUIT may take on shutdown before the connection is dropped. */
const QUIT_TIMEOUT_MS = 500;

/** Retry forever, quickly at first: a log server outlives a Redis restart. */
export const retryDelay = (attempt: number): number => Math.min(50 * attempt, 2000);
const CLIENT_OPTIONS = { retryStrategy: retryDelay, maxRetriesPerRequest: null };

/** Lets go of `client` at once when Redis is away (a QUIT would wait for it forever), else after a QUIT. */
export async function letGo(client: Redis | Cluster): Promise<void> {
  if (client.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([client.quit().catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, QUIT_TIMEOUT_MS)))]);
    clearTimeout(timer);
  }
  client.disconnect();
}

/** `noticeMs` checked, or its default. */
export function noticeMsOf(options: RedisLinkOptions): number {
  const noticeMs = options.noticeMs ?? 30_000;
  if (!Number.isInteger(noticeMs) || noticeMs < 100) throw new RangeError(`noticeMs must be an integer >= 100 (got ${String(noticeMs)})`);
  return noticeMs;
}

/**
 * Connects to Redis at `url` and bridges `broker` through it (Pub/Sub mode: live, at most
 * once). From then on plain `broker.publish` reaches every node. Resolves once Redis has
 * acknowledged the subscriptions the broker has, or after `startTimeoutMs` without Redis (a node
 * serves its own clients while Redis is down, and the bridge catches up when it is back).
 */
export async function connectRedis(url: string, broker: PubSubBroker<LogEntry>, options: RedisLinkOptions = {}): Promise<ClusterLink> {
  const log = options.log ?? (() => undefined);
  const noticeMs = noticeMsOf(options);
  const publisher = new Redis(url, CLIENT_OPTIONS);
  const subscriber = new Redis(url, CLIENT_OPTIONS);
  const bridge = new RedisBridge(broker, { publisher, subscriber });
  const reach = watchEngine(bridge, { engine: 'redis', where: url, connections: [publisher, subscriber], noticeMs, log });
  await reach.whenUp(options.startTimeoutMs ?? 3000);
  reach.start();
  return bridgedLink({
    engine: 'Redis',
    where: url,
    bridge,
    reach,
    log,
    claims: (node, ttlMs) => new RedisNickClaims({ redis: publisher, node, ttlMs, connected: () => publisher.status === 'ready' }),
    history: (perChannel) => connectStreamHistory(() => new Redis(url, { ...CLIENT_OPTIONS, maxRetriesPerRequest: 1 }), perChannel, log),
    letGo: async () => {
      await Promise.all([letGo(publisher), letGo(subscriber)]);
    },
  });
}
