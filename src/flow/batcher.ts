/**
 * Coalesces items into batches that flush on count, bytes or delay, most important first.
 *
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import { ClosedError, TimeoutError, reportError } from '../errors.js';
import { invalidArgValue, invalidReturnValue } from '../internal/coded-errors.js';
import { BYTE_BOUND, COUNT_FROM_1, mustBe, numberRule, optionalFunction, requireBoolean, requireFunction, requireNumber, show } from '../internal/checks.js';
import { checkOptions, optionKeys } from '../internal/options.js';
import { MAX_TIMER_MS, TIMEOUT_RULE, unrefTimer, type Timer } from '../internal/timers.js';
import { CLOSE_OPTION_KEYS, DRAIN_OPTION_KEYS, type CloseOptions, type DrainOptions } from '../lifecycle.js';
import { defaultMessageSize } from './message-size.js';

/**
 * How urgent an item is: `'high'` (2), `'normal'` (1), `'low'` (0), or any number. Higher
 * priorities come first in a batch; an item of priority 2 or more flushes its batch at once.
 */
export type Priority = 'high' | 'normal' | 'low' | number;

/** Options of {@link Batcher}. */
export interface BatcherOptions<T> {
  /**
   * Receives each batch, high-priority items first, FIFO within a priority. May be async:
   * the next flush waits for it, so flushes never overlap. Its return value (or what its
   * promise resolves to) is ignored; a throw or rejection is reported as `'error'` with the
   * batch. Do not await {@link Batcher.drain} or {@link Batcher.close} from inside it: they
   * wait for this very flush.
   */
  flush: (items: T[]) => unknown;
  /**
   * Items per batch. An integer >= 1.
   * @default 100
   */
  maxItems?: number;
  /**
   * Bytes per batch (by `sizeOf`): an item that would take the batch past it starts the next
   * batch; an item bigger than this on its own flushes as a batch of one. A number > 0.
   * @default 65536
   */
  maxBytes?: number;
  /**
   * Milliseconds from the first item of a batch until it flushes. From 0 to 2147483647 (the
   * longest delay a Node timer takes; longer ones would fire after 1 ms).
   * @default 100
   */
  maxDelayMs?: number;
  /**
   * The size of an item in bytes.
   * @default strings by UTF-8 length, Buffers and typed arrays by byte length, anything else 0
   */
  sizeOf?: (item: T) => number;
}

/** The keys of {@link BatcherOptions}, for the check of unknown keys. */
export const BATCHER_OPTION_KEYS = /* @__PURE__ */ optionKeys<BatcherOptions<unknown>>({
  flush: true,
  maxItems: true,
  maxBytes: true,
  maxDelayMs: true,
  sizeOf: true,
});

/** Counters of a {@link Batcher}. */
export interface BatcherStats {
  /** Batches handed to `flush`. */
  batches: number;
  /** Items handed to `flush`. */
  items: number;
  /** Flushes that threw or rejected. */
  errors: number;
  /** Items in those failed flushes. */
  failedItems: number;
  /** Items added but not flushed yet. */
  pending: number;
  /** Items discarded by `close()` without `drain`. */
  dropped: number;
}

/** Event signatures of {@link Batcher}. */
export interface BatcherEvents<T> {
  /** A batch is about to be handed to `flush`. */
  flush: [items: T[]];
  /**
   * `flush` threw or rejected for these items (hand them back to `add` to retry). Without a
   * listener it becomes a `'LogcasterWarning'` process warning.
   */
  error: [error: unknown, items: T[]];
  /** `close()` without `drain` discarded `count` pending items (counted in `stats().dropped`). */
  drop: [count: number, reason: 'closed'];
}

const MAX_DELAY_RULE = /* @__PURE__ */ numberRule({ min: 0, max: MAX_TIMER_MS });

const PRIORITIES: Record<'high' | 'normal' | 'low', number> = { high: 2, normal: 1, low: 0 };
const HIGH = PRIORITIES.high;
const NORMAL = PRIORITIES.normal;

/** Items of one priority in the open batch. */
interface Lane<T> {
  readonly priority: number;
  readonly items: T[];
}

