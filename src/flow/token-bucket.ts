/**
 * A token bucket with lazy refill from an injectable clock: no timers.
 *
 * @module
 */
import { invalidReturnValue, outOfRange } from '../internal/coded-errors.js';
import { numberRule, optionalFunction, requireNumber, show } from '../internal/checks.js';
import { checkOptions, optionKeys } from '../internal/options.js';

/** Options of {@link TokenBucket}. */
export interface TokenBucketOptions {
  /** Most tokens the bucket holds (the burst). A finite number > 0. */
  capacity: number;
  /** Tokens added per second. A finite number >= 0. */
  refillPerSecond: number;
  /**
   * Tokens at creation. From 0 to `capacity`.
   * @default capacity
   */
  initialTokens?: number;
  /**
   * The clock, in milliseconds. Only differences matter. A reading earlier than the previous
   * one adds nothing: the bucket refills from that reading on (so a wall clock stepped back
   * costs at most the refill of one interval, never a freeze). Pass `Date.now` for about a
   * third more `consume` calls per second on Node 20 (where `performance.now` allocates), at
   * the price of a wall clock: a step forward can refill the bucket to capacity at once.
   * @default performance.now (monotonic)
   */
  now?: () => number;
}

/** The keys of {@link TokenBucketOptions}, for the check of unknown keys. */
export const TOKEN_BUCKET_OPTION_KEYS = /* @__PURE__ */ optionKeys<TokenBucketOptions>({
  capacity: true,
  refillPerSecond: true,
  initialTokens: true,
  now: true,
});

/** @internal A bucket's size: a finite number > 0. */
export const CAPACITY_RULE = /* @__PURE__ */ numberRule({ min: 0, exclusive: true });
/** @internal A refill rate: a finite number >= 0. */
export const RATE_RULE = /* @__PURE__ */ numberRule({ min: 0 });

/** A cost: any number >= 0 (`Infinity` included: `msUntil` answers `Infinity`). */
const COST_RULE = /* @__PURE__ */ numberRule({ min: 0, orInfinity: true });

/** @internal The default clock: `performance.now`, looked up per call so fake timers apply. */
export const monotonicNow = (): number => performance.now();

function badClock(reading: unknown): never {
  throw invalidReturnValue(`now() must return a number of milliseconds (got ${show(reading)})`);
}

/**
 * A token bucket: holds up to `capacity` tokens, refilled continuously at `refillPerSecond`;
 * an action that costs `cost` tokens may proceed when they are there. Refill is computed
 * lazily from the clock on each call (one clock read, no timers, no allocation), so a
 * bucket costs nothing while idle.
 *
 * @example
 * ```ts
 * const bucket = new TokenBucket({ capacity: 10, refillPerSecond: 5 });
 * if (!bucket.consume()) console.log(`retry in ${bucket.msUntil(1)} ms`);
 * ```
 */
export class TokenBucket {
  /** Most tokens the bucket holds. */
  readonly capacity: number;
  /** Tokens per millisecond. */
  private rate: number;
  private perSecond: number;
  private level: number;
  private last: number;
  private readonly now: () => number;

  /**
   * @throws TypeError (`ERR_UNKNOWN_OPTION`) for a key that is not an option, naming the
   *   nearest one; (`ERR_INVALID_ARG_TYPE`) when `options` is not an object, an option is not
   *   a number, or `now` is not a function.
   * @throws RangeError (`ERR_OUT_OF_RANGE`) naming the option when one is out of range.
   */
  constructor(options: TokenBucketOptions) {
    checkOptions('new TokenBucket', options, TOKEN_BUCKET_OPTION_KEYS);
    this.capacity = requireNumber('capacity', options.capacity, CAPACITY_RULE);
    this.perSecond = requireNumber('refillPerSecond', options.refillPerSecond, RATE_RULE);
    this.rate = this.perSecond / 1000;
    this.level = requireNumber('initialTokens', options.initialTokens ?? this.capacity, numberRule({ min: 0, max: this.capacity }));
    // A monotonic clock by default: a rate limit must not hand out a burst because NTP
    // stepped the wall clock. It costs most of a consume on Node 20 (performance.now goes
    // through process.hrtime()); callers who prefer speed pass `now: Date.now`.
    const now = optionalFunction('now', options.now) ?? monotonicNow;
    this.now = now;
    this.last = now();
    if (typeof this.last !== 'number' || Number.isNaN(this.last)) badClock(this.last);
  }

  /** Tokens added per second. Settable: the change applies from now on. */
  get refillPerSecond(): number {
    return this.perSecond;
  }

  set refillPerSecond(value: number) {
    const perSecond = requireNumber('refillPerSecond', value, RATE_RULE);
    // Credit the time so far at the old rate before switching.
    this.refill();
    this.perSecond = perSecond;
    this.rate = perSecond / 1000;
  }

  /** Tokens available now. */
  get tokens(): number {
    this.refill();
    return this.level;
  }

  /**
   * Takes `cost` tokens if they are all there.
   *
   * @returns `true` when taken, `false` (taking nothing) when there are too few.
   * @throws RangeError (`ERR_OUT_OF_RANGE`) when `cost` is negative, `NaN` or more than
   *   `capacity` (it could never succeed); TypeError (`ERR_INVALID_ARG_TYPE`) when it is not a
   *   number.
   */
  consume(cost = 1): boolean {
    if (!(cost >= 0 && cost <= this.capacity)) this.badCost(cost);
    const now = this.now();
    const elapsed = now - this.last;
    if (elapsed > 0) {
      const level = this.level + elapsed * this.rate;
      this.level = level < this.capacity ? level : this.capacity;
    } else if (elapsed !== elapsed) {
      // NaN: a clock that does not give numbers would freeze the bucket without a word.
      badClock(now);
    }
    // Also after a reading from the past: refill then counts from that reading.
    this.last = now;
    if (this.level < cost) return false;
    this.level -= cost;
    return true;
  }

  /**
   * Milliseconds until `cost` tokens are available: 0 when they are there now, `Infinity`
   * when `cost` exceeds `capacity` or the bucket does not refill.
   *
   * @throws RangeError (`ERR_OUT_OF_RANGE`) when `cost` is negative or `NaN`; TypeError
   *   (`ERR_INVALID_ARG_TYPE`) when it is not a number.
   */
  msUntil(cost = 1): number {
    requireNumber('cost', cost, COST_RULE);
    if (cost > this.capacity) return Infinity;
    this.refill();
    const missing = cost - this.level;
    if (missing <= 0) return 0;
    return this.rate === 0 ? Infinity : missing / this.rate;
  }

  private refill(): void {
    const now = this.now();
    const elapsed = now - this.last;
    if (elapsed > 0) this.level = Math.min(this.capacity, this.level + elapsed * this.rate);
    else if (elapsed !== elapsed) badClock(now);
    this.last = now;
  }

  private badCost(cost: unknown): never {
    // Not a number, NaN or negative; otherwise a number above the capacity.
    requireNumber('cost', cost, COST_RULE);
    throw outOfRange(`cost ${show(cost)} exceeds capacity ${this.capacity}: it can never succeed`);
  }
}
