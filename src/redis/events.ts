/**
 * The events and counters the Redis bridges share.
 *
 * @module
 */
import type { DropReason } from 'logcaster';

/** Which of a bridge's connections an event is about. */
export type RedisConnectionRole = 'publisher' | 'subscriber' | 'reader';

/**
 * Why a connection went down:
 *
 * - `'killed'`: Redis closed this connection while the bridge's other connection stayed up,
 *   so the server is alive and cut this one: a subscriber too slow for
 *   `client-output-buffer-limit`, `CLIENT KILL`, or the `timeout` setting.
 * - `'lost'`: Redis could not be reached (restart, network, crash).
 * - `'ended'`: the client stopped reconnecting (it was quit, or gave up): it will not come back
 *   on its own.
 */
export type DisconnectReason = 'killed' | 'lost' | 'ended';

/** Passed with `'disconnect'`. */
export interface DisconnectInfo {
  /** The connection that went down. */
  connection: RedisConnectionRole;
  /** Why; see {@link DisconnectReason}. */
  reason: DisconnectReason;
  /** The last error the client reported on that connection before it closed, if any. */
  error: Error | undefined;
  /** A sentence for logs. */
  message: string;
}

/** Passed with `'reconnect'`. */
export interface ReconnectInfo {
  /** The connection that is back. */
  connection: RedisConnectionRole;
  /** How long it was down, in milliseconds of the bridge's clock. */
  downMs: number;
}

/** Passed with `'gap'`: messages from `origin` that never arrived. */
export interface GapInfo {
  /** The node id of the sender. */
  origin: string;
  /** The Redis channel (or stream key) they were sent on. */
  channel: string;
  /** The sequence number that was expected next. */
  expected: number;
  /** The sequence number that arrived. */
  got: number;
  /** How many messages are missing: `got - expected`. */
  missing: number;
}

/** Event signatures of {@link RedisBridge} and {@link RedisStreamBridge}. */
export interface RedisBridgeEvents {
  /** A connection went down. Publishes now wait in the bounded outbox (publisher down). */
  disconnect: [info: DisconnectInfo];
  /** A connection that had gone down is ready again (subscriptions are being restored; the outbox is sent). */
  reconnect: [info: ReconnectInfo];
  /** Messages from another node were lost: they are not coming (counted in `gaps` and `missing`). */
  gap: [info: GapInfo];
  /** The outbox dropped `count` messages: it was full (`reason` is its policy) or closed. */
  drop: [count: number, reason: DropReason];
  /**
   * Something failed without stopping the bridge: a send or subscribe rejected, an
   * undecodable message, a local delivery that threw. Nothing is thrown to publishers.
   */
  error: [error: unknown];
}

/** Counters of a Redis bridge; see `stats()`. */
export interface RedisBridgeStats {
  /** This node's id (the origin of its envelopes). */
  nodeId: string;
  /** Messages this node published for the others (`broker.publish` or `bridge.publish`). */
  published: number;
  /** Calls to `bridge.publishLocal`. */
  publishedLocal: number;
  /** Envelopes handed to the Redis client. */
  sent: number;
  /** Sends the Redis client rejected (those messages are lost). */
  sendErrors: number;
  /** Envelopes received from Redis, own echoes included. */
  received: number;
  /** Messages from other nodes published into the local broker. */
  delivered: number;
  /** Own envelopes that came back and were skipped. */
  ownEchoesSkipped: number;
  /** Envelopes dropped as duplicates or out of order. */
  duplicates: number;
  /** `'gap'` events. */
  gaps: number;
  /** Messages known to be lost, summed over the gaps. */
  missing: number;
  /** Envelopes or payloads that could not be decoded, and local deliveries that threw. */
  malformed: number;
  /** Messages waiting in the outbox for the publisher connection. */
  outboxPending: number;
  /** Messages the outbox dropped (full, or closed with messages in it). */
  outboxDropped: number;
  /**
   * Times the outbox was held after the publisher reconnected, until the other nodes'
   * subscribers were back (Pub/Sub only; see `resubscribeGraceMs`).
   */
  outboxHolds: number;
  /** How long the last hold lasted, in milliseconds (0 before the first). */
  lastHoldMs: number;
  /** Redis channels (or streams) this node listens to now. */
  channels: number;
  /** `'disconnect'` events. */
  disconnects: number;
  /** `'reconnect'` events. */
  reconnects: number;
  /** Errors the clients reported (connection refused, reset, …). */
  connectionErrors: number;
}
