/**
 * The events and counters every bridge shares, whatever its engine.
 *
 * @module
 */
import type { DropReason } from 'logcaster';

/**
 * Which of a bridge's connections an event is about: `'publisher'` and `'subscriber'`
 * (`RedisBridge`, and `RedisShardedBridge`'s cluster and its sharded subscribers),
 * `'publisher'` and `'reader'` (`RedisStreamBridge`), `'connection'` (`NatsBridge`'s one).
 */
export type ConnectionRole = 'publisher' | 'subscriber' | 'reader' | 'connection';

/**
 * Why a connection went down:
 *
 * - `'killed'`: the server closed this connection while the bridge's other connection stayed
 *   up, so the server is alive and cut this one (Redis: a subscriber too slow for
 *   `client-output-buffer-limit`, `CLIENT KILL`, or the `timeout` setting). Only a bridge
 *   with two connections to one server can tell.
 * - `'lost'`: the server could not be reached (restart, network, crash). A NATS client fails
 *   over to another server of the cluster.
 * - `'ended'`: the client stopped reconnecting (it was quit, or gave up): it will not come back
 *   on its own.
 */
export type DisconnectReason = 'killed' | 'lost' | 'ended';

/** Passed with `'disconnect'`. */
export interface DisconnectInfo {
  /** The connection that went down. */
  connection: ConnectionRole;
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
  connection: ConnectionRole;
  /** How long it was down, in milliseconds of the bridge's clock. */
  downMs: number;
}

/** Passed with `'gap'`: messages from `origin` that never arrived. */
export interface GapInfo {
  /** The node id of the sender. */
  origin: string;
  /** Where they were sent: the Redis channel or stream key, or the NATS subject. */
  channel: string;
  /** The sequence number that was expected next. */
  expected: number;
  /** The sequence number that arrived. */
  got: number;
  /** How many messages are missing: `got - expected`. */
  missing: number;
}

/** Event signatures of every bridge. */
export interface BridgeEvents {
  /** A connection went down. Publishes now wait in the bounded outbox (publisher, or NATS connection, down). */
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

/** Counters of a bridge; see `stats()`. */
export interface BridgeStats {
  /** This node's id (the origin of its envelopes). */
  nodeId: string;
  /** Messages this node published for the others (`broker.publish` or `bridge.publish`). */
  published: number;
  /** Calls to `bridge.publishLocal`. */
  publishedLocal: number;
  /** Envelopes handed to the client. */
  sent: number;
  /** Sends the client rejected or threw for (those messages are lost). */
  sendErrors: number;
  /** Envelopes received, own echoes included. */
  received: number;
  /**
   * Messages published into the local broker: from other nodes, and the queue-group shares
   * NATS picked this node for (its own publishes included).
   */
  delivered: number;
  /** Own envelopes that came back and were skipped. */
  ownEchoesSkipped: number;
  /**
   * Envelopes dropped as duplicates. On NATS, a message that matches two of a node's
   * subscriptions arrives twice and its second copy is counted here.
   */
  duplicates: number;
  /**
   * Messages that arrived after a later one from the same sender (a client's retry after a
   * failover reordered them) and were dropped to keep each sender's order. They are lost to
   * the subscribers and counted in `missing` (by the gap that skipped them, or when they
   * arrive if no gap had).
   */
  late: number;
  /** `'gap'` events. */
  gaps: number;
  /** Messages known to be lost, summed over the gaps. */
  missing: number;
  /** Envelopes or payloads that could not be decoded, and local deliveries that threw. */
  malformed: number;
  /**
   * Queue-group shares received (NATS: messages its server picked this node for, one member
   * cluster-wide per message, this node's own publishes included; counted in `received`
   * too). Always 0 on Redis, where groups are per process.
   */
  groupShares: number;
  /**
   * Shares that found no live member of their group here (its last one left while the share
   * travelled): lost to the group, counted here.
   */
  groupUnclaimed: number;
  /** Messages waiting in the outbox: for the publisher connection, or for the bridge's first readiness. */
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
  /** Redis channels (or streams), or NATS subscriptions, this node listens to now. */
  channels: number;
  /** `'disconnect'` events. */
  disconnects: number;
  /** `'reconnect'` events. */
  reconnects: number;
  /** Errors the clients reported (connection refused, reset, …). */
  connectionErrors: number;
}
