/**
 * Every error the bridges throw or report, whatever their engine, each with an `ERR_*` code.
 *
 * @module
 */

/** The codes of {@link BridgeError}. */
export const BRIDGE_ERROR_CODES = {
  /** `ready()` was called on (or was waiting when) the bridge closed. */
  closed: 'ERR_BRIDGE_CLOSED',
  /** `ready({ timeoutMs })` ran out of time before the engine acknowledged every subscription. */
  readyTimeout: 'ERR_BRIDGE_READY_TIMEOUT',
  /** The broker already has a publish tap: another bridge is attached to it. */
  brokerTaken: 'ERR_BRIDGE_BROKER_TAKEN',
} as const;

/** One of {@link BRIDGE_ERROR_CODES}. */
export type BridgeErrorCode = (typeof BRIDGE_ERROR_CODES)[keyof typeof BRIDGE_ERROR_CODES];

/**
 * Thrown by the bridges' public API (constructor, `ready`) for the caller's mistakes and for
 * states that make a call impossible. `code` says which. Every bridge (Redis, Redis Cluster,
 * NATS) raises this one class.
 */
export class BridgeError extends Error {
  /** What went wrong; see {@link BRIDGE_ERROR_CODES}. */
  readonly code: BridgeErrorCode;

  constructor(code: BridgeErrorCode, message: string) {
    super(message);
    this.name = 'BridgeError';
    this.code = code;
  }
}

/** Raised (as an `'error'` event of a bridge) for received bytes that are not a version 1 envelope. */
export class EnvelopeError extends Error {
  /** Always `'ERR_BAD_ENVELOPE'`. */
  readonly code = 'ERR_BAD_ENVELOPE' as const;

  constructor(message: string) {
    super(message);
    this.name = 'EnvelopeError';
  }
}

/** A `TypeError` with Node's code for an argument of the wrong type. */
export type InvalidArgTypeError = TypeError & { readonly code: 'ERR_INVALID_ARG_TYPE' };
/** A `RangeError` with Node's code for an argument out of range. */
export type OutOfRangeError = RangeError & { readonly code: 'ERR_OUT_OF_RANGE' };
