/**
 * Token-bucket rate limits per key (per client, per producer), with bounded memory and
 * load-adjusted refill.
 *
 * @module
 */
import { invalidArgType, invalidReturnValue } from '../internal/coded-errors.js';
import { BoundedMap } from '../internal/bounded-map.js';
import { COUNT_FROM_1, mustBe, numberRule, optionalFunction, requireNumber, show } from '../internal/checks.js';
import { checkOptions, optionKeys } from '../internal/options.js';
import type { LoadMonitor } from './load-monitor.js';
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- in scope for the {@link} in the `now` option's JSDoc.
import type { TokenBucketOptions } from './token-bucket.js';
import { CAPACITY_RULE, RATE_RULE, monotonicNow } from './token-bucket.js';

/** A key's limit: the bucket it gets. */
export interface RateLimit {
  /** Most tokens a key's bucket holds (the burst). A finite number > 0. */
  capacity: number;
  /** Tokens added per second at zero load. A finite number >= 0. */
  refillPerSecond: number;
  /** Tokens a new key starts with. From 0 to `capacity`. */
  initialTokens: number;
}

/** Options of {@link RateLimiter}. Defaults: a full bucket of 100 per key, refilled at 50/s. */
export interface RateLimiterOptions {
  /**
   * Most tokens a key's bucket holds.
   * @default 100
   */
  capacity?: number;
  /**
   * Tokens added per second (at zero load).
   * @default 50
   */
  refillPerSecond?: number;
  /**
   * Tokens a new key starts with. From 0 to `capacity`.
   * @default capacity (a new key's bucket is full, like a new {@link TokenBucket})
   */
  initialTokens?: number;
  /**
   * Most keys tracked at once; past it the least recently used key is forgotten (the
   * second-chance approximation of LRU: a key used since the last eviction pass is kept for
   * one more pass). An integer >= 1.
   * @default 10000
   */
  maxKeys?: number;
  /**
   * System load in [0, 1], read on each `consume`: a {@link LoadMonitor} (its latest
   * {@link LoadMonitor.load}) or a function. The refill rate is multiplied by
   * `1 - load × (1 - minRefillFactor)`: 1 when idle, `minRefillFactor` at full load, linear in
   * between. Readings outside [0, 1] are clamped; a reading that is not a number (`NaN`
   * included) makes `consume` throw a `RangeError`. The factor read at a
   * `consume` applies to the whole time since the key's previous `consume` (or `configure`).
   * @default no load adjustment
   */
  load?: LoadMonitor | (() => number);
  /**
   * The refill factor at full load. From 0 to 1. With a `load`, a key counts as idle only
   * once its bucket would be full even at this factor (at 0: only keys already full).
   * @default 0.1
   */
  minRefillFactor?: number;
  /**
   * The clock, in milliseconds. A reading earlier than a key's previous one refills nothing.
   * @default performance.now (see {@link TokenBucketOptions.now})
   */
  now?: () => number;
}

/** The keys of {@link RateLimiterOptions}, for the check of unknown keys. */
export const RATE_LIMITER_OPTION_KEYS = /* @__PURE__ */ optionKeys<RateLimiterOptions>({
  capacity: true,
  refillPerSecond: true,
  initialTokens: true,
  maxKeys: true,
  load: true,
  minRefillFactor: true,
  now: true,
});

/** The keys of {@link RateLimit}, the limit {@link RateLimiter.configure} takes. */
export const RATE_LIMIT_KEYS = /* @__PURE__ */ optionKeys<RateLimit>({ capacity: true, refillPerSecond: true, initialTokens: true });

const FACTOR_RULE = /* @__PURE__ */ numberRule({ min: 0, max: 1 });
const COST_RULE = /* @__PURE__ */ numberRule({ min: 0 });

/** The answer of {@link RateLimiter.consume}. */
export interface RateLimitResult {
  /** Whether the tokens were taken. */
  allowed: boolean;
  /** Tokens left in the key's bucket (rounded down). */
  remaining: number;
  /** When not allowed: milliseconds until the cost would be available at the current rate (`Infinity` if never); 0 when allowed. */
  retryAfterMs: number;
}

