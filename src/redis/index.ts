/**
 * logcaster/redis: brokers in several processes share their messages through Redis, with
 * Pub/Sub (at most once) or Streams (replay within a bound).
 *
 * @packageDocumentation
 * @module logcaster/redis
 */
export { RedisBridge, type RedisBridgeOptions } from './pubsub-bridge.js';
export type { BridgeOptions, OutboxOptions } from './options.js';
export type {
  RedisBridgeEvents,
  RedisBridgeStats,
  RedisConnectionRole,
  DisconnectInfo,
  DisconnectReason,
  ReconnectInfo,
  GapInfo,
} from './events.js';
export type {
  RedisClientEvents,
  RedisConnection,
  RedisCommandClient,
  RedisPublisherClient,
  RedisSubscriberClient,
} from './client.js';
export { jsonCodec, bufferCodec, stringCodec, type Codec } from './codec.js';
export { ChannelMap, ALL_CHANNELS, type ChannelMapOptions } from './channel-map.js';
export {
  RedisBridgeError,
  RedisReplyError,
  EnvelopeError,
  BRIDGE_ERROR_CODES,
  type RedisBridgeErrorCode,
  type InvalidArgTypeError,
  type OutOfRangeError,
} from './errors.js';
export type { BridgeBase, ReadyOptions } from './bridge-base.js';
export { RedisStreamBridge, type RedisStreamBridgeOptions, type HistoryEntry } from './stream-bridge.js';
