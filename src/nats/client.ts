/**
 * The structural NATS client interfaces `NatsBridge` is typed against: a connection from
 * `connect()` of `@nats-io/transport-node` 3.x fits as is.
 *
 * @module
 */

/** A received message, as the bridge reads it. */
export interface NatsMessage {
  /** The subject it was published on. */
  readonly subject: string;
  /** Its payload. */
  readonly data: Uint8Array;
  /** The subject to answer on, if it is a request. */
  readonly reply?: string;
  /** Answers a request (publishes on `reply`). */
  respond(data?: Uint8Array | string): boolean;
}

/** A subscription, as the bridge ends it. */
export interface NatsSubscription {
  /** Ends it: messages already on their way to the client are dropped. */
  unsubscribe(): void;
  /**
   * Ends it, still handing the callback what the server sent before it processed the
   * unsubscribe (nats.js: UNSUB, then a flush). Used for queue subscriptions when present.
   */
  drain?(): Promise<void>;
}

/** A connection status event (the bridge reads `disconnect`, `reconnect` and `error`). */
export interface NatsStatus {
  readonly type: string;
  readonly error?: Error;
}

/** What the bridge needs of a NATS connection (`NatsConnection` of nats.js 3 fits). */
export interface NatsClient {
  /** The INFO of the server it is connected to: the bridge reads `server_id`. */
  readonly info?: { readonly server_id: string };
  /** Publishes; throws on a closed connection or a payload over the server's limit. */
  publish(subject: string, payload?: Uint8Array | string, options?: { reply?: string }): void;
  /** Subscribes; `callback` gets every message (or an error that ends the subscription). */
  subscribe(
    subject: string,
    options: { queue?: string; callback: (error: Error | null, message: NatsMessage) => void },
  ): NatsSubscription;
  /** A request: resolves with the first answer, rejects on timeout or when nobody subscribes (no responders). */
  request(subject: string, payload?: Uint8Array | string, options?: { timeout: number }): Promise<NatsMessage>;
  /** Resolves once the server has processed everything sent before (PING/PONG). */
  flush(): Promise<void>;
  /** The connection's status events, as an async iterable. */
  status(): AsyncIterable<NatsStatus>;
  /** Resolves when the connection is closed for good. */
  closed(): Promise<void | Error>;
  /** Whether it is closed for good. */
  isClosed(): boolean;
}