/** Counters of a {@link RateLimiter}. */
export interface RateLimiterStats {
  /** Keys tracked now. */
  keys: number;
  /** Calls that were allowed. */
  allowed: number;
  /** Calls that were not allowed: too few tokens (`allowed: false`). */
  limited: number;
  /** Keys forgotten because their bucket was full again (idle). */
  evictedIdle: number;
  /** Keys forgotten because `maxKeys` was reached (least recently used). */
  evictedLru: number;
  /** The refill factor now, from the load. */
  refillFactor: number;
}

/** One key's bucket. */
interface KeyState {
  readonly key: string;
  tokens: number;
  last: number;
  limit: RateLimit;
}

/**
 * Idle eviction looks at the next SWEEP_KEYS keys of a cursor that walks all keys round and
 * round (amortised, no timers, no reordering), on every `consume` that creates a key — so
 * reclaiming outpaces creation — and on one `consume` in SWEEP_EVERY otherwise. It also
 * stops after SWEEP_SLOTS slots of the bounded map, free ones included, so that a map left
 * sparse by evictions costs no more per sweep; it then finds fewer than SWEEP_KEYS keys only
 * where fewer than one slot in 16 is taken, far below `maxKeys`.
 */
const SWEEP_EVERY = 8;
const SWEEP_KEYS = 4;
const SWEEP_SLOTS = 64;

function validateLimit(limit: RateLimit, prefix = ''): RateLimit {
  const capacity = requireNumber(`${prefix}capacity`, limit.capacity, CAPACITY_RULE);
  return {
    capacity,
    refillPerSecond: requireNumber(`${prefix}refillPerSecond`, limit.refillPerSecond, RATE_RULE),
    initialTokens: requireNumber(`${prefix}initialTokens`, limit.initialTokens, numberRule({ min: 0, max: capacity })),
  };
}

/**
 * Token-bucket rate limits per string key. Each key gets a bucket from the defaults (or its
 * own limit, see {@link RateLimiter.configure}), created on first use. Memory is bounded
 * without timers: a key whose bucket has refilled completely is idle and is forgotten (it
 * would start again like a new key, with `initialTokens` — never looser than remembering
 * it); `consume` checks a few keys for idleness every few calls, so idle keys go away as
 * traffic goes on. Past `maxKeys`, the least recently used key is forgotten (approximately:
 * a key used since the previous eviction pass gets a second chance, which makes a hit cost
 * a flag instead of a Map re-insertion).
 *
 * @example
 * ```ts
 * const limiter = new RateLimiter({ capacity: 100, refillPerSecond: 50, initialTokens: 10 });
 * const { allowed, retryAfterMs } = limiter.consume(clientId);
 * if (!allowed) reply(`slow down, retry in ${Math.ceil(retryAfterMs)} ms`);
 * ```
 */
export class RateLimiter {
  private readonly defaults: RateLimit;
  /** `initialTokens` as given; `undefined` means "full", whatever the capacity. */
  private readonly initialGiven: number | undefined;
  /** Own limits from `configure`: never evicted (their buckets are, like any other). */
  private readonly overrides = new Map<string, RateLimit>();
  /**
   * Every tracked bucket, own limit or not, at most `maxKeys`; its CLOCK eviction is the
   * least-recently-used one (`consume` marks a key used), its `evictions` are `evictedLru`.
   */
  private readonly keys: BoundedMap<string, KeyState>;
  /** The slot where the idle sweep goes on. */
  private cursor = 0;
  /** What the idle test of the sweep in progress compares against (set by `sweep`). */
  private sweepNow = 0;
  private sweepFactor = 1;
  private sweepSkip = '';
  private readonly load: (() => number) | undefined;
  private readonly minFactor: number;
  private readonly now: () => number;
  private allowedCount = 0;
  private limitedCount = 0;
  private evictedIdle = 0;
  private calls = 0;

