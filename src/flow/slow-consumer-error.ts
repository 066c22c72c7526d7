/**
 * The error a consumer is ended with when it cannot keep up.
 *
 * @module
 */

/** What was pending when a {@link SlowConsumerError} was raised, and the bound it hit. */
export interface SlowConsumerDetails {
  /** Items pending in the queue when it overflowed. */
  pending: number;
  /** Bytes pending in the queue when it overflowed (0 when the queue does not count bytes). */
  pendingBytes: number;
  /** The bound that was exceeded: an item count or a byte count, as the message says. */
  limit: number;
}

/**
 * A consumer fell so far behind that its bounded queue overflowed, and it was ended rather
 * than let the queue grow (like a NATS slow consumer, or an IRC server's "SendQ exceeded").
 *
 * Raised by a {@link BoundedQueue} under the `'disconnect'` policy, or when protected items
 * reach its hard limit; it is handed to the queue's `'overflow'` event, never thrown.
 *
 * @example
 * ```ts
 * queue.on('overflow', (error) => {
 *   console.log(error.code, error.message); // ERR_SLOW_CONSUMER SendQ exceeded: 1048576 bytes pending, limit 1048576
 * });
 * ```
 */
export class SlowConsumerError extends Error {
  /** Always `'ERR_SLOW_CONSUMER'`. */
  readonly code = 'ERR_SLOW_CONSUMER' as const;
  /** Items pending when the queue overflowed. */
  readonly pending: number;
  /** Bytes pending when the queue overflowed. */
  readonly pendingBytes: number;
  /** The bound that was exceeded (items or bytes, as the message says). */
  readonly limit: number;

  /**
   * @param message - says which limit was exceeded, e.g. `"SendQ exceeded: 1048576 bytes pending, limit 1048576"`.
   * @param details - what was pending and the bound.
   */
  constructor(message: string, details: SlowConsumerDetails) {
    super(message);
    this.name = 'SlowConsumerError';
    this.pending = details.pending;
    this.pendingBytes = details.pendingBytes;
    this.limit = details.limit;
  }
}
