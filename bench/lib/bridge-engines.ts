/**
 * The three engines the bridge benchmark runs on, each as a bridge and as its raw client
 * publishing the same JSON on the same routes (the bridge's channel or subject for a topic,
 * under another prefix): one Redis (RedisBridge vs ioredis PUBLISH/SUBSCRIBE), a 3-master
 * Redis Cluster (RedisShardedBridge vs ioredis SPUBLISH/SSUBSCRIBE) and a 3-server NATS
 * cluster (NatsBridge vs nats.js publish/subscribe).
 *
 * @module
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Cluster, Redis } from 'ioredis';
import { PubSubBroker } from 'logcaster';
import { NatsBridge, SubjectMap } from 'logcaster/nats';
import { ChannelMap, RedisBridge, RedisShardedBridge } from 'logcaster/redis';
import { findBinary } from '../../test/helpers/processes.js';
import { startNatsCluster } from '../../test/helpers/nats-server.js';
import { startRedisCluster } from '../../test/helpers/redis-cluster.js';
import { startRedisServer } from '../../test/helpers/redis-server.js';

export type EngineName = 'redis' | 'cluster' | 'nats';

/** Where the servers are: what a child process needs to connect. */
export interface Endpoints {
  engine: EngineName;
  ports: number[];
}

/** One side of one contender: publish a message on a topic, or hand received ones to `onMessage`. */
export interface Side<M> {
  publish(topic: string, message: M): void;
  /** Subscribes to every topic under `bench/`; resolves once the engine has it. */
  subscribe(onMessage: (message: M) => void): Promise<void>;
  close(): Promise<void>;
}

/** Starts the servers of an engine. */
export async function startEngine(engine: EngineName): Promise<{ endpoints: Endpoints; stop: () => Promise<void> }> {
  if (engine === 'redis') {
    const server = await startRedisServer();
    return { endpoints: { engine, ports: [server.port] }, stop: () => server.close() };
  }
  if (engine === 'cluster') {
    const cluster = await startRedisCluster(findBinary('redis-server') ?? 'redis-server', 3);
    return { endpoints: { engine, ports: cluster.nodes.map((n) => n.port) }, stop: () => cluster.close() };
  }
  const cluster = await startNatsCluster(findBinary('nats-server') ?? 'nats-server', { size: 3 });
  return { endpoints: { engine, ports: cluster.servers.map((s) => s.port) }, stop: () => cluster.close() };
}

const json = {
  encode: (message: unknown): string => JSON.stringify(message),
  decode: (data: Buffer | Uint8Array | string): unknown =>
    JSON.parse(typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8')),
};

/** The bridge of `engine`, as one node: `server` picks which server of a cluster it talks to. */
export async function bridgeSide<M>(endpoints: Endpoints, server: number): Promise<Side<M>> {
  const broker = new PubSubBroker<M>();
  const outbox = { maxItems: 1_000_000 };
  let close: () => Promise<void>;
  let bridge: RedisBridge<M> | RedisShardedBridge<M> | NatsBridge<M>;
  if (endpoints.engine === 'redis') {
    const publisher = new Redis(endpoints.ports[0], '127.0.0.1');
    const subscriber = publisher.duplicate();
    bridge = new RedisBridge(broker, { publisher, subscriber, outbox });
    close = async () => {
      publisher.disconnect();
      subscriber.disconnect();
    };
  } else if (endpoints.engine === 'cluster') {
    const cluster = new Cluster(endpoints.ports.map((port) => ({ host: '127.0.0.1', port })), { shardedSubscribers: true });
    bridge = new RedisShardedBridge(broker, { cluster, outbox });
    close = async () => cluster.disconnect();
  } else {
    const connection = await connect({ servers: `127.0.0.1:${endpoints.ports[server % endpoints.ports.length]}` });
    bridge = new NatsBridge(broker, { connection, outbox });
    close = () => connection.close();
  }
  await bridge.ready();
  return {
    publish: (topic, message) => void broker.publish(topic, message),
    subscribe: async (onMessage) => {
      broker.subscribe('bench/#', (message) => void onMessage(message));
      await bridge.ready();
    },
    close: async () => {
      await bridge.close();
      await close();
    },
  };
}

/** The raw client of `engine`: the same routes as the bridge's, under the prefix `raw`. */
export async function rawSide<M>(endpoints: Endpoints, server: number): Promise<Side<M>> {
  if (endpoints.engine === 'nats') {
    const connection: NatsConnection = await connect({ servers: `127.0.0.1:${endpoints.ports[server % endpoints.ports.length]}` });
    const subjects = new SubjectMap('raw', new PubSubBroker().syntax);
    return {
      publish: (topic, message) => connection.publish(subjects.subjectOf(topic), json.encode(message)),
      subscribe: async (onMessage) => {
        connection.subscribe('raw.bench.>', { callback: (_error, msg) => onMessage(json.decode(msg.data) as M) });
        await connection.flush();
      },
      close: () => connection.close(),
    };
  }
  const map = new ChannelMap({ prefix: 'raw' }, new PubSubBroker().syntax, endpoints.engine === 'cluster');
  const names = Array.from({ length: map.channels }, (_, i) => map.name(i));
  if (endpoints.engine === 'redis') {
    const publisher = new Redis(endpoints.ports[0], '127.0.0.1');
    const subscriber = publisher.duplicate();
    return {
      publish: (topic, message) => void publisher.publish(names[map.channelOf(topic)], json.encode(message)).catch(() => undefined),
      subscribe: async (onMessage) => {
        subscriber.on('messageBuffer', (_channel: Buffer, data: Buffer) => onMessage(json.decode(data) as M));
        await subscriber.subscribe(...names);
      },
      close: async () => {
        publisher.disconnect();
        subscriber.disconnect();
      },
    };
  }
  const cluster = new Cluster(endpoints.ports.map((port) => ({ host: '127.0.0.1', port })), { shardedSubscribers: true });
  if (cluster.status !== 'ready') await new Promise((resolve) => cluster.once('ready', resolve));
  return {
    publish: (topic, message) => void cluster.spublish(names[map.channelOf(topic)], json.encode(message)).catch(() => undefined),
    subscribe: async (onMessage) => {
      cluster.on('smessageBuffer', (_channel: Buffer, data: Buffer) => onMessage(json.decode(data) as M));
      // Each channel is its own slot: one SSUBSCRIBE each.
      await Promise.all(names.map((name) => cluster.ssubscribe(name)));
    },
    close: async () => cluster.disconnect(),
  };
}