/**
 * Collects items and hands them to `flush` in batches: when a batch reaches `maxItems` or
 * `maxBytes`, when `maxDelayMs` has passed since its first item, when a `'high'` item
 * arrives, or on {@link Batcher.drain}. `flush` is called on a later microtask, never
 * inside `add`.
 *
 * Flushes never overlap: while an async `flush` runs, new items collect in the next batch,
 * and batches that fill up meanwhile wait their turn and flush right after, in order
 * ({@link Batcher.pending} counts them all; bound it upstream if `flush` can stall).
 *
 * A failed flush (a throw or a rejection) is counted in {@link Batcher.stats} and emitted as
 * `'error'` with its items so a caller can retry them; then batching goes on. Without an
 * `'error'` listener it becomes a `'LogcasterWarning'` process warning: never thrown into
 * the caller of `add`, never an unhandled rejection, never silent. The delay timer is
 * `unref()`ed.
 *
 * @example
 * ```ts
 * const batcher = new Batcher<string>({ maxItems: 50, maxDelayMs: 20, flush: (lines) => socket.write(lines.join('')) });
 * batcher.add('INFO started\n');
 * batcher.add('ERROR disk full\n', 'high'); // flushes now, this line first
 * await batcher.close({ drain: true });
 * ```
 */
export class Batcher<T> extends EventEmitter<BatcherEvents<T>> implements AsyncDisposable {
  private readonly flushFn: (items: T[]) => unknown;
  private readonly maxItems: number;
  private readonly maxBytes: number;
  private readonly maxDelayMs: number;
  private readonly sizeOf: (item: T) => number;
  /** The open batch, one lane per priority, highest first. */
  private lanes: Lane<T>[] = [];
  private count = 0;
  private bytes = 0;
  /**
   * UTF-16 code units of strings added whose UTF-8 size is not counted in `bytes` yet: while
   * the batch is far from `maxBytes` (3 bytes per code unit at most), measuring each string
   * would be wasted work, so it is done once, only if the batch nears the bound.
   */
  private unmeasured = 0;
  /** Whether `sizeOf` is the default, so strings may be measured lazily. */
  private readonly lazyStrings: boolean;
  /** Batches sealed and waiting for their turn to flush. */
  private readonly sealed: T[][] = [];
  private sealedItems = 0;
  private timer: Timer | undefined = undefined;
  private running: Promise<void> | undefined = undefined;
  private isClosed = false;
  private batches = 0;
  private flushedItems = 0;
  private errors = 0;
  private failedItems = 0;
  private dropped = 0;
  private closing: Promise<void> | undefined = undefined;

  /**
   * @throws TypeError (`ERR_UNKNOWN_OPTION`) for a key that is not an option, naming the
   *   nearest one; (`ERR_INVALID_ARG_TYPE`) when `options` is not an object, `flush` or
   *   `sizeOf` is not a function, or a bound is not a number.
   * @throws RangeError (`ERR_OUT_OF_RANGE`) naming the option when one is out of range.
   */
  constructor(options: BatcherOptions<T>) {
    super();
    checkOptions('new Batcher', options, BATCHER_OPTION_KEYS);
    this.flushFn = requireFunction('flush', options.flush);
    this.maxItems = requireNumber('maxItems', options.maxItems ?? 100, COUNT_FROM_1);
    this.maxBytes = requireNumber('maxBytes', options.maxBytes ?? 65_536, BYTE_BOUND);
    this.maxDelayMs = requireNumber('maxDelayMs', options.maxDelayMs ?? 100, MAX_DELAY_RULE);
    const sizeOf = optionalFunction('sizeOf', options.sizeOf);
    this.sizeOf = sizeOf ?? defaultMessageSize;
    this.lazyStrings = sizeOf === undefined;
  }

  /** Items added and not flushed yet (in the open batch or waiting to flush). */
  get pending(): number {
    return this.count + this.sealedItems;
  }

  /** Whether {@link Batcher.close} has been called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Adds an item to the open batch.
   *
   * @throws {@link ClosedError} after `close()`.
   * @throws RangeError for an unknown priority (`ERR_INVALID_ARG_VALUE`) or a size from
   *   `sizeOf` that is not a finite number >= 0 (`ERR_INVALID_RETURN_VALUE`).
   */
  add(item: T, priority: Priority = 'normal'): void {
    if (this.isClosed) throw new ClosedError('Batcher', 'add');
    const rank = priority === 'normal' ? NORMAL : typeof priority === 'number' ? priority : PRIORITIES[priority];
    if (typeof rank !== 'number' || Number.isNaN(rank)) {
      throw invalidArgValue(mustBe('priority', "'high', 'normal', 'low' or a number", priority), 'range');
    }
    if (
      this.lazyStrings &&
      typeof item === 'string' &&
      this.bytes + (this.unmeasured + item.length) * 3 < this.maxBytes
    ) {
      // Cannot reach the byte bound even at 3 bytes per code unit: measure later, if ever.
      this.unmeasured += item.length;
    } else {
      if (this.unmeasured > 0) this.measure();
      const size = this.sizeOf(item);
      if (typeof size !== 'number' || !(size >= 0) || size === Infinity) {
        throw invalidReturnValue(`sizeOf must return a finite number >= 0 (got ${show(size)})`);
      }
      // The item would take the batch past its byte bound: it starts the next one.
      if (this.count > 0 && this.bytes + size > this.maxBytes) this.seal();
      this.bytes += size;
    }
    this.lane(rank).items.push(item);
    this.count++;
    if (rank >= HIGH || this.count >= this.maxItems || this.bytes >= this.maxBytes) {
      this.seal();
    } else if (this.timer === undefined) {
      this.timer = unrefTimer(setTimeout(() => this.seal(), this.maxDelayMs));
    }
  }

