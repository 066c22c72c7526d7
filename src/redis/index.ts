/**
 * logcaster/redis: brokers in several processes share their messages through Redis, with
 * Pub/Sub (at most once) or Streams (replay within a bound).
 *
 * @packageDocumentation
 * @module logcaster/redis
 */
// ── The two bridges, with their options (what you write to configure one) ──
export { RedisBridge, type RedisBridgeOptions } from './pubsub-bridge.js';
export type { BridgeOptions, OutboxOptions } from './options.js';
// ── What they tell you: events, stats, and the records those events carry ──
export type {
  RedisBridgeEvents,
  RedisBridgeStats,
  RedisConnectionRole,
  DisconnectInfo,
  DisconnectReason,
  ReconnectInfo,
  GapInfo,
} from './events.js';
// ── What they need from a Redis client (ioredis 5 or 6 fits; so may another client) ──
export type {
  RedisClientEvents,
  RedisConnection,
  RedisCommandClient,
  RedisPublisherClient,
  RedisSubscriberClient,
} from './client.js';
// ── How messages become bytes, and which Redis channel a topic travels on ──
export { jsonCodec, bufferCodec, stringCodec, type Codec } from './codec.js';
export { ChannelMap, ALL_CHANNELS, type ChannelMapOptions } from './channel-map.js';
// ── Errors, with their ERR_* codes ──
export {
  RedisBridgeError,
  RedisReplyError,
  EnvelopeError,
  BRIDGE_ERROR_CODES,
  type RedisBridgeErrorCode,
  type InvalidArgTypeError,
  type OutOfRangeError,
} from './errors.js';
// ── What both bridges share (ready(), close(), stats()) ──
export type { BridgeBase, ReadyOptions } from './bridge-base.js';
// ── The Streams bridge (replay within a bound, history) ──
export { RedisStreamBridge, type RedisStreamBridgeOptions, type HistoryEntry } from './stream-bridge.js';