  /**
   * @throws TypeError (`ERR_UNKNOWN_OPTION`) for a key that is not an option, naming the
   *   nearest one; (`ERR_INVALID_ARG_TYPE`) when `options` is not an object or an option has
   *   the wrong type.
   * @throws RangeError (`ERR_OUT_OF_RANGE`) naming the option when one is out of range.
   */
  constructor(options: RateLimiterOptions = {}) {
    checkOptions('new RateLimiter', options, RATE_LIMITER_OPTION_KEYS);
    const capacity = options.capacity ?? 100;
    this.initialGiven = options.initialTokens;
    this.defaults = validateLimit({
      capacity,
      refillPerSecond: options.refillPerSecond ?? 50,
      initialTokens: options.initialTokens ?? capacity,
    });
    this.keys = new BoundedMap(requireNumber('maxKeys', options.maxKeys ?? 10_000, COUNT_FROM_1));
    this.minFactor = requireNumber('minRefillFactor', options.minRefillFactor ?? 0.1, FACTOR_RULE);
    const load = options.load;
    if (load === undefined || typeof load === 'function') {
      this.load = load;
    } else if (load !== null && typeof load === 'object' && typeof (load as { load?: unknown }).load === 'number') {
      this.load = () => load.load;
    } else {
      throw invalidArgType(mustBe('load', 'a LoadMonitor or a function returning a number', load));
    }
    this.now = optionalFunction('now', options.now) ?? monotonicNow;
  }

  /** Keys tracked now. */
  get size(): number {
    return this.keys.size;
  }

  /**
   * Gives `key` its own limit (fields left out keep the defaults; `initialTokens` left out
   * is the default's, capped at the new capacity), kept until
   * {@link RateLimiter.delete}. A tracked key keeps its tokens (refilled at the old rate up to
   * now, then capped at the new capacity), so reconfiguring never hands out a fresh burst.
   * Own limits are not evicted: configure keys you choose, not keys a remote party chooses.
   *
   * @throws RangeError (`ERR_OUT_OF_RANGE`) naming the key and the field when one is out of
   *   range; TypeError (`ERR_UNKNOWN_OPTION`) for a key of `limit` that is not a field of
   *   {@link RateLimit}, (`ERR_INVALID_ARG_TYPE`) when `key` is not a string or a field is not a
   *   number.
   */
  configure(key: string, limit: Partial<RateLimit>): void {
    checkKey(key);
    checkOptions('RateLimiter.configure', limit, RATE_LIMIT_KEYS, 'limit');
    const given = definedOnly(limit);
    const capacity = given.capacity ?? this.defaults.capacity;
    const initialTokens = given.initialTokens ?? (this.initialGiven === undefined ? capacity : Math.min(this.initialGiven, capacity));
    const merged = validateLimit({ ...this.defaults, ...given, initialTokens }, `${key}: `);
    this.overrides.set(key, merged);
    // A look, not a use: configuring a key does not save it from eviction.
    const state = this.keys.peek(key);
    if (state !== undefined) {
      this.refill(state, this.now(), this.refillFactor());
      state.limit = merged;
      if (state.tokens > merged.capacity) state.tokens = merged.capacity;
    }
  }

  /** Forgets `key`'s bucket and its own limit. */
  delete(key: string): boolean {
    const had = this.overrides.delete(key);
    return this.keys.delete(key) || had;
  }

