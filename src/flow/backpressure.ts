/**
 * Keyed bounded queues: one per subscriber or client, with shared defaults.
 *
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import { BoundedQueue, type BoundedQueueOptions, type BoundedQueueStats, type DropReason } from './bounded-queue.js';
import { ClosedError, reportUnheard, type SlowConsumerError } from '../errors.js';
import { boundReached } from '../internal/coded-errors.js';
import { numberRule, requireNumber } from '../internal/checks.js';
import { checkOptions, optionKeys } from '../internal/options.js';
import { BOUNDED_QUEUE_OPTION_KEYS } from './bounded-queue-keys.js';

/** Options of {@link BackpressureManager}: the defaults of every queue, plus the queue cap. */
export interface BackpressureOptions<T> extends BoundedQueueOptions<T> {
  /**
   * How many queues may be open at once; `open()` of a new key past it throws a
   * `RangeError`, so a remote party cannot make the manager grow without bound. An integer
   * >= 0, or `Infinity`.
   * @default Infinity
   */
  maxQueues?: number;
}

/** The keys of {@link BackpressureOptions}, for the check of unknown keys. */
export const BACKPRESSURE_OPTION_KEYS = /* @__PURE__ */ optionKeys<BackpressureOptions<unknown>>({
  ...BOUNDED_QUEUE_OPTION_KEYS,
  maxQueues: true,
});

const MAX_QUEUES_RULE = /* @__PURE__ */ numberRule({ min: 0, integer: true, orInfinity: true });

/** Event signatures of {@link BackpressureManager}: its queues' events, with their key. */
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- T is public API: BackpressureEvents<T> pairs with BackpressureManager<T>.
export interface BackpressureEvents<T> {
  /** The queue of `key` dropped `count` items for `reason` (also a push to an unknown key: 1, `'closed'`). */
  drop: (key: string, count: number, reason: DropReason) => void;
  /** The queue of `key` reached a bound. */
  pause: (key: string) => void;
  /** The queue of `key` drained to its low marks after a pause. */
  resume: (key: string) => void;
  /**
   * The queue of `key` overflowed and closed itself (it stays open in the manager until
   * deleted). Without a listener it becomes a `'LogcasterWarning'` process warning.
   */
  overflow: (key: string, error: SlowConsumerError) => void;
}

/** Totals over a {@link BackpressureManager}'s queues; see {@link BackpressureManager.stats}. */
export interface BackpressureStats {
  /** Queues open. */
  queues: number;
  /** Items pending over all queues. */
  pending: number;
  /** Bytes pending over all queues. */
  pendingBytes: number;
  /**
   * Items dropped since the manager was made: by every queue, deleted ones included, and
   * pushes to unknown keys. Never decreases. (`stats().dropped`.)
   */
  dropped: number;
  /** Queues currently paused. */
  paused: number;
}

/** A queue and what the manager keeps beside it. */
interface Entry<T> {
  readonly queue: BoundedQueue<T>;
  readonly onDrop: (count: number, reason: DropReason) => void;
  readonly onPause: () => void;
  readonly onResume: () => void;
  readonly onOverflow: (error: SlowConsumerError) => void;
  /** `queue.dropped` at the previous takeDropReport(). */
  reported: number;
}

/** Copies the fields of `overrides` that are set over `base`: an `undefined` field keeps the default. */
function merge<T>(base: BoundedQueueOptions<T>, overrides: BoundedQueueOptions<T> | undefined): BoundedQueueOptions<T> {
  const options: Record<string, unknown> = { ...base };
  if (overrides !== undefined) {
    for (const [name, value] of Object.entries(overrides)) {
      if (value !== undefined) options[name] = value;
    }
  }
  return options as BoundedQueueOptions<T>;
}

/**
 * Bounded queues by key (a subscriber, a client's SendQ), made from shared defaults with
 * per-key overrides. It re-emits every queue's events with the key, reports pending and
 * dropped per key, and gathers "who missed what" with {@link BackpressureManager.takeDropReport}.
 * Memory stays bounded: `maxQueues` caps the keys, and `delete` closes and forgets a queue.
 *
 * @typeParam T - the item type.
 * @example
 * ```ts
 * const sendQs = new BackpressureManager<Buffer>({ maxBytes: 1 << 20, policy: 'disconnect', maxQueues: 10_000 });
 * sendQs.on('overflow', (key, error) => clients.get(key)?.close(error.message));
 * sendQs.open('alice');
 * sendQs.push('alice', Buffer.from(':server NOTICE alice :hello\r\n'));
 * for (const [key, missed] of sendQs.takeDropReport()) notify(key, `you missed ${missed} lines`);
 * sendQs.delete('alice');
 * ```
 */
export class BackpressureManager<T> extends EventEmitter<BackpressureEvents<T>> implements Disposable {
  private readonly defaults: BoundedQueueOptions<T>;
  private readonly maxQueues: number;
  private readonly entries = new Map<string, Entry<T>>();
  /** Drops of deleted queues and of pushes to unknown keys, so stats().dropped never decreases. */
  private retiredDropped = 0;
  private isClosed = false;

  /**
   * @param defaults - options of every queue (see {@link BoundedQueueOptions}), and `maxQueues`.
   * @throws RangeError when `maxQueues` or a queue bound is out of range.
   * @throws TypeError when `defaults` is not an object or has a key that is not an option
   *   (`ERR_UNKNOWN_OPTION`, naming the nearest one), or `sizeOf` or `priorityOf` is not a function.
   */
  constructor(defaults: BackpressureOptions<T> = {}) {
    super();
    checkOptions('new BackpressureManager', defaults, BACKPRESSURE_OPTION_KEYS);
    const { maxQueues = Infinity, ...queueDefaults } = defaults;
    this.maxQueues = requireNumber('maxQueues', maxQueues, MAX_QUEUES_RULE);
    // Validate the defaults now, not at the first open().
    new BoundedQueue<T>(queueDefaults);
    this.defaults = queueDefaults;
  }

