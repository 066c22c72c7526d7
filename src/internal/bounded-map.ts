/**
 * One bounded map for every cache in the library: a bound on entries and, optionally, on a
 * total weight, with CLOCK eviction in O(1) amortized time.
 *
 * @module
 */

import { COUNT_FROM_1, requireNumber } from './checks.js';

/** Options of {@link BoundedMap}. */
export interface BoundedMapOptions<V> {
  /**
   * Most total weight the map holds (for example, values referenced by cached arrays).
   * @default Infinity
   */
  maxWeight?: number;
  /**
   * The weight of one value; called once per `set`, only when `maxWeight` is finite.
   * @default every value weighs 0
   */
  weigh?: (value: V) => number;
}

/** A slot's state in {@link BoundedMap}: free, live, or live and read since the hand passed. */
const FREE = 0;
const LIVE = 1;
const REFERENCED = 2;

/** Slot states allocated at first; the array doubles as slots are taken, up to the entry bound. */
const INITIAL_SLOTS = 64;

/**
 * A `Map` with a bound on its size (and optionally on the total weight of its values) that
 * evicts by CLOCK, an approximation of least-recently-used that costs one byte store per hit.
 *
 * Why not iterate a `Map` from its start to find the oldest key: `Map.keys().next()` walks
 * over the holes that deletions leave, so under steady eviction each call costs time in
 * proportion to the bound. Here keys and values live in parallel arrays indexed by a slot
 * number, the `Map` only maps a key to its slot (a small integer, no allocation per entry),
 * and a clock hand sweeps the slots: a slot read since the last sweep gets a second chance.
 *
 * @internal
 */
export class BoundedMap<K, V> {
  private readonly index = new Map<K, number>();
  private readonly keys: (K | undefined)[] = [];
  private readonly values: (V | undefined)[] = [];
  private weights: number[] | undefined;
  private state: Uint8Array;
  /** Slots freed by `delete`, reused before anything is evicted. */
  private readonly free: number[] = [];
  private hand = 0;
  private bound: number;
  private total = 0;
  private readonly maxWeight: number;
  private readonly weigh: ((value: V) => number) | undefined;
  /** Entries evicted to make room, since creation (diagnostics and adaptive sizing). */
  evictions = 0;

  /** @throws RangeError when `maxEntries` is not an integer >= 1. */
  constructor(maxEntries: number, options: BoundedMapOptions<V> = {}) {
    requireNumber('maxEntries', maxEntries, COUNT_FROM_1);
    this.bound = maxEntries;
    // Not `maxEntries` bytes up front: a generous bound (a limiter's `maxKeys`) costs nothing
    // until it is used.
    this.state = new Uint8Array(Math.min(maxEntries, INITIAL_SLOTS));
    this.maxWeight = options.maxWeight ?? Infinity;
    if (this.maxWeight !== Infinity) {
      this.weigh = options.weigh ?? (() => 0);
      this.weights = [];
    }
  }

  /** Live entries. */
  get size(): number {
    return this.index.size;
  }

  /** Most entries held: the entry bound. */
  get maxEntries(): number {
    return this.bound;
  }

  /** Total weight held (0 without `maxWeight`). */
  get weight(): number {
    return this.total;
  }

  /** The value under `key`, marking it as recently used. */
  get(key: K): V | undefined {
    const slot = this.index.get(key);
    if (slot === undefined) return undefined;
    this.state[slot] = REFERENCED;
    return this.values[slot];
  }

  /** The value under `key`, without marking it as used (a look, not a hit). */
  peek(key: K): V | undefined {
    const slot = this.index.get(key);
    return slot === undefined ? undefined : this.values[slot];
  }

  has(key: K): boolean {
    return this.index.has(key);
  }

  /**
   * Stores `value` under `key`, evicting what must go to stay within the bounds.
   *
   * @returns `false` (storing nothing) when the value alone weighs more than `maxWeight`.
   */
  set(key: K, value: V): boolean {
    const weigh = this.weigh;
    const weight = weigh === undefined ? 0 : weigh(value);
    if (weight > this.maxWeight) {
      this.delete(key);
      return false;
    }
    let slot = this.index.get(key);
    if (slot !== undefined) {
      // Replacing a value is a use of its key, as a get() is.
      this.state[slot] = REFERENCED;
      this.values[slot] = value;
      if (this.weights !== undefined) {
        this.total += weight - this.weights[slot];
        this.weights[slot] = weight;
      }
    } else {
      slot = this.allocate();
      this.keys[slot] = key;
      this.values[slot] = value;
      this.index.set(key, slot);
      if (this.weights !== undefined) {
        this.weights[slot] = weight;
        this.total += weight;
      }
      this.state[slot] = LIVE;
    }
    // Over the weight bound: evict others (never this one, which fits on its own).
    while (this.total > this.maxWeight) this.free.push(this.evict(slot));
    return true;
  }

