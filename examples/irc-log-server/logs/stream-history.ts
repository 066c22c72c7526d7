/**
 * The join backlog shared by every node (`--redis` with `--history N`): each node appends the
 * entries it ingests for a filtered channel to a Redis Stream (the library's
 * `RedisStreamBridge`, on a broker of its own so nothing is delivered twice), and a join
 * reads the channel's last N from there, so every node shows the same lines, including a node
 * started after they were logged. Pattern channels, whose topics are wildcards, use the local
 * history (history.ts).
 *
 * @module
 */
import { Redis } from 'ioredis';
import { PubSubBroker } from 'logcaster';
import { RedisStreamBridge } from 'logcaster/redis';
import type { LogEntry } from './entry.js';

/** A backlog that can be read from another store than this node's memory. */
export interface SharedHistory {
  /** Records an entry published on a filtered channel's topic (`channels/<name>`). */
  record(topic: string, entry: LogEntry): void;
  /** The last `count` entries of `topic`, oldest first; rejects when the store cannot answer. */
  fetch(topic: string, count: number): Promise<LogEntry[]>;
  /** Stops and closes the connections. */
  close(): Promise<void>;
}

/**
 * Connects the shared backlog to Redis at `url`.
 *
 * @param perChannel - entries a join shows; the streams keep at least 50 times as many.
 */
export function connectStreamHistory(url: string, perChannel: number, log: (line: string) => void = () => undefined): SharedHistory {
  const options = { retryStrategy: (attempt: number) => Math.min(50 * attempt, 2000), maxRetriesPerRequest: 1 };
  const publisher = new Redis(url, options);
  const reader = publisher.duplicate();
  // A broker with no subscribers: the bridge only writes streams and answers history.
  const broker = new PubSubBroker<LogEntry>();
  const bridge = new RedisStreamBridge(broker, { publisher, reader, prefix: 'logcaster-history', maxLen: Math.max(1000, perChannel * 50) });
  bridge.on('error', (error) => log(`redis history: ${error instanceof Error ? error.message : String(error)}`));
  return {
    record: (topic, entry) => void bridge.publish(topic, entry),
    fetch: async (topic, count) => (await bridge.history(topic, count)).map((found) => found.message),
    close: async () => {
      await bridge.close();
      broker.close();
      await Promise.allSettled([publisher.quit(), reader.quit()]);
    },
  };
}
