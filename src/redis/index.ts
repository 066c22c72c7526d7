/**
 * logcaster/redis: brokers in several processes share their messages through Redis, with
 * Pub/Sub (at most once), Streams (replay within a bound) or a Redis Cluster's sharded
 * Pub/Sub (at most once, spread over the shards).
 *
 * @packageDocumentation
 * @module logcaster/redis
 */
// ── The three bridges, with their options (what you write to configure one) ──
export { RedisBridge, type RedisBridgeOptions } from './pubsub-bridge.js';
export { RedisStreamBridge, type RedisStreamBridgeOptions, type HistoryEntry } from './stream-bridge.js';
export {
  RedisShardedBridge,
  type RedisShardedBridgeOptions,
  type RedisClusterClient,
  type RedisClusterEvents,
} from './sharded-bridge.js';
export type { ChannelBridgeOptions } from './channel-bridge.js';
export type { BridgeOptions, OutboxOptions } from '../bridge/options.js';
export type { ReadyOptions } from '../bridge/ready-gate.js';
// ── What they tell you: events, stats, and the records those events carry ──
export type {
  BridgeEvents,
  BridgeStats,
  ConnectionRole,
  DisconnectInfo,
  DisconnectReason,
  ReconnectInfo,
  GapInfo,
} from '../bridge/events.js';
export type {
  /** The same as {@link BridgeEvents} (the name before NATS joined). */
  BridgeEvents as RedisBridgeEvents,
  /** The same as {@link BridgeStats}. */
  BridgeStats as RedisBridgeStats,
  /** The same as {@link ConnectionRole}. */
  ConnectionRole as RedisConnectionRole,
} from '../bridge/events.js';
// ── What they need from a Redis client (ioredis 5 or 6 fits; so may another client) ──
export type {
  RedisClientEvents,
  RedisConnection,
  RedisCommandClient,
  RedisPublisherClient,
  RedisSubscriberClient,
} from './client.js';
// ── How messages become bytes, and which Redis channel a topic travels on ──
export { jsonCodec, bufferCodec, stringCodec, type Codec } from '../bridge/codec.js';
export { ChannelMap, ALL_CHANNELS, type ChannelMapOptions } from './channel-map.js';
// ── Errors, with their ERR_* codes ──
export {
  BridgeError,
  /** The same class as {@link BridgeError} (its name before NATS joined). */
  BridgeError as RedisBridgeError,
  EnvelopeError,
  BRIDGE_ERROR_CODES,
  type BridgeErrorCode,
  type BridgeErrorCode as RedisBridgeErrorCode,
  type InvalidArgTypeError,
  type OutOfRangeError,
} from '../bridge/errors.js';
export { RedisReplyError } from './errors.js';
// ── What every bridge shares (ready(), close(), stats()) ──
export type { BridgeBase } from '../bridge/bridge-base.js';
export type { ChannelBridge } from './channel-bridge.js';
