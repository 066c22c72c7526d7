/**
 * The values stored under one trie node.
 *
 * @module
 */

/**
 * The values stored under one trie node: one plain array, nothing else. Matching copies
 * whole arrays (`slice`/`concat`, which V8 does as a block copy), and an array costs 8 bytes
 * per value where a `Set` index beside it would cost three to four times that. Adding checks
 * for a duplicate with `includes` (a tight built-in scan) and removing swaps the last value
 * into the hole: both linear only in the values of one pattern, and order is unspecified.
 *
 * @internal
 */
export class ValueList<V> {
  /** The values, in no particular order. Read-only for callers. */
  items: V[];

  constructor(first: V) {
    // An array literal is allocated at exactly one slot, where push() onto an empty array
    // would reserve room for 17: most patterns hold one value.
    this.items = [first];
  }

  get length(): number {
    return this.items.length;
  }

  /** @returns false if the value was already present. */
  add(value: V): boolean {
    // includes() uses SameValueZero, so NaN is found too.
    if (this.items.includes(value)) return false;
    this.items.push(value);
    return true;
  }

  /** @returns false if the value was not present. */
  remove(value: V): boolean {
    const items = this.items;
    // indexOf never finds NaN; findIndex with Number.isNaN keeps SameValueZero semantics.
    const at = value !== value ? items.findIndex(Number.isNaN) : items.indexOf(value);
    if (at < 0) return false;
    const last = items.length - 1;
    if (at !== last) items[at] = items[last];
    items.pop();
    return true;
  }

  toArray(): V[] {
    return this.items.slice();
  }
}
