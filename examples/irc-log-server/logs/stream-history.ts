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
import type { Cluster, Redis } from 'ioredis';
import { PubSubBroker } from 'logcaster';
import { RedisStreamBridge } from 'logcaster/redis';
import type { LogEntry } from './entry.js';

/** A backlog that can be read from another store than this node's memory. */
export interface SharedHistory {
  /** Records an entry published on a filtered channel's topic (`channels/<name>`). */
  record(topic: string, entry: LogEntry): void;
  /** The last `count` entries of `topic`, oldest first; rejects when the store cannot answer. */
  fetch(topic: string, count: number): Promise<LogEntry[]>;
  /** Stops and closes the connections; says how many recorded entries were never written. */
  close(): Promise<{ unsent: number }>;
}

/** Quits `client` (waiting at most 500 ms for Redis to answer), then drops the connection. */
async function letGo(client: Redis | Cluster): Promise<void> {
  if (client.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([client.quit().catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, 500)))]);
    clearTimeout(timer);
  }
  client.disconnect();
}

/**
 * Connects the shared backlog to Redis through two new clients made by `connect` (commands
 * fail fast there: a join waits for its backlog at most 2 s anyway).
 *
 * @param perChannel - entries a join shows; the streams keep at least 50 times as many.
 */
export function connectStreamHistory(connect: () => Redis | Cluster, perChannel: number, log: (line: string) => void = () => undefined): SharedHistory {
  const publisher = connect();
  const reader = connect();
  for (const client of [publisher, reader]) {
    // Whether Redis is reachable is said by the link (cluster/redis-link.ts); without a listener
    // ioredis would print every failed reconnect.
    client.on('error', () => undefined);
  }
  // A broker with no subscribers: the bridge only writes streams and answers history.
  const broker = new PubSubBroker<LogEntry>();
  const bridge = new RedisStreamBridge(broker, { publisher, reader, prefix: 'logcaster-history', maxLen: Math.max(1000, perChannel * 50) });
  bridge.on('error', (error) => {
    if (publisher.status === 'ready') log(`redis history: ${error instanceof Error ? error.message : String(error)}`);
  });
  return {
    record: (topic, entry) => void bridge.publish(topic, entry),
    fetch: async (topic, count) => (await bridge.history(topic, count)).map((found) => found.message),
    close: async () => {
      const unsent = bridge.stats().outboxPending;
      await bridge.close();
      broker.close();
      await Promise.all([letGo(publisher), letGo(reader)]);
      return { unsent };
    },
  };
}
