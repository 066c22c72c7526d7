/**
 * The codes of argument errors, and the functions that make them: built-in `TypeError`s and
 * `RangeError`s with a `code`, as Node's own argument errors have. Stateless, so an adapter
 * (logcaster/redis) may bundle its own copy; the codes are part of `ERROR_CODES`.
 *
 * @module
 */

/** The codes of argument errors: Node's own where Node has one. Part of `ERROR_CODES`. */
export const ARGUMENT_ERROR_CODES = /* @__PURE__ */ Object.freeze({
  /** A `TypeError`: an argument or option of the wrong type (Node's code). */
  INVALID_ARG_TYPE: 'ERR_INVALID_ARG_TYPE',
  /** A `TypeError` or `RangeError`: an argument of the right type with a value that is not allowed, e.g. an unknown policy name (Node's code). */
  INVALID_ARG_VALUE: 'ERR_INVALID_ARG_VALUE',
  /** A `RangeError`: a number out of its range, `NaN` included (Node's code). */
  OUT_OF_RANGE: 'ERR_OUT_OF_RANGE',
  /** A `RangeError`: a function given as an option returned something it must not (a clock giving `NaN`, a `sizeOf` giving -1). Node's code, which Node raises as a `TypeError`. */
  INVALID_RETURN_VALUE: 'ERR_INVALID_RETURN_VALUE',
  /** A `TypeError`: an options object with a key the call does not know (a typo); the message names the nearest known key. */
  UNKNOWN_OPTION: 'ERR_UNKNOWN_OPTION',
  /** A `RangeError`: a call refused because a bound is reached, e.g. `open()` of a new queue past `maxQueues`. */
  BOUND_REACHED: 'ERR_BOUND_REACHED',
} as const);

/** One of the {@link ARGUMENT_ERROR_CODES}. */
export type ArgumentErrorCode = (typeof ARGUMENT_ERROR_CODES)[keyof typeof ARGUMENT_ERROR_CODES];

/** A built-in `TypeError` with one of the {@link ARGUMENT_ERROR_CODES}. */
export type CodedTypeError<C extends ArgumentErrorCode = ArgumentErrorCode> = TypeError & { readonly code: C };
/** A built-in `RangeError` with one of the {@link ARGUMENT_ERROR_CODES}. */
export type CodedRangeError<C extends ArgumentErrorCode = ArgumentErrorCode> = RangeError & { readonly code: C };

/**
 * A `TypeError` coded `ERR_INVALID_ARG_TYPE`: an argument or option of the wrong type. The
 * message names the field and shows the value (see `show` in `checks.ts`).
 *
 * @internal
 */
export function invalidArgType(message: string): CodedTypeError<'ERR_INVALID_ARG_TYPE'> {
  return Object.assign(new TypeError(message), { code: ARGUMENT_ERROR_CODES.INVALID_ARG_TYPE });
}

/**
 * An error coded `ERR_INVALID_ARG_VALUE`: a value of the right type that is not allowed. A
 * `TypeError` as Node's, or a `RangeError` where the library has always thrown one (a policy
 * or preset name, a priority, a syntax token).
 *
 * @internal
 */
export function invalidArgValue(message: string, kind: 'type' | 'range' = 'type'): CodedTypeError<'ERR_INVALID_ARG_VALUE'> | CodedRangeError<'ERR_INVALID_ARG_VALUE'> {
  const error = kind === 'type' ? new TypeError(message) : new RangeError(message);
  return Object.assign(error, { code: ARGUMENT_ERROR_CODES.INVALID_ARG_VALUE });
}

/**
 * A `RangeError` coded `ERR_OUT_OF_RANGE`: a number out of its range, `NaN` included.
 *
 * @internal
 */
export function outOfRange(message: string): CodedRangeError<'ERR_OUT_OF_RANGE'> {
  return Object.assign(new RangeError(message), { code: ARGUMENT_ERROR_CODES.OUT_OF_RANGE });
}

/**
 * A `RangeError` coded `ERR_INVALID_RETURN_VALUE`: a function the caller gave returned a value
 * it must not.
 *
 * @internal
 */
export function invalidReturnValue(message: string): CodedRangeError<'ERR_INVALID_RETURN_VALUE'> {
  return Object.assign(new RangeError(message), { code: ARGUMENT_ERROR_CODES.INVALID_RETURN_VALUE });
}

/**
 * A `TypeError` coded `ERR_UNKNOWN_OPTION`: an options object with a key nobody reads.
 *
 * @internal
 */
export function unknownOption(message: string): CodedTypeError<'ERR_UNKNOWN_OPTION'> {
  return Object.assign(new TypeError(message), { code: ARGUMENT_ERROR_CODES.UNKNOWN_OPTION });
}

/**
 * A `RangeError` coded `ERR_BOUND_REACHED`: a call refused because it would take something
 * past one of its `max…` bounds.
 *
 * @internal
 */
export function boundReached(message: string): CodedRangeError<'ERR_BOUND_REACHED'> {
  return Object.assign(new RangeError(message), { code: ARGUMENT_ERROR_CODES.BOUND_REACHED });
}
