/**
 * The argument checks every public call shares, and the one way their messages show a bad
 * value: `capacity must be a finite number > 0 (got "10")`.
 *
 * A value of the wrong type is a `TypeError` coded `ERR_INVALID_ARG_TYPE`; a number out of its
 * range (`NaN` included) a `RangeError` coded `ERR_OUT_OF_RANGE` (see `src/errors.ts`). These
 * run when an object is made or configured, never per message.
 *
 * @module
 */
import { invalidArgType, outOfRange } from './coded-errors.js';

/** Longest string shown whole in a message; longer ones are cut (a message is one line). */
const MAX_SHOWN = 60;

/**
 * A value as every error message shows it: a string as a string (`"10"`, so it cannot be
 * mistaken for the number), numbers as JavaScript writes them (`NaN`, `Infinity`, `-0`),
 * `null`, `undefined`, `true`, `10n`, and for the rest what it is: `a function`, `an array`,
 * `an object`, `an instance of Map`.
 */
export function show(value: unknown): string {
  switch (typeof value) {
    case 'string': {
      const text = JSON.stringify(value);
      return text.length <= MAX_SHOWN ? text : `${text.slice(0, MAX_SHOWN - 1)}…" (${value.length} characters)`;
    }
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'function':
      return 'a function';
    case 'symbol':
      return value.toString();
    case 'object':
      return value === null ? 'null' : showObject(value);
    default:
      // undefined, boolean
      return String(value);
  }
}

function showObject(value: object): string {
  if (Array.isArray(value)) return 'an array';
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === null || proto === Object.prototype) return 'an object';
  const constructor: unknown = (proto as { constructor?: unknown }).constructor;
  const name = typeof constructor === 'function' ? constructor.name : '';
  return name === '' ? 'an object' : `an instance of ${name}`;
}

/** The message of every refused argument: `name must be expected (got value)`. */
export function mustBe(name: string, expected: string, value: unknown): string {
  return `${name} must be ${expected} (got ${show(value)})`;
}

/** What a numeric option accepts, as written; {@link numberRule} makes a {@link NumberRule} of it. */
export interface NumberRuleSpec {
  /** The smallest value allowed (or, with `exclusive`, the largest refused). */
  readonly min: number;
  /** Refuse `min` itself: `> min` instead of `>= min`. */
  readonly exclusive?: boolean;
  /**
   * The largest value allowed.
   * @default any finite number from `min` on
   */
  readonly max?: number;
  /** Only safe integers. */
  readonly integer?: boolean;
  /** Also accept `Infinity` (no bound). */
  readonly orInfinity?: boolean;
}

/** A {@link NumberRuleSpec} with every field set, so every rule has one shape (one hidden class for `requireNumber`). */
export type NumberRule = Readonly<Required<NumberRuleSpec>>;

/** Makes a rule for {@link requireNumber}: `numberRule({ min: 1, integer: true })`. */
export function numberRule(spec: NumberRuleSpec): NumberRule {
  return {
    min: spec.min,
    exclusive: spec.exclusive ?? false,
    max: spec.max ?? Infinity,
    integer: spec.integer ?? false,
    orInfinity: spec.orInfinity ?? false,
  };
}

/** The rules most options share: a count of at least 1 (`maxItems`, `maxKeys`, …). */
export const COUNT_FROM_1 = /* @__PURE__ */ numberRule({ min: 1, integer: true });
/** A count that may be 0 (`cacheSize`, a low-water mark, …). */
export const COUNT_FROM_0 = /* @__PURE__ */ numberRule({ min: 0, integer: true });
/** A bound in bytes (`maxBytes`): above 0, or `Infinity` for none. */
export const BYTE_BOUND = /* @__PURE__ */ numberRule({ min: 0, exclusive: true, orInfinity: true });

/** How a rule reads in a message: `a finite number > 0`, `an integer >= 1 or Infinity`, `a number from 0 to 1`. */
function expectation(rule: NumberRule): string {
  const bounded = rule.max !== Infinity;
  const kind = rule.integer ? 'an integer' : bounded || rule.orInfinity ? 'a number' : 'a finite number';
  const range = bounded ? `from ${rule.min} to ${rule.max}` : `${rule.exclusive ? '>' : '>='} ${rule.min}`;
  return `${kind} ${range}${rule.orInfinity ? ' or Infinity' : ''}`;
}

/**
 * Checks a number against `rule` and returns it.
 *
 * @throws TypeError (`ERR_INVALID_ARG_TYPE`) when `value` is not a number.
 * @throws RangeError (`ERR_OUT_OF_RANGE`) when it is `NaN` or outside the rule.
 */
export function requireNumber(name: string, value: unknown, rule: NumberRule): number {
  if (typeof value !== 'number') throw invalidArgType(mustBe(name, expectation(rule), value));
  if (value === Infinity && rule.orInfinity) return value;
  const inRange =
    (rule.exclusive ? value > rule.min : value >= rule.min) &&
    // A finite max admits no Infinity; no max admits any finite number.
    (rule.max === Infinity ? value < Infinity : value <= rule.max) &&
    (!rule.integer || Number.isSafeInteger(value));
  // NaN fails every comparison, so it lands here too.
  if (!inRange) throw outOfRange(mustBe(name, expectation(rule), value));
  return value;
}

/**
 * Checks that `value` is a function.
 *
 * @throws TypeError (`ERR_INVALID_ARG_TYPE`) otherwise.
 */
export function requireFunction<F extends (...args: never[]) => unknown>(name: string, value: F | undefined): F {
  if (typeof value !== 'function') throw invalidArgType(mustBe(name, 'a function', value));
  return value;
}

/**
 * Checks that `value` is a function or `undefined` (an option left out).
 *
 * @throws TypeError (`ERR_INVALID_ARG_TYPE`) otherwise.
 */
export function optionalFunction<F extends (...args: never[]) => unknown>(name: string, value: F | undefined): F | undefined {
  if (value !== undefined && typeof value !== 'function') throw invalidArgType(mustBe(name, 'a function', value));
  return value;
}

/**
 * Checks that `value` is a boolean.
 *
 * @throws TypeError (`ERR_INVALID_ARG_TYPE`) otherwise.
 */
export function requireBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalidArgType(mustBe(name, 'a boolean', value));
  return value;
}

/**
 * Checks that `value` is an `AbortSignal` (anything with `aborted` and `addEventListener`, as
 * the DOM's and Node's are) or `undefined` (an option left out).
 *
 * @throws TypeError (`ERR_INVALID_ARG_TYPE`) otherwise.
 */
export function optionalSignal(name: string, value: AbortSignal | undefined): AbortSignal | undefined {
  if (value === undefined) return value;
  const signal = value as unknown as { aborted?: unknown; addEventListener?: unknown } | null;
  if (typeof signal !== 'object' || signal === null || typeof signal.aborted !== 'boolean' || typeof signal.addEventListener !== 'function') {
    throw invalidArgType(mustBe(name, 'an AbortSignal', value));
  }
  return value;
}
