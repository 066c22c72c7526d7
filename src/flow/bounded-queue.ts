/**
 * A bounded FIFO for one consumer, measured in items and/or bytes, with overflow policies
 * and pause/resume water marks.
 *
 * @module
 */
import Denque from 'denque';
import { EventEmitter } from 'eventemitter3';
import { SlowConsumerError, reportUnheard } from '../errors.js';

/**
 * What a {@link BoundedQueue} does with a push that finds it full:
 *
 * - `'drop-newest'`: the incoming item is dropped.
 * - `'drop-oldest'`: the oldest item is evicted and the incoming one enqueued.
 * - `'drop-lowest-priority'`: the oldest of the lowest-priority items is evicted if its
 *   priority is lower than the incoming item's; otherwise the incoming item is dropped.
 * - `'disconnect'`: the queue overflows once its hard bound is reached: it is closed, all its
 *   items counted as dropped, and `'overflow'` is emitted with a {@link SlowConsumerError}.
 */
export type OverflowPolicy = 'drop-newest' | 'drop-oldest' | 'drop-lowest-priority' | 'disconnect';

/** Why items were dropped: the policy that dropped them, or `'closed'` (close, clear, push after close). */
export type DropReason = OverflowPolicy | 'closed';

/** Options of {@link BoundedQueue}. */
export interface BoundedQueueOptions<T> {
  /**
   * The item bound, which is also the high-water mark: the queue holds at most this many
   * items (only protected items, see `protectedPriority`, and any item under `'disconnect'`
   * may go past it, up to `hardMaxItems`). Reaching it emits `'pause'`. An integer, minimum 1.
   * @default 1000
   */
  maxItems?: number;
  /**
   * The item low-water mark: after a `'pause'`, draining to this many items or fewer (and to
   * `lowWaterBytes` or fewer) emits `'resume'`. An integer from 0 to `maxItems`.
   * @default min(100, maxItems)
   */
  lowWaterItems?: number;
  /**
   * The byte bound, with the same rules as `maxItems`: either bound reached means full.
   * Bytes are counted with `sizeOf` only when this is finite or `sizeOf` is given. Minimum:
   * above 0.
   * @default Infinity
   */
  maxBytes?: number;
  /**
   * After a `'pause'`, draining to this many bytes or fewer (and to `lowWaterItems` items or
   * fewer) emits `'resume'`. Plays no part when `maxBytes` is `Infinity`. From 0 to `maxBytes`.
   * @default maxBytes / 10 (0 when maxBytes is Infinity)
   */
  lowWaterBytes?: number;
  /**
   * The size of an item in bytes; must return a finite number >= 0. Called once per push,
   * only when bytes are counted.
   * @default Buffers and typed arrays by byteLength, strings by UTF-8 length, anything else 0
   */
  sizeOf?: (item: T) => number;
  /**
   * The priority of an item: higher is more important. Used by `'drop-lowest-priority'` and
   * `protectedPriority`; must not return NaN.
   * @default every item 0
   */
  priorityOf?: (item: T) => number;
  /**
   * What a push does when the queue is full; see {@link OverflowPolicy}.
   * @default 'drop-newest'
   */
  policy?: OverflowPolicy;
  /**
   * Items with a priority >= this are never dropped by the drop policies: they go past the
   * bounds (after evicting lower-priority items where the policy evicts) up to the hard
   * limits, where the queue overflows. For messages that must get through, like a final
   * error line before a disconnect.
   * @default Infinity (nothing is protected)
   */
  protectedPriority?: number;
  /**
   * Items the queue may hold past `maxItems`: only protected items, or any item under
   * `'disconnect'`, reach it. A push past it overflows the queue (see {@link OverflowPolicy}).
   * An integer >= `maxItems`, or `Infinity`.
   * @default maxItems
   */
  hardMaxItems?: number;
  /**
   * Bytes the queue may hold past `maxBytes`, with the same rules as `hardMaxItems`. At least
   * `maxBytes`.
   * @default maxBytes
   */
  hardMaxBytes?: number;
}