  /** Removes `key`; its slot is reused by the next `set`. */
  delete(key: K): boolean {
    const slot = this.index.get(key);
    if (slot === undefined) return false;
    this.release(slot);
    return true;
  }

  /**
   * Removes every entry whose key passes `test`, in one pass over the slots (no `Map`
   * iteration). `test` must not change the map.
   *
   * @returns how many entries were removed.
   */
  deleteWhere(test: (key: K) => boolean): number {
    const state = this.state;
    const keys = this.keys;
    let removed = 0;
    for (let slot = 0; slot < keys.length; slot++) {
      if (state[slot] !== FREE && test(keys[slot] as K)) {
        this.release(slot);
        removed++;
      }
    }
    return removed;
  }

  /**
   * One step of a pass over the entries that goes round and round a few at a time (an
   * amortised sweep, no timer, no `Map` iteration): from slot `cursor` on, looks at up to
   * `entries` entries and up to `slots` slots in all (free ones included, so a sparse map
   * costs no more per step), and removes each entry whose value passes `test`. Marks nothing
   * as used and counts nothing as an eviction. `test` must not change the map.
   *
   * @returns the slot to go on from at the next step: 0 once the pass reached the last slot
   * (or `cursor` was past it, after a `clear`).
   */
  scan(cursor: number, entries: number, slots: number, test: (value: V, key: K) => boolean): number {
    const state = this.state;
    const length = this.keys.length;
    const end = cursor + slots < length ? cursor + slots : length;
    let left = entries;
    let slot = cursor;
    for (; slot < end && left > 0; slot++) {
      if (state[slot] === FREE) continue;
      left--;
      if (test(this.values[slot] as V, this.keys[slot] as K)) this.release(slot);
    }
    return slot >= length ? 0 : slot;
  }

  /** Removes every entry. */
  clear(): void {
    if (this.keys.length === 0) return;
    this.index.clear();
    this.keys.length = 0;
    this.values.length = 0;
    if (this.weights !== undefined) this.weights.length = 0;
    this.free.length = 0;
    this.state.fill(FREE);
    this.hand = 0;
    this.total = 0;
  }

  /** Changes the entry bound; shrinking empties the map first. */
  resize(maxEntries: number): void {
    requireNumber('maxEntries', maxEntries, COUNT_FROM_1);
    if (maxEntries < this.bound) {
      this.clear();
      if (this.state.length > maxEntries) this.state = new Uint8Array(Math.min(maxEntries, INITIAL_SLOTS));
    }
    // Growing needs nothing now: the slot states grow as slots are taken.
    this.bound = maxEntries;
  }

  /** A slot for a new entry: a never-used one, a freed one, or the CLOCK victim's. */
  private allocate(): number {
    const keys = this.keys;
    if (keys.length < this.bound) {
      if (keys.length === this.state.length) this.growState();
      keys.push(undefined);
      this.values.push(undefined);
      if (this.weights !== undefined) this.weights.push(0);
      return keys.length - 1;
    }
    const free = this.free;
    if (free.length > 0) return free.pop() as number;
    return this.evict(-1);
  }

  /** Doubles the slot states (up to the entry bound), keeping those in use. */
  private growState(): void {
    const state = new Uint8Array(Math.min(this.bound, Math.max(INITIAL_SLOTS, this.state.length * 2)));
    state.set(this.state);
    this.state = state;
  }

  /**
   * Sweeps the hand to the first live slot not read since the last sweep (never `keep`),
   * empties it and returns its number. Terminates: a full sweep clears every mark.
   */
  private evict(keep: number): number {
    const state = this.state;
    const length = this.keys.length;
    for (;;) {
      const slot = this.hand;
      this.hand = slot + 1 === length ? 0 : slot + 1;
      const s = state[slot];
      if (s === FREE || slot === keep) continue;
      if (s === REFERENCED) {
        state[slot] = LIVE;
        continue;
      }
      this.evictions++;
      this.release(slot);
      // The slot is on the free list now; take it back for the caller.
      this.free.pop();
      return slot;
    }
  }

  private release(slot: number): void {
    this.index.delete(this.keys[slot] as K);
    this.keys[slot] = undefined;
    this.values[slot] = undefined;
    if (this.weights !== undefined) {
      this.total -= this.weights[slot];
      this.weights[slot] = 0;
    }
    this.state[slot] = FREE;
    this.free.push(slot);
  }
}
