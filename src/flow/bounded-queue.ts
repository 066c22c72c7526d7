/**
 * A bounded FIFO for one consumer, measured in items and/or bytes, with overflow policies
 * and pause/resume water marks.
 *
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import { SlowConsumerError, reportUnheard } from '../errors.js';
import { show } from '../internal/checks.js';
import { invalidReturnValue, outOfRange } from '../internal/coded-errors.js';
import { checkOptions } from '../internal/options.js';
import { Ring } from '../internal/ring.js';
import { BOUNDED_QUEUE_OPTION_KEYS } from './bounded-queue-keys.js';
import {
  checkQueueOptions,
  noDrops,
  type BoundedQueueOptions,
  type BoundedQueueStats,
  type DropReason,
  type QueueSettings,
} from './bounded-queue-options.js';
import { defaultMessageSize } from './message-size.js';
import { PriorityIndex } from './priority-index.js';

// The public types, where they always were (the internal helpers are imported from their module).
export type { BoundedQueueOptions, BoundedQueueStats, DropReason, OverflowPolicy } from './bounded-queue-options.js';

/** Event signatures of {@link BoundedQueue}. */
export interface BoundedQueueEvents<T> {
  /** `count` items were dropped for `reason`; `item` is the dropped item when there was exactly one. */
  drop: (count: number, reason: DropReason, item: T | undefined) => void;
  /** A bound (high-water mark) was reached: producers should hold off. */
  pause: () => void;
  /** After a pause, the queue drained to both low marks. */
  resume: () => void;
  /**
   * The queue overflowed and closed itself; its items were counted as dropped (`'disconnect'`).
   * Without a listener it becomes a `'LogcasterWarning'` process warning.
   */
  overflow: (error: SlowConsumerError) => void;
  /** `shift`, `shiftMany` or `clear` emptied the queue. */
  empty: () => void;
}

/**
 * A bounded FIFO for one consumer: a subscriber's queue, a client's SendQ.
 *
 * Bounded in items (`maxItems`) and optionally bytes (`maxBytes`); a push that finds it
 * full is resolved by the {@link OverflowPolicy}. Every dropped item is counted (`dropped`,
 * `stats().droppedBy`) and emitted as `'drop'`. Reaching a bound emits `'pause'`;
 * draining to both low marks afterwards emits `'resume'` once — hysteresis, so a queue
 * hovering around its bound does not flap. Surviving items always keep FIFO order:
 * priority only chooses what to drop.
 *
 * The hot path (`push`/`shift` with room to spare) allocates nothing beyond its ring's
 * growth, calls `sizeOf` only when bytes are counted, and `priorityOf` only when the policy
 * needs every item's priority.
 *
 * @typeParam T - the item type.
 * @example
 * ```ts
 * const sendQ = new BoundedQueue<Buffer>({ maxBytes: 1 << 20, policy: 'disconnect' });
 * sendQ.on('pause', () => socket.pause()).on('resume', () => socket.resume());
 * sendQ.on('overflow', (error) => client.close(error.message));
 * sendQ.push(Buffer.from('PING :irc.example\r\n'));
 * ```
 */
export class BoundedQueue<T> extends EventEmitter<BoundedQueueEvents<T>> implements Disposable {
  // TypeScript `private`, not `#private`: a `#` field costs a byte more of bytecode per access
  // and a private method a brand check, which took `push` from 319 to 374 bytes; near V8's
  // inlining limits that made the burst benchmark flip between 0.82× and 0.57× of denque, which it was then built on.
  private readonly items = new Ring<T>();
  /** `items.length`, kept beside it: the bound every push checks, read without a second load. */
  private count = 0;
  /** `maxItems`, the bound every push checks; the other settings are read on rarer paths. */
  private readonly hwm: number;
  private readonly settings: QueueSettings<T>;
  /** `sizeOf` (or the default) when bytes are counted. */
  private readonly sizeOf: ((item: T) => number) | undefined;
  /** Sizes, parallel to `items`; only when bytes are counted. */
  private readonly sizes: Ring<number> | undefined;
  /** Priorities, parallel to `items`; only when the policy needs every item's priority. */
  private readonly priorities: PriorityIndex | undefined;

  private pendingBytes = 0;
  private isPaused = false;
  private isClosed = false;
  private pushed = 0;
  private enqueued = 0;
  private dequeued = 0;
  private refused = 0;
  private droppedTotal = 0;
  private droppedTaken = 0;
  private pauses = 0;
  private resumes = 0;
  private overflows = 0;
  private readonly droppedBy = noDrops();