/** Counters and state of a {@link BoundedQueue}; see {@link BoundedQueue.stats}. */
export interface BoundedQueueStats {
  /** Items pending. */
  length: number;
  /** Bytes pending (0 when the queue does not count bytes). */
  bytes: number;
  /** Pushes that were enqueued. */
  enqueued: number;
  /** Items taken out with `shift`/`shiftMany`. */
  dequeued: number;
  /** Items dropped, for every reason: refused pushes, evictions and discards. */
  dropped: number;
  /** `dropped`, split by reason. */
  droppedBy: Record<DropReason, number>;
  /** Whether the queue is between a `'pause'` and a `'resume'`. */
  paused: boolean;
  /** How many times `'pause'` was emitted. */
  pauses: number;
  /** Whether the queue is closed (by `close()` or an overflow). */
  closed: boolean;
  /** The item bound. */
  maxItems: number;
  /** The byte bound. */
  maxBytes: number;
  /** Calls to `push`: always `enqueued + refused`, and `dequeued + length + dropped`. */
  pushed: number;
  /** Pushes that were dropped rather than enqueued (part of `dropped`). */
  refused: number;
  /** How many times `'resume'` was emitted. */
  resumes: number;
  /** How many times `'overflow'` was emitted (0 or 1: an overflow closes the queue). */
  overflows: number;
}

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

/** @internal A count per {@link DropReason}, all 0: what every queue's `droppedBy` starts as. */
export const noDrops = (): Record<DropReason, number> => ({
  'drop-newest': 0,
  'drop-oldest': 0,
  'drop-lowest-priority': 0,
  disconnect: 0,
  closed: 0,
});

const POLICIES: readonly OverflowPolicy[] = ['drop-newest', 'drop-oldest', 'drop-lowest-priority', 'disconnect'];

/** Items with the same priority: how many are queued and their bytes. */
interface PriorityBucket {
  count: number;
  bytes: number;
}

const defaultSizeOf = (item: unknown): number => {
  if (typeof item === 'string') return Buffer.byteLength(item, 'utf8');
  if (ArrayBuffer.isView(item)) return item.byteLength;
  return 0;
};

const isCount = (value: number, min: number): boolean => Number.isSafeInteger(value) && value >= min;

const show = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value) : String(value));

/**
 * A queue's options checked and with their defaults filled in.
 *
 * @internal
 */
export interface QueueSettings<T> {
  /** `maxItems` (the high-water mark) and `lowWaterItems`. */
  readonly hwm: number;
  readonly lwm: number;
  readonly maxBytes: number;
  /** `lowWaterBytes`, `hardMaxItems`, `hardMaxBytes`. */
  readonly lowBytes: number;
  readonly hardItems: number;
  readonly hardBytes: number;
  readonly policy: OverflowPolicy;
  readonly protectedPriority: number;
  readonly sizeOf: ((item: T) => number) | undefined;
  readonly priorityOf: ((item: T) => number) | undefined;
}

/**
 * Checks {@link BoundedQueueOptions} and fills in the defaults: what the queue's constructor
 * does first, shared with the broker's lighter subscriber queue so both refuse the same
 * options with the same errors.
 *
 * @internal
 * @throws RangeError when a bound is out of range or inconsistent (naming the field and value).
 * @throws TypeError when `sizeOf` or `priorityOf` is not a function.
 */
export function checkQueueOptions<T>(options: BoundedQueueOptions<T>): QueueSettings<T> {
  const hwm = options.maxItems ?? 1000;
  if (!isCount(hwm, 1)) throw new RangeError(`maxItems must be an integer >= 1 (got ${show(hwm)})`);
  const lwm = options.lowWaterItems ?? Math.min(100, hwm);
  if (!isCount(lwm, 0)) throw new RangeError(`lowWaterItems must be an integer >= 0 (got ${show(lwm)})`);
  if (lwm > hwm) throw new RangeError(`maxItems must be >= lowWaterItems (got ${hwm} < ${lwm})`);
  const maxBytes = options.maxBytes ?? Infinity;
  if (typeof maxBytes !== 'number' || !(maxBytes > 0)) {
    throw new RangeError(`maxBytes must be a number > 0 or Infinity (got ${show(maxBytes)})`);
  }
  const lowBytes = options.lowWaterBytes ?? (maxBytes === Infinity ? 0 : maxBytes / 10);
  if (typeof lowBytes !== 'number' || !(lowBytes >= 0) || lowBytes > maxBytes) {
    throw new RangeError(`lowWaterBytes must be a number from 0 to maxBytes (${maxBytes}) (got ${show(lowBytes)})`);
  }
  const hardItems = options.hardMaxItems ?? hwm;
  if (!(hardItems === Infinity || isCount(hardItems, hwm))) {
    throw new RangeError(`hardMaxItems must be an integer >= maxItems (${hwm}) or Infinity (got ${show(hardItems)})`);
  }
  const hardBytes = options.hardMaxBytes ?? maxBytes;
  if (typeof hardBytes !== 'number' || !(hardBytes >= maxBytes)) {
    throw new RangeError(`hardMaxBytes must be a number >= maxBytes (${maxBytes}) (got ${show(hardBytes)})`);
  }
  const policy = options.policy ?? 'drop-newest';
  if (!POLICIES.includes(policy)) {
    throw new RangeError(`policy must be one of ${POLICIES.join(', ')} (got ${show(policy)})`);
  }
  const protectedPriority = options.protectedPriority ?? Infinity;
  if (typeof protectedPriority !== 'number' || Number.isNaN(protectedPriority)) {
    throw new RangeError(`protectedPriority must be a number (got ${show(protectedPriority)})`);
  }
  const { sizeOf, priorityOf } = options;
  if (sizeOf !== undefined && typeof sizeOf !== 'function') {
    throw new TypeError(`sizeOf must be a function (got ${typeof sizeOf})`);
  }
  if (priorityOf !== undefined && typeof priorityOf !== 'function') {
    throw new TypeError(`priorityOf must be a function (got ${typeof priorityOf})`);
  }
  if (policy === 'drop-lowest-priority' && priorityOf === undefined) {
    // Every item would have priority 0: the policy would silently act as drop-newest.
    throw new TypeError(`policy 'drop-lowest-priority' needs a priorityOf function (got none)`);
  }
  return { hwm, lwm, maxBytes, lowBytes, hardItems, hardBytes, policy, protectedPriority, sizeOf, priorityOf };
}

