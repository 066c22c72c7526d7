/**
 * The values stored under one trie node: a plain array for fast iteration, plus a Set
 * index once the list grows, so adding and removing stay O(1) lookups even when
 * thousands of values share one pattern.
 *
 * @internal
 */
const INDEX_FROM = 32;

/** @internal */
export class ValueList<V> {
  private items: V[] = [];
  private index: Set<V> | undefined = undefined;

  get length(): number {
    return this.items.length;
  }

  /** @returns false if the value was already present. */
  add(value: V): boolean {
    const index = this.index;
    if (index === undefined) {
      if (this.items.length === 0) {
        // Most patterns hold one value: an array literal is allocated at exactly that size,
        // where push() onto an empty array would reserve room for 17.
        this.items = [value];
        return true;
      }
      if (this.items.includes(value)) return false;
      this.items.push(value);
      if (this.items.length >= INDEX_FROM) this.index = new Set(this.items);
      return true;
    }
    if (index.has(value)) return false;
    index.add(value);
    this.items.push(value);
    return true;
  }

  /** @returns false if the value was not present. */
  remove(value: V): boolean {
    if (this.index !== undefined && !this.index.delete(value)) return false;
    // indexOf never finds NaN; findIndex with Number.isNaN keeps SameValueZero semantics.
    const at = value !== value ? this.items.findIndex(Number.isNaN) : this.items.indexOf(value);
    if (at < 0) return false;
    this.items.splice(at, 1);
    if (this.index !== undefined && this.items.length < INDEX_FROM / 2) this.index = undefined;
    return true;
  }

  appendTo(out: V[]): void {
    const items = this.items;
    for (let i = 0; i < items.length; i++) out.push(items[i]);
  }

  toArray(): V[] {
    return this.items.slice();
  }
}
