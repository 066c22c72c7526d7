/**
 * The priorities of a bounded queue's items, kept beside them so a full queue can choose
 * what to evict without sizing or ranking every item again.
 *
 * @module
 */
import { Ring } from '../internal/ring.js';

/** Items with the same priority: how many are queued and their bytes. */
interface PriorityBucket {
  count: number;
  bytes: number;
}

/**
 * Each queued item's priority, in queue order (parallel to the queue's items), and the count
 * and bytes queued per priority. The buckets answer "how much could be evicted below this
 * priority" and "what is the lowest priority queued" in one step per distinct priority (a
 * handful in practice) instead of one per item.
 *
 * @internal
 */
export class PriorityIndex {
  readonly #priorities = new Ring<number>();
  readonly #buckets = new Map<number, PriorityBucket>();
  /** What {@link PriorityIndex.measureBelow} found (fields, so the full path allocates nothing). */
  belowCount = 0;
  belowBytes = 0;

  /** An item of `priority` and `size` bytes was appended. */
  push(priority: number, size: number): void {
    this.#priorities.push(priority);
    const bucket = this.#buckets.get(priority);
    if (bucket === undefined) {
      this.#buckets.set(priority, { count: 1, bytes: size });
    } else {
      bucket.count++;
      bucket.bytes += size;
    }
  }

  /** The oldest item, of `size` bytes, was taken out. */
  shift(size: number): void {
    this.#forget(this.#priorities.shift(), size);
  }

  /** The item at `index`, of `size` bytes, was taken out. */
  removeAt(index: number, size: number): void {
    this.#forget(index === 0 ? this.#priorities.shift() : this.#priorities.removeAt(index), size);
  }

  clear(): void {
    this.#priorities.clear();
    this.#buckets.clear();
  }

  /** Sets `belowCount`/`belowBytes` to what the items of priority < `limit` hold. */
  measureBelow(limit: number): void {
    let count = 0;
    let bytes = 0;
    for (const [priority, bucket] of this.#buckets) {
      if (priority < limit) {
        count += bucket.count;
        bytes += bucket.bytes;
      }
    }
    this.belowCount = count;
    this.belowBytes = bytes;
  }

  /** The index of the oldest item of priority < `limit`, or -1. */
  oldestBelow(limit: number): number {
    const priorities = this.#priorities;
    for (let i = 0; i < priorities.length; i++) {
      if (priorities.at(i) < limit) return i;
    }
    return -1;
  }

  /**
   * The index of the oldest item of the lowest priority queued, if that is < `limit`; -1
   * otherwise. The scan stops at the first match, which for the usual shape (old
   * low-priority items at the front) is at or near index 0; when the incoming item is itself
   * of the lowest priority no item is scanned at all.
   */
  oldestOfLowestBelow(limit: number): number {
    let lowest = Infinity;
    for (const priority of this.#buckets.keys()) {
      if (priority < lowest) lowest = priority;
    }
    if (!(lowest < limit)) return -1;
    const priorities = this.#priorities;
    for (let i = 0; i < priorities.length; i++) {
      if (priorities.at(i) === lowest) return i;
    }
    return -1;
  }

  #forget(priority: number | undefined, size: number): void {
    if (priority === undefined) return;
    const bucket = this.#buckets.get(priority);
    if (bucket === undefined) return;
    if (--bucket.count === 0) {
      this.#buckets.delete(priority);
    } else {
      bucket.bytes -= size;
    }
  }
}