  /**
   * @throws RangeError (`ERR_OUT_OF_RANGE`) when a bound is out of range or inconsistent
   *   (naming the field and value), (`ERR_INVALID_ARG_VALUE`) for an unknown policy.
   * @throws TypeError (`ERR_INVALID_ARG_TYPE`) when `options` is not an object, a bound is not
   *   a number, or `sizeOf` or `priorityOf` is not a function; (`ERR_UNKNOWN_OPTION`) for a
   *   key that is not an option, naming the nearest one.
   */
  constructor(options: BoundedQueueOptions<T> = {}) {
    super();
    checkOptions('new BoundedQueue', options, BOUNDED_QUEUE_OPTION_KEYS);
    const settings = checkQueueOptions(options);
    const { maxBytes, policy, protectedPriority, sizeOf, priorityOf } = settings;
    this.settings = settings;
    this.hwm = settings.hwm;
    // Byte accounting costs a call and a parallel slot per item: only when bytes matter.
    if (sizeOf !== undefined || maxBytes !== Infinity) {
      this.sizeOf = sizeOf ?? defaultMessageSize;
      this.sizes = new Ring<number>();
    }
    // Every item's priority is needed only to choose victims among items of mixed priority.
    // Otherwise all queued items are alike for eviction and the incoming item's priority
    // (for protectedPriority) is computed only on the rare full path.
    if (
      priorityOf !== undefined &&
      (policy === 'drop-lowest-priority' || (policy === 'drop-oldest' && protectedPriority !== Infinity))
    ) {
      this.priorities = new PriorityIndex();
    }
  }

  /** Items pending. */
  get length(): number {
    return this.count;
  }

  /** Bytes pending (0 when the queue does not count bytes: no `sizeOf` and no `maxBytes`). */
  get bytes(): number {
    return this.pendingBytes;
  }

  /** Whether the queue is between a `'pause'` and a `'resume'`. */
  get paused(): boolean {
    return this.isPaused;
  }

  /** Whether the queue is closed (by {@link BoundedQueue.close} or an overflow). */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Items dropped so far, for every reason. */
  get dropped(): number {
    return this.droppedTotal;
  }

  /**
   * Enqueues `item`, or resolves a full queue by the policy (see {@link OverflowPolicy}).
   *
   * @returns `true` when the item was enqueued (possibly after evicting others), `false` when
   * it was dropped (counted and emitted as `'drop'`), including every push after close.
   * @throws RangeError when `sizeOf` returns a negative or non-finite size, or `priorityOf` NaN.
   */
  push(item: T): boolean {
    this.pushed++;
    if (this.isClosed) return this.refuse(item, 'closed');
    const sizeOf = this.sizeOf;
    const priorities = this.priorities;
    if (sizeOf === undefined && priorities === undefined) {
      // The common queue: bounded in items only. No byte or priority bookkeeping at all.
      if (this.count < this.hwm) {
        this.items.push(item);
        this.enqueued++;
        if (++this.count >= this.hwm && !this.isPaused) this.pause();
        return true;
      }
      return this.pushFull(item, 0, 0);
    }
    const size = sizeOf === undefined ? 0 : checkSize(sizeOf(item));
    const priority = priorities === undefined ? 0 : checkPriority((this.settings.priorityOf as (item: T) => number)(item));
    if (this.fits(this.count, this.pendingBytes, size)) {
      this.append(item, size, priority);
      if (!this.isPaused && (this.count >= this.hwm || this.pendingBytes >= this.settings.maxBytes)) this.pause();
      return true;
    }
    return this.pushFull(item, size, priority);
  }

