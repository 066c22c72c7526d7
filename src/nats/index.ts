/**
 * logcaster/nats: brokers in several processes share their messages through NATS (one
 * server or a cluster), at most once, routed by subject to the nodes that want them.
 *
 * @packageDocumentation
 * @module logcaster/nats
 */
// ── The bridge and its options ──
export { NatsBridge, type NatsBridgeOptions } from './nats-bridge.js';
export type { BridgeOptions, OutboxOptions } from '../bridge/options.js';
export type { ReadyOptions } from '../bridge/ready-gate.js';
// ── What it tells you: events, stats, and the records those events carry ──
export type {
  BridgeEvents,
  BridgeStats,
  ConnectionRole,
  DisconnectInfo,
  DisconnectReason,
  ReconnectInfo,
  GapInfo,
} from '../bridge/events.js';
// ── What it needs from a NATS connection (nats.js 3's NatsConnection fits) ──
export type { NatsClient, NatsMessage, NatsStatus, NatsSubscription } from './client.js';
// ── How messages become bytes, and which subject a topic travels on ──
export { jsonCodec, bufferCodec, stringCodec, type Codec } from '../bridge/codec.js';
export { SubjectMap } from './subject-map.js';
// ── Errors, with their ERR_* codes ──
export {
  BridgeError,
  EnvelopeError,
  BRIDGE_ERROR_CODES,
  type BridgeErrorCode,
  type InvalidArgTypeError,
  type OutOfRangeError,
} from '../bridge/errors.js';
// ── What every bridge shares (ready(), close(), stats()) ──
export type { BridgeBase } from '../bridge/bridge-base.js';
