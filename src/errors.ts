/**
 * Error types shared across the library. {@link TopicError} lives with the topic syntax.
 *
 * @module
 */

/**
 * Thrown by `publish` and `subscribe` once the broker has been closed.
 */
export class BrokerClosedError extends Error {
  /** Always `'ERR_BROKER_CLOSED'`. */
  readonly code = 'ERR_BROKER_CLOSED' as const;

  constructor(operation: string) {
    super(`cannot ${operation}: the broker is closed`);
    this.name = 'BrokerClosedError';
  }
}