  /**
   * Takes the oldest item out. Emits `'resume'` when this drains a paused queue to both low
   * marks, and `'empty'` when it empties the queue.
   *
   * @returns the item, or `undefined` when the queue is empty.
   */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.removeFront();
    this.dequeued++;
    // drained() has nothing to do unless the queue is paused or now empty.
    if (this.isPaused || this.count === 0) this.drained();
    return item;
  }

  /**
   * Takes up to `max` items out, oldest first, appending them to `into`. Emits `'resume'` and
   * `'empty'` like {@link BoundedQueue.shift}, once for the whole batch.
   *
   * @returns `into` (a new array when not given).
   * @throws RangeError when `max` is negative or NaN.
   */
  shiftMany(max: number, into: T[] = []): T[] {
    if (!(max >= 0)) throw outOfRange(`max must be a number >= 0 (got ${show(max)})`);
    let taken = 0;
    while (taken < max && this.count > 0) {
      into.push(this.removeFront());
      taken++;
    }
    if (taken > 0) {
      this.dequeued += taken;
      this.drained();
    }
    return into;
  }

  /** The oldest item, without taking it out; `undefined` when empty. */
  peek(): T | undefined {
    return this.items.peek();
  }

  /** Drops counted since the previous call (for "you missed N lines" notices). Resets only this counter. */
  takeDropped(): number {
    const count = this.droppedTotal - this.droppedTaken;
    this.droppedTaken = this.droppedTotal;
    return count;
  }

  /** A snapshot of the counters and state. */
  stats(): BoundedQueueStats {
    return {
      length: this.count,
      bytes: this.pendingBytes,
      enqueued: this.enqueued,
      dequeued: this.dequeued,
      dropped: this.droppedTotal,
      droppedBy: { ...this.droppedBy },
      paused: this.isPaused,
      pauses: this.pauses,
      closed: this.isClosed,
      maxItems: this.hwm,
      maxBytes: this.settings.maxBytes,
      pushed: this.pushed,
      refused: this.refused,
      resumes: this.resumes,
      overflows: this.overflows,
    };
  }

  /**
   * Discards every pending item. Not a policy drop: they are counted under
   * `droppedBy.closed` and emitted as one `'drop'`. The queue stays open; a paused queue
   * resumes.
   *
   * @returns how many items were discarded.
   */
  clear(): number {
    const count = this.discardAll();
    if (count === 0) return 0;
    this.countDrops(count, 'closed');
    this.emit('drop', count, 'closed', undefined);
    if (!this.isClosed) this.drained();
    return count;
  }

  /**
   * Closes the queue: pending items are discarded and counted (reason `'closed'`), and
   * every later push is dropped. Idempotent.
   */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    // A closed queue neither holds nor wants anything: no longer paused, and no 'resume'.
    this.isPaused = false;
    this.clear();
  }

  /** Same as {@link BoundedQueue.close}; lets `using` close the queue. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Iterates over a snapshot of the pending items, oldest first, without taking them out. */
  [Symbol.iterator](): IterableIterator<T> {
    return this.items.toArray().values();
  }

  /** Whether `count` items and `bytes` bytes leave room for an item of `size` under the soft bounds. */
  private fits(count: number, bytes: number, size: number): boolean {
    return count < this.hwm && bytes + size <= this.settings.maxBytes;
  }

  private append(item: T, size: number, priority: number): void {
    this.items.push(item);
    this.count++;
    this.enqueued++;
    const sizes = this.sizes;
    if (sizes !== undefined) {
      sizes.push(size);
      this.pendingBytes += size;
    }
    this.priorities?.push(priority, size);
  }

  private removeFront(): T {
    const item = this.items.shift() as T;
    this.count--;
    if (this.sizes !== undefined || this.priorities !== undefined) {
      const size = this.sizes?.shift() ?? 0;
      this.priorities?.shift(size);
      this.removedBytes(size);
    }
    return item;
  }

  private removeAt(index: number): T {
    if (index === 0) return this.removeFront();
    const item = this.items.removeAt(index);
    this.count--;
    const size = this.sizes?.removeAt(index) ?? 0;
    this.priorities?.removeAt(index, size);
    this.removedBytes(size);
    return item;
  }

  private removedBytes(size: number): void {
    // Fractional sizes could leave rounding dust behind; an empty queue holds 0 bytes.
    this.pendingBytes = this.count === 0 ? 0 : this.pendingBytes - size;
  }

  /** After items were taken out: 'resume' at both low marks after a pause, 'empty' at 0. */
  private drained(): void {
    const { lwm, maxBytes, lowBytes } = this.settings;
    if (this.isPaused && this.count <= lwm && (maxBytes === Infinity || this.pendingBytes <= lowBytes)) {
      this.isPaused = false;
      this.resumes++;
      this.emit('resume');
    }
    if (this.count === 0 && this.listenerCount('empty') !== 0) this.emit('empty');
  }

  private pause(): void {
    this.isPaused = true;
    this.pauses++;
    this.emit('pause');
  }

  private countDrops(count: number, reason: DropReason): void {
    this.droppedTotal += count;
    this.droppedBy[reason] += count;
  }

  private refuse(item: T, reason: DropReason): false {
    this.refused++;
    this.countDrops(1, reason);
    // Counted either way; the emit (four arguments, an arguments object) only when heard.
    if (this.listenerCount('drop') !== 0) this.emit('drop', 1, reason, item);
    return false;
  }

  private discardAll(): number {
    const count = this.count;
    if (count === 0) return 0;
    this.items.clear();
    this.count = 0;
    this.sizes?.clear();
    this.priorities?.clear();
    this.pendingBytes = 0;
    return count;
  }

  /** The cold path: the queue was full for this item. */
  private pushFull(item: T, size: number, trackedPriority: number): boolean {
    const { policy, protectedPriority, priorityOf, maxBytes, hardItems, hardBytes } = this.settings;
    const priority =
      this.priorities === undefined && priorityOf !== undefined && protectedPriority !== Infinity
        ? checkPriority(priorityOf(item))
        : trackedPriority;
    const isProtected = priority >= protectedPriority;
    const hard = isProtected || policy === 'disconnect';
    // An item that could not fit even in an empty queue must not cost the others anything.
    if (size > (hard ? hardBytes : maxBytes)) return this.refuse(item, policy);

    if (policy === 'drop-oldest' || policy === 'drop-lowest-priority') {
      // Victims: unprotected items, and under drop-lowest-priority only those below the
      // incoming item's priority. Measure what would be left without them first, so nothing
      // is evicted for an item that would be refused anyway.
      const limit = policy === 'drop-oldest' ? protectedPriority : Math.min(priority, protectedPriority);
      let length = this.count;
      let bytes = this.pendingBytes;
      const priorities = this.priorities;
      if (priorities !== undefined) {
        priorities.measureBelow(limit);
        length -= priorities.belowCount;
        bytes -= priorities.belowBytes;
      } else if (0 < limit && policy === 'drop-oldest') {
        // Untracked: every queued item has the same standing (priority 0 for this purpose).
        length = 0;
        bytes = 0;
      }
      const hardReachable = length < hardItems && bytes + size <= hardBytes;
      if (this.fits(length, bytes, size) || (isProtected && hardReachable)) {
        while (!this.fits(this.count, this.pendingBytes, size) && this.evictOne(limit)) {
          // evictOne emitted 'drop'; a listener may have changed the queue, so re-check.
        }
        if (this.isClosed) return this.refuse(item, 'closed');
      }
      if (this.fits(this.count, this.pendingBytes, size)) return this.accept(item, size, trackedPriority);
    }
    if (hard) {
      if (this.count < hardItems && this.pendingBytes + size <= hardBytes) return this.accept(item, size, trackedPriority);
      this.overflow(item, size);
      return false;
    }
    this.refuse(item, policy);
    if (!this.isPaused && !this.isClosed) this.pause();
    return false;
  }

  private accept(item: T, size: number, priority: number): true {
    this.append(item, size, priority);
    if (!this.isPaused) this.pause();
    return true;
  }

  /**
   * Evicts one victim (an item with priority < `limit`): the oldest for drop-oldest, the
   * oldest of the lowest priority for drop-lowest-priority.
   *
   * Why this is cheap enough: it runs only when the queue is full and the policy evicts, and
   * the {@link PriorityIndex} finds the victim from the front, where the usual victims (old,
   * low-priority items) sit; the ring removes near either end cheaply. A queue whose victims
   * sit at the back costs O(length) per eviction, never worse.
   *
   * @returns whether an item was evicted.
   */
  private evictOne(limit: number): boolean {
    const policy = this.settings.policy;
    const priorities = this.priorities;
    let index: number;
    if (priorities === undefined) index = this.count > 0 && 0 < limit && policy === 'drop-oldest' ? 0 : -1;
    else if (policy === 'drop-oldest') index = priorities.oldestBelow(limit);
    else index = priorities.oldestOfLowestBelow(limit);
    if (index < 0) return false;
    const victim = this.removeAt(index);
    this.countDrops(1, policy);
    this.emit('drop', 1, policy, victim);
    return true;
  }

  /** The hard bound was hit: close, count everything as dropped, report the slow consumer. */
  private overflow(item: T, size: number): void {
    const { hardItems, hardBytes } = this.settings;
    const pending = this.count;
    const pendingBytes = this.pendingBytes;
    let message: string;
    let limit: number;
    if (pending >= hardItems) {
      limit = hardItems;
      message = `queue overflowed: ${pending} items pending, hard bound ${limit} items`;
    } else {
      limit = hardBytes;
      message =
        pendingBytes >= limit
          ? `queue overflowed: ${pendingBytes} bytes pending, hard bound ${limit} bytes`
          : `queue overflowed: ${pendingBytes} bytes pending, hard bound ${limit} bytes (a ${size}-byte item did not fit)`;
    }
    const error = new SlowConsumerError(message, { pending, pendingBytes, bound: limit });
    this.isClosed = true;
    this.isPaused = false;
    this.overflows++;
    this.refused++;
    const count = this.discardAll() + 1;
    this.countDrops(count, 'disconnect');
    this.emit('drop', count, 'disconnect', count === 1 ? item : undefined);
    // A consumer cut off without anyone hearing it would be a silent loss.
    if (this.listenerCount('overflow') === 0) reportUnheard('BoundedQueue', error);
    else this.emit('overflow', error);
  }
}

function checkSize(size: number): number {
  if (!(size >= 0 && size < Infinity)) throw invalidReturnValue(`sizeOf must return a finite number >= 0 (got ${show(size)})`);
  return size;
}

function checkPriority(priority: number): number {
  if (typeof priority !== 'number' || Number.isNaN(priority)) {
    throw invalidReturnValue(`priorityOf must return a number (got ${show(priority)})`);
  }
  return priority;
}