  /**
   * Flushes the open batch now and resolves once every batch so far has been handed to
   * `flush` and settled. Failures go to `'error'`, not to this promise.
   *
   * @returns a promise that rejects only with a {@link TimeoutError} after `timeoutMs` (or,
   * for bad options, the `TypeError` or `RangeError` that names them).
   */
  drain(options: DrainOptions = {}): Promise<void> {
    let timeoutMs: number;
    try {
      checkOptions('Batcher.drain', options, DRAIN_OPTION_KEYS);
      timeoutMs = requireNumber('timeoutMs', options.timeoutMs ?? Infinity, TIMEOUT_RULE);
    } catch (error) {
      return Promise.reject(error);
    }
    this.seal();
    const running = this.running;
    if (running === undefined) return Promise.resolve();
    if (timeoutMs === Infinity) return running;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new TimeoutError('Batcher.drain', timeoutMs, this.pending)), timeoutMs);
      void running.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Refuses further adds at once (they throw {@link ClosedError}). With `drain: true` it
   * flushes what remains and resolves when every batch has been handed to `flush` and
   * settled; without, it discards what is pending (counted in `stats().dropped`, emitted as
   * `'drop'`) and
   * resolves once the flush already running, if any, has settled. Calling it again returns
   * the first call's promise.
   */
  close(options: CloseOptions = {}): Promise<void> {
    checkOptions('Batcher.close', options, CLOSE_OPTION_KEYS);
    if (this.closing !== undefined) return this.closing;
    const drain = requireBoolean('drain', options.drain ?? false);
    this.isClosed = true;
    if (drain) {
      this.closing = this.drain(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs });
    } else {
      this.discard();
      this.closing = this.running ?? Promise.resolve();
    }
    return this.closing;
  }

  /** `close({ drain: true })`; lets `await using` close the batcher. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close({ drain: true });
  }

  /** The batcher's counters. */
  stats(): BatcherStats {
    return {
      batches: this.batches,
      items: this.flushedItems,
      errors: this.errors,
      failedItems: this.failedItems,
      pending: this.pending,
      dropped: this.dropped,
    };
  }

  /** Counts the exact size of the open batch (strings added unmeasured included). */
  private measure(): void {
    let bytes = 0;
    for (const lane of this.lanes) for (const item of lane.items) bytes += this.sizeOf(item);
    this.bytes = bytes;
    this.unmeasured = 0;
  }

  private lane(priority: number): Lane<T> {
    const lanes = this.lanes;
    let i = 0;
    while (i < lanes.length && lanes[i].priority > priority) i++;
    if (i < lanes.length && lanes[i].priority === priority) return lanes[i];
    const lane: Lane<T> = { priority, items: [] };
    lanes.splice(i, 0, lane);
    return lane;
  }

  /** Throws away the open batch and the sealed ones, counting them as dropped. */
  private discard(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const discarded = this.count + this.sealedItems;
    this.dropped += discarded;
    this.lanes = [];
    this.count = 0;
    this.bytes = 0;
    this.sealed.length = 0;
    this.sealedItems = 0;
    if (discarded > 0) this.emit('drop', discarded, 'closed');
  }

  /** Closes the open batch and queues it for flushing. */
  private seal(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.count === 0) return;
    const lanes = this.lanes;
    const batch = lanes.length === 1 ? lanes[0].items : lanes.flatMap((lane) => lane.items);
    this.lanes = [];
    this.sealed.push(batch);
    this.sealedItems += batch.length;
    this.count = 0;
    this.bytes = 0;
    this.unmeasured = 0;
    this.running ??= this.pump();
  }

  /** Flushes sealed batches one at a time, in order. */
  private async pump(): Promise<void> {
    // Let the caller of add() finish first: a flush never runs inside add().
    await undefined;
    for (let batch = this.sealed.shift(); batch !== undefined; batch = this.sealed.shift()) {
      this.sealedItems -= batch.length;
      this.batches++;
      this.flushedItems += batch.length;
      try {
        this.emit('flush', batch);
        await this.flushFn(batch);
      } catch (error) {
        this.errors++;
        this.failedItems += batch.length;
        reportError(this, 'Batcher', error, batch);
      }
    }
    this.running = undefined;
  }
}
