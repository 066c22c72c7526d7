/**
 * What a {@link BoundedQueue} takes and reports: its options and overflow policies, why it
 * drops, its counters, and the check that turns options into settings (shared with the
 * broker's light subscriber queue, so both refuse the same options with the same errors).
 *
 * @module
 */
import { BYTE_BOUND, COUNT_FROM_0, COUNT_FROM_1, mustBe, optionalFunction, requireNumber } from '../internal/checks.js';
import { invalidArgType, invalidArgValue, outOfRange } from '../internal/coded-errors.js';

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

/** @internal A count per {@link DropReason}, all 0: what every queue's `droppedBy` starts as. */
export const noDrops = (): Record<DropReason, number> => ({
  'drop-newest': 0,
  'drop-oldest': 0,
  'drop-lowest-priority': 0,
  disconnect: 0,
  closed: 0,
});

const POLICIES: readonly OverflowPolicy[] = ['drop-newest', 'drop-oldest', 'drop-lowest-priority', 'disconnect'];

/** A number option checked for its type only: the range is the caller's (it depends on another option). */
function requireNumberType(name: string, value: unknown, expected: string): number {
  if (typeof value !== 'number') throw invalidArgType(mustBe(name, expected, value));
  return value;
}

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
 * @throws RangeError (`ERR_OUT_OF_RANGE`) when a bound is out of range or inconsistent, naming
 *   the field and value; (`ERR_INVALID_ARG_VALUE`) for an unknown policy.
 * @throws TypeError (`ERR_INVALID_ARG_TYPE`) when a bound is not a number, or `sizeOf` or
 *   `priorityOf` is not a function.
 */
export function checkQueueOptions<T>(options: BoundedQueueOptions<T>): QueueSettings<T> {
  const hwm = requireNumber('maxItems', options.maxItems ?? 1000, COUNT_FROM_1);
  const lwm = requireNumber('lowWaterItems', options.lowWaterItems ?? Math.min(100, hwm), COUNT_FROM_0);
  if (lwm > hwm) throw outOfRange(`maxItems must be >= lowWaterItems (got ${hwm} < ${lwm})`);
  const maxBytes = requireNumber('maxBytes', options.maxBytes ?? Infinity, BYTE_BOUND);
  const lowBytesExpected = `a number from 0 to maxBytes (${maxBytes})`;
  const lowBytes = requireNumberType('lowWaterBytes', options.lowWaterBytes ?? (maxBytes === Infinity ? 0 : maxBytes / 10), lowBytesExpected);
  if (!(lowBytes >= 0) || lowBytes > maxBytes) throw outOfRange(mustBe('lowWaterBytes', lowBytesExpected, lowBytes));
  const hardItemsExpected = `an integer >= maxItems (${hwm}) or Infinity`;
  const hardItems = requireNumberType('hardMaxItems', options.hardMaxItems ?? hwm, hardItemsExpected);
  if (!(hardItems === Infinity || (Number.isSafeInteger(hardItems) && hardItems >= hwm))) {
    throw outOfRange(mustBe('hardMaxItems', hardItemsExpected, hardItems));
  }
  const hardBytesExpected = `a number >= maxBytes (${maxBytes})`;
  const hardBytes = requireNumberType('hardMaxBytes', options.hardMaxBytes ?? maxBytes, hardBytesExpected);
  if (!(hardBytes >= maxBytes)) throw outOfRange(mustBe('hardMaxBytes', hardBytesExpected, hardBytes));
  const policy = options.policy ?? 'drop-newest';
  if (!POLICIES.includes(policy)) {
    throw invalidArgValue(mustBe('policy', `one of ${POLICIES.join(', ')}`, policy), 'range');
  }
  const protectedPriority = requireNumberType('protectedPriority', options.protectedPriority ?? Infinity, 'a number');
  if (Number.isNaN(protectedPriority)) throw outOfRange(mustBe('protectedPriority', 'a number', protectedPriority));
  const sizeOf = optionalFunction('sizeOf', options.sizeOf);
  const priorityOf = optionalFunction('priorityOf', options.priorityOf);
  if (policy === 'drop-lowest-priority' && priorityOf === undefined) {
    // Every item would have priority 0: the policy would silently act as drop-newest.
    throw invalidArgValue(`policy 'drop-lowest-priority' needs a priorityOf function (got none)`);
  }
  return { hwm, lwm, maxBytes, lowBytes, hardItems, hardBytes, policy, protectedPriority, sizeOf, priorityOf };
}