/**
 * A bounded FIFO on denque for one consumer: a subscriber's queue, a client's SendQ.
 *
 * Bounded in items (`maxItems`) and optionally bytes (`maxBytes`); a push that finds it
 * full is resolved by the {@link OverflowPolicy}. Every dropped item is counted (`dropped`,
 * `stats().droppedBy`) and emitted as `'drop'`. Reaching a bound emits `'pause'`;
 * draining to both low marks afterwards emits `'resume'` once — hysteresis, so a queue
 * hovering around its bound does not flap. Surviving items always keep FIFO order:
 * priority only chooses what to drop.
 *
 * The hot path (`push`/`shift` with room to spare) allocates nothing beyond denque's own
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
  private readonly items = new Denque<T>();
  /** `items.length`, kept as a field: denque computes its length on every read. */
  private count = 0;
  /** Sizes, parallel to `items`; only when bytes are counted. */
  private readonly sizes: Denque<number> | undefined;
  /** Priorities, parallel to `items`; only when the policy needs every item's priority. */
  private readonly priorities: Denque<number> | undefined;
  /** Count and bytes per queued priority, beside `priorities`. */
  private readonly buckets: Map<number, PriorityBucket> | undefined;

  private readonly hwm: number;
  private readonly lwm: number;
  private readonly maxBytesBound: number;
  private readonly lowBytes: number;
  private readonly hardItems: number;
  private readonly hardBytes: number;
  private readonly policy: OverflowPolicy;
  private readonly protectedPriority: number;
  private readonly sizeOf: ((item: T) => number) | undefined;
  private readonly priorityOf: ((item: T) => number) | undefined;

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
  // Scratch results of measureEvictable(), so the full path allocates nothing either.
  private evictableCount = 0;
  private evictableBytes = 0;

  /**
   * @throws RangeError when a bound is out of range or inconsistent (naming the field and value).
   * @throws TypeError when `sizeOf` or `priorityOf` is not a function.
   */
  constructor(options: BoundedQueueOptions<T> = {}) {
    super();
    const { hwm, lwm, maxBytes, lowBytes, hardItems, hardBytes, policy, protectedPriority, sizeOf, priorityOf } =
      checkQueueOptions(options);
    this.hwm = hwm;
    this.lwm = lwm;
    this.maxBytesBound = maxBytes;
    this.lowBytes = lowBytes;
    this.hardItems = hardItems;
    this.hardBytes = hardBytes;
    this.policy = policy;
    this.protectedPriority = protectedPriority;
    this.priorityOf = priorityOf;
    // Byte accounting costs a call and a parallel slot per item: only when bytes matter.
    if (sizeOf !== undefined || maxBytes !== Infinity) {
      this.sizeOf = sizeOf ?? defaultSizeOf;
      this.sizes = new Denque<number>();
    }
    // Every item's priority is needed only to choose victims among items of mixed priority.
    // Otherwise all queued items are alike for eviction and the incoming item's priority
    // (for protectedPriority) is computed only on the rare full path.
    if (
      priorityOf !== undefined &&
      (policy === 'drop-lowest-priority' || (policy === 'drop-oldest' && protectedPriority !== Infinity))
    ) {
      this.priorities = new Denque<number>();
      this.buckets = new Map();
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
    const priority = priorities === undefined ? 0 : checkPriority((this.priorityOf as (item: T) => number)(item));
    if (this.count < this.hwm && this.pendingBytes + size <= this.maxBytesBound) {
      this.append(item, size, priority);
      if (!this.isPaused && (this.count >= this.hwm || this.pendingBytes >= this.maxBytesBound)) this.pause();
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
    if (!(max >= 0)) throw new RangeError(`max must be a number >= 0 (got ${show(max)})`);
    let taken = 0;
    while (taken < max && this.items.length > 0) {
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
    return this.items.peekFront();
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
      length: this.items.length,
      bytes: this.pendingBytes,
      enqueued: this.enqueued,
      dequeued: this.dequeued,
      dropped: this.droppedTotal,
      droppedBy: { ...this.droppedBy },
      paused: this.isPaused,
      pauses: this.pauses,
      closed: this.isClosed,
      maxItems: this.hwm,
      maxBytes: this.maxBytesBound,
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

  private append(item: T, size: number, priority: number): void {
    this.items.push(item);
    this.count++;
    this.enqueued++;
    const sizes = this.sizes;
    if (sizes !== undefined) {
      sizes.push(size);
      this.pendingBytes += size;
    }
    const priorities = this.priorities;
    if (priorities !== undefined) {
      priorities.push(priority);
      this.bucketAdd(priority, size);
    }
  }

  private removeFront(): T {
    const item = this.items.shift() as T;
    this.count--;
    if (this.sizes !== undefined || this.priorities !== undefined) {
      this.afterRemoval(this.sizes?.shift() ?? 0, this.priorities?.shift());
    }
    return item;
  }

  private removeAt(index: number): T {
    if (index === 0) return this.removeFront();
    const item = this.items.removeOne(index) as T;
    this.count--;
    this.afterRemoval(this.sizes?.removeOne(index) ?? 0, this.priorities?.removeOne(index));
    return item;
  }

  private afterRemoval(size: number, priority: number | undefined): void {
    if (this.count === 0) {
      // Fractional sizes could leave rounding dust behind; an empty queue holds 0 bytes.
      this.pendingBytes = 0;
    } else {
      this.pendingBytes -= size;
    }
    if (priority !== undefined) this.bucketRemove(priority, size);
  }

  private bucketAdd(priority: number, size: number): void {
    const buckets = this.buckets as Map<number, PriorityBucket>;
    const bucket = buckets.get(priority);
    if (bucket === undefined) {
      buckets.set(priority, { count: 1, bytes: size });
    } else {
      bucket.count++;
      bucket.bytes += size;
    }
  }

  private bucketRemove(priority: number, size: number): void {
    const buckets = this.buckets as Map<number, PriorityBucket>;
    const bucket = buckets.get(priority);
    if (bucket === undefined) return;
    if (--bucket.count === 0) {
      buckets.delete(priority);
    } else {
      bucket.bytes -= size;
    }
  }

  /** After items were taken out: 'resume' at both low marks after a pause, 'empty' at 0. */
  private drained(): void {
    if (
      this.isPaused &&
      this.count <= this.lwm &&
      (this.maxBytesBound === Infinity || this.pendingBytes <= this.lowBytes)
    ) {
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
    const count = this.items.length;
    if (count === 0) return 0;
    this.items.clear();
    this.count = 0;
    this.sizes?.clear();
    this.priorities?.clear();
    this.buckets?.clear();
    this.pendingBytes = 0;
    return count;
  }

  private fitsSoft(size: number): boolean {
    return this.items.length < this.hwm && this.pendingBytes + size <= this.maxBytesBound;
  }

  /** The cold path: the queue was full for this item. */
  private pushFull(item: T, size: number, trackedPriority: number): boolean {
    const policy = this.policy;
    const priority =
      this.priorities === undefined && this.priorityOf !== undefined && this.protectedPriority !== Infinity
        ? checkPriority(this.priorityOf(item))
        : trackedPriority;
    const isProtected = priority >= this.protectedPriority;
    const hard = isProtected || policy === 'disconnect';
    // An item that could not fit even in an empty queue must not cost the others anything.
    if (size > (hard ? this.hardBytes : this.maxBytesBound)) return this.refuse(item, policy);

    if (policy === 'drop-oldest' || policy === 'drop-lowest-priority') {
      // Victims: unprotected items, and under drop-lowest-priority only those below the
      // incoming item's priority. Measure first so nothing is evicted for an item that would
      // be refused anyway.
      const limit = policy === 'drop-oldest' ? this.protectedPriority : Math.min(priority, this.protectedPriority);
      this.measureEvictable(limit);
      const length = this.items.length - this.evictableCount;
      const bytes = this.pendingBytes - this.evictableBytes;
      const softReachable = length < this.hwm && bytes + size <= this.maxBytesBound;
      const hardReachable = length < this.hardItems && bytes + size <= this.hardBytes;
      if (softReachable || (isProtected && hardReachable)) {
        while (!this.fitsSoft(size) && this.evictOne(limit)) {
          // evictOne emitted 'drop'; a listener may have changed the queue, so re-check.
        }
        if (this.isClosed) return this.refuse(item, 'closed');
      }
      if (this.fitsSoft(size)) return this.accept(item, size, trackedPriority);
    }
    if (hard) {
      if (this.items.length < this.hardItems && this.pendingBytes + size <= this.hardBytes) {
        return this.accept(item, size, trackedPriority);
      }
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
   * Sets evictableCount/evictableBytes to what evicting every item with priority < `limit`
   * would free.
   */
  private measureEvictable(limit: number): void {
    let count = 0;
    let bytes = 0;
    const buckets = this.buckets;
    if (buckets !== undefined) {
      // One step per distinct priority queued, not per item.
      for (const [priority, bucket] of buckets) {
        if (priority < limit) {
          count += bucket.count;
          bytes += bucket.bytes;
        }
      }
    } else if (0 < limit && this.policy === 'drop-oldest') {
      // Untracked: every queued item has the same standing (priority 0 for this purpose).
      count = this.items.length;
      bytes = this.pendingBytes;
    }
    this.evictableCount = count;
    this.evictableBytes = bytes;
  }

  /**
   * Evicts one victim (an item with priority < `limit`): the oldest for drop-oldest, the
   * oldest of the lowest priority for drop-lowest-priority.
   *
   * Why this is cheap enough: it runs only when the queue is full and the policy evicts.
   * The lowest queued priority comes from the per-priority buckets (one step per distinct
   * priority, a handful in practice), so when the incoming item is itself of the lowest
   * priority no item is scanned at all. Otherwise a scan from the front finds the victim;
   * it stops at the first match, which for the usual shape (old low-priority items at the
   * front) is at or near index 0, and denque removes near either end cheaply. A queue whose
   * victims sit at the back costs O(length) per eviction, never worse.
   *
   * @returns whether an item was evicted.
   */
  private evictOne(limit: number): boolean {
    const priorities = this.priorities;
    const length = this.items.length;
    let index = -1;
    if (priorities === undefined) {
      if (length > 0 && 0 < limit && this.policy === 'drop-oldest') index = 0;
    } else if (this.policy === 'drop-oldest') {
      for (let i = 0; i < length; i++) {
        if ((priorities.peekAt(i) as number) < limit) {
          index = i;
          break;
        }
      }
    } else {
      let lowest = Infinity;
      for (const priority of (this.buckets as Map<number, PriorityBucket>).keys()) {
        if (priority < lowest) lowest = priority;
      }
      if (lowest < limit) {
        for (let i = 0; i < length; i++) {
          if (priorities.peekAt(i) === lowest) {
            index = i;
            break;
          }
        }
      }
    }
    if (index < 0) return false;
    const victim = this.removeAt(index);
    this.countDrops(1, this.policy);
    this.emit('drop', 1, this.policy, victim);
    return true;
  }

  /** The hard bound was hit: close, count everything as dropped, report the slow consumer. */
  private overflow(item: T, size: number): void {
    const pending = this.items.length;
    const pendingBytes = this.pendingBytes;
    let message: string;
    let limit: number;
    if (pending >= this.hardItems) {
      limit = this.hardItems;
      message = `SendQ exceeded: ${pending} items pending, limit ${limit}`;
    } else {
      limit = this.hardBytes;
      message =
        pendingBytes >= limit
          ? `SendQ exceeded: ${pendingBytes} bytes pending, limit ${limit}`
          : `SendQ exceeded: ${pendingBytes} bytes pending, limit ${limit} (a ${size}-byte item did not fit)`;
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
  if (!(size >= 0 && size < Infinity)) throw new RangeError(`sizeOf must return a finite number >= 0 (got ${show(size)})`);
  return size;
}

function checkPriority(priority: number): number {
  if (typeof priority !== 'number' || Number.isNaN(priority)) {
    throw new RangeError(`priorityOf must return a number (got ${show(priority)})`);
  }
  return priority;
}