  /**
   * Takes `cost` tokens from `key`'s bucket if they are there.
   *
   * @throws TypeError (`ERR_INVALID_ARG_TYPE`) when `key` is not a string or `cost` not a
   *   number.
   * @throws RangeError (`ERR_OUT_OF_RANGE`) when `cost` is negative, `NaN` or `Infinity`;
   *   (`ERR_INVALID_RETURN_VALUE`) when the `load` source gives something that is not a
   *   number. A cost above the key's capacity is not allowed, with `retryAfterMs: Infinity`.
   */
  consume(key: string, cost = 1): RateLimitResult {
    if (typeof key !== 'string') checkKey(key);
    if (typeof cost !== 'number' || !(cost >= 0) || cost === Infinity) requireNumber('cost', cost, COST_RULE);
    const now = this.now();
    const factor = this.refillFactor();
    // get() marks the key used, for the least-recently-used eviction.
    let state = this.keys.get(key);
    // Never the key being charged: it is refilled exactly instead.
    if (++this.calls % SWEEP_EVERY === 0 || state === undefined) this.sweep(now, key);
    if (state === undefined) {
      const limit = this.overrides.get(key) ?? this.defaults;
      state = { key, tokens: limit.initialTokens, last: now, limit };
      // At maxKeys (after the sweep), this forgets the least recently used key.
      this.keys.set(key, state);
    } else {
      this.refill(state, now, factor);
    }
    if (state.tokens >= cost) {
      state.tokens -= cost;
      this.allowedCount++;
      return { allowed: true, remaining: Math.floor(state.tokens), retryAfterMs: 0 };
    }
    this.limitedCount++;
    const rate = (state.limit.refillPerSecond * factor) / 1000;
    const retryAfterMs = cost > state.limit.capacity || rate === 0 ? Infinity : (cost - state.tokens) / rate;
    return { allowed: false, remaining: Math.floor(state.tokens), retryAfterMs };
  }

  /** The refill factor now: 1 at zero load, `minRefillFactor` at full load. */
  refillFactor(): number {
    if (this.load === undefined) return 1;
    let load: unknown = this.load();
    if (typeof load !== 'number' || Number.isNaN(load)) {
      throw invalidReturnValue(`load must give a number from 0 to 1 (got ${show(load)})`);
    }
    if (load < 0) load = 0;
    else if (load > 1) load = 1;
    return 1 - (load as number) * (1 - this.minFactor);
  }

  /** The limiter's counters. */
  stats(): RateLimiterStats {
    return {
      keys: this.keys.size,
      allowed: this.allowedCount,
      limited: this.limitedCount,
      evictedIdle: this.evictedIdle,
      evictedLru: this.keys.evictions,
      refillFactor: this.refillFactor(),
    };
  }

  /** Forgets every key's bucket (own limits are kept). */
  clear(): void {
    this.keys.clear();
    this.cursor = 0;
  }

  private refill(state: KeyState, now: number, factor: number): void {
    const elapsed = now - state.last;
    state.last = now;
    if (elapsed > 0) {
      const tokens = state.tokens + (elapsed * state.limit.refillPerSecond * factor) / 1000;
      state.tokens = tokens < state.limit.capacity ? tokens : state.limit.capacity;
    }
  }

  /**
   * Looks at the next few keys of the cursor and forgets those whose buckets are full again
   * (even at `minRefillFactor`): such a key would start over with `initialTokens`, never more
   * than it would have had.
   */
  private sweep(now: number, current: string): void {
    // Judged at the slowest refill the load can impose: whatever the load at the key's next
    // consume, its bucket would be full then, so forgetting it changes nothing.
    this.sweepFactor = this.load === undefined ? 1 : this.minFactor;
    this.sweepNow = now;
    this.sweepSkip = current;
    this.cursor = this.keys.scan(this.cursor, SWEEP_KEYS, SWEEP_SLOTS, this.isIdle);
  }

  /** The sweep's test (one function made once, not a closure per sweep); counts what it forgets. */
  private readonly isIdle = (state: KeyState): boolean => {
    // The key being charged is refilled exactly instead.
    if (state.key === this.sweepSkip) return false;
    const { capacity, refillPerSecond } = state.limit;
    const now = this.sweepNow;
    const elapsed = now > state.last ? now - state.last : 0;
    if (state.tokens + (elapsed * refillPerSecond * this.sweepFactor) / 1000 < capacity) return false;
    this.evictedIdle++;
    return true;
  };
}

function checkKey(key: unknown): void {
  if (typeof key !== 'string') throw invalidArgType(mustBe('key', 'a string', key));
}

function definedOnly(limit: Partial<RateLimit>): Partial<RateLimit> {
  const out: Partial<RateLimit> = {};
  if (limit.capacity !== undefined) out.capacity = limit.capacity;
  if (limit.refillPerSecond !== undefined) out.refillPerSecond = limit.refillPerSecond;
  if (limit.initialTokens !== undefined) out.initialTokens = limit.initialTokens;
  return out;
}
