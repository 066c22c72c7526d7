/**
 * The small structural client interfaces the Redis bridges are typed against, so that an
 * ioredis client fits as is and any other client fits behind a thin adapter.
 *
 * @module
 */
import { invalidArgType } from '../internal/coded-errors.js';

/**
 * The connection events the bridges listen to, with ioredis's names and arguments.
 *
 * - `ready`: the connection is usable (after a reconnect too).
 * - `close`: the connection was closed; the client may reconnect.
 * - `reconnecting`: the client will try again in `delayMs`.
 * - `end`: the client gave up (or was quit): no more reconnects.
 * - `error`: a connection or protocol error.
 * - `messageBuffer`: a Pub/Sub message, channel and payload as Buffers (subscribers only).
 */
export interface RedisClientEvents {
  ready: [];
  close: [];
  reconnecting: [delayMs: number];
  end: [];
  error: [error: Error];
  messageBuffer: [channel: Buffer, message: Buffer];
}

/** What the bridges need of any connection: its state and its events. */
export interface RedisConnection {
  /**
   * The connection state with ioredis's values; the bridges only ask whether it is
   * `'ready'` (connected and usable). An adapter returns `'ready'` or anything else.
   */
  readonly status: string;
  /** Adds a listener (ioredis is a Node `EventEmitter`). */
  on<E extends keyof RedisClientEvents>(event: E, listener: (...args: RedisClientEvents[E]) => void): unknown;
  /** Removes a listener added with `on`. */
  off<E extends keyof RedisClientEvents>(event: E, listener: (...args: RedisClientEvents[E]) => void): unknown;
}

/**
 * A client that sends commands: `callBuffer(command, ...args)` runs any Redis command and
 * resolves with its reply, bulk strings as Buffers (ioredis's `callBuffer`).
 */
export interface RedisCommandClient extends RedisConnection {
  /** Runs `command` with `args`; bulk string replies come back as Buffers. */
  callBuffer(command: string, ...args: Array<string | number | Buffer>): Promise<unknown>;
}

/** The connection a {@link RedisBridge} publishes on (an ioredis client in normal mode). */
export interface RedisPublisherClient extends RedisConnection {
  /** `PUBLISH channel message`; resolves with how many subscribers received it. */
  publish(channel: string, message: Buffer): Promise<unknown>;
  /**
   * Any command (ioredis's `callBuffer`): used for `PUBSUB NUMSUB` while the outbox is held
   * after a reconnect. Without it, the outbox is sent at once after a reconnect.
   */
  callBuffer?(command: string, ...args: Array<string | number | Buffer>): Promise<unknown>;
}

/**
 * The connection a {@link RedisBridge} subscribes on. In Redis a subscribed connection can
 * do nothing else, so it must not be the publisher.
 */
export interface RedisSubscriberClient extends RedisConnection {
  /** `SUBSCRIBE channel…`; resolves when Redis has acknowledged. */
  subscribe(...channels: string[]): Promise<unknown>;
  /** `UNSUBSCRIBE channel…`; resolves when Redis has acknowledged. */
  unsubscribe(...channels: string[]): Promise<unknown>;
}

/**
 * Checks that `client` has the methods a bridge will call.
 *
 * @throws TypeError naming the option and the missing method.
 */
export function checkClient(field: string, client: unknown, methods: readonly string[]): void {
  if (typeof client !== 'object' || client === null) {
    throw invalidArgType(`${field} must be a Redis client (got ${client === null ? 'null' : typeof client})`);
  }
  for (const method of ['on', 'off', ...methods]) {
    if (typeof (client as Record<string, unknown>)[method] !== 'function') {
      throw invalidArgType(`${field} must have a ${method}() method (an ioredis client, or an adapter)`);
    }
  }
}
