/**
 * Several nodes, one Redis: with `--redis redis://host:port`, every entry a node ingests is
 * also sent through a `RedisBridge`, so an IRC client on any node sees the logs fed to any
 * other. Each node still routes and renders for its own clients; Redis only carries entries.
 *
 * @module
 */
import { Redis } from 'ioredis';
import type { PubSubBroker } from 'logcaster';
import { RedisBridge } from 'logcaster/redis';
import type { LogEntry } from '../logs/entry.js';

/** What the server needs from the link: a publish that reaches every node, and a way out. */
export interface RedisLink {
  /** Delivers on this node and sends to the others (never throws while Redis is down). */
  publish(topic: string, entry: LogEntry): void;
  /** Counters of the bridge, for the bot's `stats` answer. */
  stats(): Record<string, number>;
  /** Stops bridging and closes both Redis connections. */
  close(): Promise<void>;
}

/**
 * Connects to Redis at `url` and bridges `broker` through it (Pub/Sub mode: live tails, at
 * most once). Resolves once Redis has acknowledged the subscriptions the broker has.
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
  // Wait for Redis to acknowledge, but not forever: a node starts (and serves its own
  // clients) while Redis is down, and the bridge catches up when it comes back.
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), 3000);
  });
  if (await Promise.race([bridge.settled().then(() => false), gaveUp])) log(`redis: ${url} not answering yet; continuing`);
  clearTimeout(timer);
  return {
    publish: (topic, entry) => void bridge.publish(topic, entry),
    stats: () => {
      const counters: Record<string, number> = {};
      for (const [name, value] of Object.entries(bridge.stats())) if (typeof value === 'number') counters[name] = value;
      return counters;
    },
    close: async () => {
      await bridge.close();
      await Promise.allSettled([publisher.quit(), subscriber.quit()]);
    },
  };
}