  /** Whether {@link BackpressureManager.close} has been called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Queues open. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * The queue of `key`: created from the defaults and `overrides`, or the existing one (then
   * `overrides` are ignored).
   *
   * @throws RangeError (`ERR_BOUND_REACHED`) when opening a new key would exceed
   *   `maxQueues`; (`ERR_OUT_OF_RANGE`) when an override is out of range.
   * @throws TypeError (`ERR_UNKNOWN_OPTION`) for an override that is not a queue option.
   * @throws {@link ClosedError} after {@link BackpressureManager.close}.
   */
  open(key: string, overrides?: BoundedQueueOptions<T>): BoundedQueue<T> {
    if (overrides !== undefined) checkOptions('BackpressureManager.open', overrides, BOUNDED_QUEUE_OPTION_KEYS, 'overrides');
    const existing = this.entries.get(key);
    if (existing !== undefined) return existing.queue;
    if (this.isClosed) throw new ClosedError('BackpressureManager', `open queue ${JSON.stringify(key)}`);
    if (this.entries.size >= this.maxQueues) {
      throw boundReached(`cannot open queue ${JSON.stringify(key)}: maxQueues (${this.maxQueues}) queues are already open`);
    }
    const queue = new BoundedQueue<T>(merge(this.defaults, overrides));
    // One set of listeners per queue (not per message), removed again by delete().
    const entry: Entry<T> = {
      queue,
      onDrop: (count, reason) => this.emit('drop', key, count, reason),
      onPause: () => this.emit('pause', key),
      onResume: () => this.emit('resume', key),
      onOverflow: (error) => {
        if (this.listenerCount('overflow') === 0) reportUnheard('BackpressureManager', error);
        else this.emit('overflow', key, error);
      },
      reported: 0,
    };
    queue.on('drop', entry.onDrop);
    queue.on('pause', entry.onPause);
    queue.on('resume', entry.onResume);
    queue.on('overflow', entry.onOverflow);
    this.entries.set(key, entry);
    return queue;
  }

  /** The queue of `key`, if open. */
  get(key: string): BoundedQueue<T> | undefined {
    return this.entries.get(key)?.queue;
  }

  /** Whether a queue is open for `key`. */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** The keys of the open queues, in opening order. */
  keys(): IterableIterator<string> {
    return this.entries.keys();
  }

  /**
   * Pushes onto the queue of `key` (see {@link BoundedQueue.push}).
   *
   * @returns whether the item was enqueued; `false` when there is no such key (counted in
   * `stats().dropped` and emitted as a `'drop'` with reason `'closed'`).
   */
  push(key: string, item: T): boolean {
    const entry = this.entries.get(key);
    if (entry !== undefined) return entry.queue.push(item);
    this.retiredDropped++;
    this.emit('drop', key, 1, 'closed');
    return false;
  }

  /** Takes the oldest item of the queue of `key`; `undefined` when empty or no such key. */
  shift(key: string): T | undefined {
    return this.entries.get(key)?.queue.shift();
  }

  /**
   * Closes the queue of `key` (its pending items are counted as dropped, reason `'closed'`)
   * and forgets it.
   *
   * @returns whether there was such a queue.
   */
  delete(key: string): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    const queue = entry.queue;
    // Close while still listening, so the discarded items are reported with the key.
    queue.close();
    queue.off('drop', entry.onDrop);
    queue.off('pause', entry.onPause);
    queue.off('resume', entry.onResume);
    queue.off('overflow', entry.onOverflow);
    this.entries.delete(key);
    this.retiredDropped += queue.dropped;
    return true;
  }

  /** A snapshot of every open queue's {@link BoundedQueueStats}, by key. */
  statsByKey(): Map<string, BoundedQueueStats> {
    const stats = new Map<string, BoundedQueueStats>();
    for (const [key, entry] of this.entries) stats.set(key, entry.queue.stats());
    return stats;
  }

  /** Totals over all queues. */
  stats(): BackpressureStats {
    let pending = 0;
    let pendingBytes = 0;
    let dropped = this.retiredDropped;
    let paused = 0;
    for (const { queue } of this.entries.values()) {
      pending += queue.length;
      pendingBytes += queue.bytes;
      dropped += queue.dropped;
      if (queue.paused) paused++;
    }
    return { queues: this.entries.size, pending, pendingBytes, dropped, paused };
  }

  /**
   * The keys whose queues dropped items since the previous call, with how many (for "you
   * missed N lines" notices). Keys without new drops are left out. Independent of each
   * queue's own {@link BoundedQueue.takeDropped}.
   */
  takeDropReport(): Map<string, number> {
    const report = new Map<string, number>();
    for (const [key, entry] of this.entries) {
      const dropped = entry.queue.dropped;
      if (dropped > entry.reported) {
        report.set(key, dropped - entry.reported);
        entry.reported = dropped;
      }
    }
    return report;
  }

  /** Deletes every queue (see {@link BackpressureManager.delete}); later `open()` calls throw. Idempotent. */
  close(): void {
    this.isClosed = true;
    for (const key of [...this.entries.keys()]) this.delete(key);
  }

  /** Same as {@link BackpressureManager.close}; lets `using` close the manager. */
  [Symbol.dispose](): void {
    this.close();
  }
}
