/**
 * A growable FIFO on a power-of-two circular array: the storage of the bounded queues.
 *
 * @module
 */

/** Slots to start with; the ring doubles as items arrive. */
const INITIAL_SLOTS = 16;

/** An emptied ring of more slots than this is replaced by a small one, so an idle queue stays small. */
const MAX_KEPT_SLOTS = 1024;

/**
 * A FIFO with O(1) `push` and `shift`, indexed access, and removal at any index (moving the
 * shorter side, so near either end it is cheap). Taken slots are cleared, so the ring never
 * keeps an item alive; a ring that grew past {@link MAX_KEPT_SLOTS} shrinks back when it
 * empties, so a burst does not pin its memory.
 *
 * Why not denque: the queues need six of its operations, and this is them in a quarter of its
 * size, which keeps a browser bundle of the broker small (issue 22). Measured against denque
 * in `npm run bench -- queues`.
 *
 * @internal
 */
export class Ring<T> {
  private slots: (T | undefined)[] = new Array<T | undefined>(INITIAL_SLOTS);
  private mask = INITIAL_SLOTS - 1;
  /** The slot of the oldest item. */
  private head = 0;
  /** The slot the next item goes to; `head` when the ring is empty (it grows before filling up). */
  private tail = 0;

  /** Items held. */
  get length(): number {
    return (this.tail - this.head) & this.mask;
  }

  push(item: T): void {
    const tail = this.tail;
    this.slots[tail] = item;
    this.tail = (tail + 1) & this.mask;
    if (this.tail === this.head) this.grow();
  }

  /** Takes the oldest item out; `undefined` when empty. */
  shift(): T | undefined {
    const head = this.head;
    if (head === this.tail) return undefined;
    const slots = this.slots;
    const item = slots[head];
    slots[head] = undefined;
    const mask = this.mask;
    const next = (head + 1) & mask;
    this.head = next;
    if (next === this.tail && mask >= MAX_KEPT_SLOTS) this.shrink();
    return item;
  }

  /** The oldest item, left in place; `undefined` when empty. */
  peek(): T | undefined {
    return this.slots[this.head];
  }

  /** The item `index` places from the oldest (0 ≤ index < length). */
  at(index: number): T {
    return this.slots[(this.head + index) & this.mask] as T;
  }

  /** Takes the item at `index` (0 ≤ index < length) out, keeping the others in order. */
  removeAt(index: number): T {
    const slots = this.slots;
    const mask = this.mask;
    const head = this.head;
    const item = slots[(head + index) & mask] as T;
    const last = this.length - 1;
    if (index < last - index) {
      // Nearer the front: move the items before it one slot back, and the head with them.
      for (let i = index; i > 0; i--) slots[(head + i) & mask] = slots[(head + i - 1) & mask];
      slots[head] = undefined;
      this.head = (head + 1) & mask;
    } else {
      for (let i = index; i < last; i++) slots[(head + i) & mask] = slots[(head + i + 1) & mask];
      this.tail = (this.tail - 1) & mask;
      slots[this.tail] = undefined;
    }
    if (this.head === this.tail && mask >= MAX_KEPT_SLOTS) this.shrink();
    return item;
  }

  /** Removes every item. */
  clear(): void {
    if (this.head === this.tail) return;
    this.slots = new Array<T | undefined>(INITIAL_SLOTS);
    this.mask = INITIAL_SLOTS - 1;
    this.head = 0;
    this.tail = 0;
  }

  /** The items, oldest first, in a new array. */
  toArray(): T[] {
    const items = new Array<T>(this.length);
    for (let i = 0; i < items.length; i++) items[i] = this.at(i);
    return items;
  }

  /** Full: doubles the slots, unrolled so the oldest item is at slot 0. */
  private grow(): void {
    const slots = this.slots;
    const size = slots.length;
    const next = new Array<T | undefined>(size * 2);
    for (let i = 0; i < size; i++) next[i] = slots[(this.head + i) & this.mask];
    this.slots = next;
    this.mask = size * 2 - 1;
    this.head = 0;
    this.tail = size;
  }

  /** Emptied after a burst: a small array again, so an idle queue does not pin the burst's. */
  private shrink(): void {
    this.slots = new Array<T | undefined>(INITIAL_SLOTS);
    this.mask = INITIAL_SLOTS - 1;
    this.head = 0;
    this.tail = 0;
  }
}
