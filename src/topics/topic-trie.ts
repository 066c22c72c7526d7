/**
 * An MQTT-style hierarchical topic index.
 *
 * @module
 */
import { parsePattern, parseTopic, resolveTopicSyntax, type TopicOptions, type TopicSyntax } from './topic.js';
import { ValueList } from './value-list.js';

/** Options of {@link TopicTrie}: the topic syntax plus the match cache. */
export interface TopicTrieOptions extends TopicOptions {
  /**
   * How many published topics keep their match result cached. Any `add`, `remove` or
   * `clear` empties the cache, so it pays off when topics repeat and subscriptions change
   * less often than messages arrive (the usual broadcast shape). When topics rarely repeat
   * (fewer than 1 lookup in 8 hits), only 1 miss in 16 is cached, so a stream of unique
   * topics costs little more than no cache at all. `0` turns it off. Minimum: 0.
   * @default 1024
   */
  cacheSize?: number;
}

/** Lookups per admission-control window of the match cache. */
const CACHE_WINDOW = 1024;
/** While throttled, a miss is cached when `(misses & THROTTLED_ADMISSION) === 0`: 1 in 16. */
const THROTTLED_ADMISSION = 15;

/**
 * One node per distinct pattern prefix. Children are created lazily so a leaf costs one
 * small object; the `*` child and the `#` values live in their own fields so matching never
 * looks wildcards up in the map.
 */
class TrieNode<V> {
  /** Literal children by level. */
  children: Map<string, TrieNode<V>> | undefined = undefined;
  /** The child reached by the one-level wildcard. */
  one: TrieNode<V> | undefined = undefined;
  /** Values of patterns that end exactly here. */
  exact: ValueList<V> | undefined = undefined;
  /** Values of patterns that end here with the multi-level wildcard. */
  rest: ValueList<V> | undefined = undefined;

  isEmpty(): boolean {
    return this.children === undefined && this.one === undefined && this.exact === undefined && this.rest === undefined;
  }
}

/**
 * An index of `(pattern, value)` pairs that answers "which values match this topic?".
 *
 * Topics are `/`-separated levels; empty levels are legal (`a//b`, `/a`, `a/`). In a pattern,
 * `*` matches exactly one level (possibly empty) and `#`, as the last level only, matches zero
 * or more levels: `a/#` matches `a`, `a/b` and `a/b/c`. As in MQTT, a pattern whose first level
 * is a wildcard does not match a topic whose first level starts with `$`.
 *
 * A pair is stored once: adding it again is a no-op. Removing the last value under a node
 * prunes the node, so memory returns to what it was. Matching is iterative (no recursion, so
 * deep topics cannot overflow the stack) and allocates nothing per visited node.
 *
 * @typeParam V - the stored values; compared by identity (`SameValueZero`).
 * @example
 * ```ts
 * const trie = new TopicTrie<string>();
 * trie.add('logs/payments/*', 'payments');
 * trie.add('logs/#', 'everything');
 * trie.match('logs/payments/ERROR'); // ['everything', 'payments'] (order unspecified)
 * ```
 */
export class TopicTrie<V> implements Iterable<[pattern: string, value: V]> {
  /** The resolved syntax (separator, wildcards, limits) this trie uses. */
  readonly syntax: TopicSyntax;

  private readonly root = new TrieNode<V>();
  private pairs = 0;
  private nodes = 1;
  private readonly cacheSize: number;
  private readonly cache = new Map<string, V[]>();
  // Insertion order of the cached topics, as a ring: evicting the oldest is one array read
  // (iterating a Map from its start walks over the holes its deletions left behind).
  private ring: string[] = [];
  private ringNext = 0;
  // Admission control. When topics rarely repeat, filling the cache costs more than it
  // saves, so while fewer than 1 in 8 lookups of a window hit, only 1 miss in 16 is cached.
  private windowLookups = 0;
  private windowHits = 0;
  private admitMask = 0;
  private misses = 0;
  // Reused traversal stacks: matching is synchronous and never calls user code, so one
  // pair of stacks per trie is safe and saves an allocation per match.
  private readonly stackNodes: (TrieNode<V> | undefined)[] = [];
  private readonly stackDepths: number[] = [];

  /**
   * @throws RangeError when an option is out of range (see {@link TopicOptions}).
   */
  constructor(options: TopicTrieOptions = {}) {
    this.syntax = resolveTopicSyntax(options);
    const cacheSize = options.cacheSize ?? 1024;
    if (!Number.isSafeInteger(cacheSize) || cacheSize < 0) {
      throw new RangeError(`cacheSize must be an integer >= 0 (got ${String(cacheSize)})`);
    }
    this.cacheSize = cacheSize;
  }

  /** Number of stored `(pattern, value)` pairs. */
  get size(): number {
    return this.pairs;
  }

  /** Number of internal nodes, the root included: a measure of memory use for diagnostics. */
  get nodeCount(): number {
    return this.nodes;
  }

  /**
   * Stores `value` under `pattern`.
   *
   * @returns `true` if the pair is new, `false` if it was already stored.
   * @throws {@link TopicError} when the pattern is invalid; nothing is changed then.
   */
  add(pattern: string, value: V): boolean {
    const levels = parsePattern(pattern, this.syntax);
    const { singleLevelWildcard: one, multiLevelWildcard: many } = this.syntax;
    let node = this.root;
    const last = levels.length - 1;
    let list: ValueList<V>;
    for (let i = 0; ; i++) {
      const level = levels[i];
      if (level === many) {
        list = node.rest ??= new ValueList<V>();
        break;
      }
      let next: TrieNode<V> | undefined;
      if (level === one) {
        next = node.one;
        if (next === undefined) {
          next = node.one = new TrieNode<V>();
          this.nodes++;
        }
      } else {
        const children = (node.children ??= new Map());
        next = children.get(level);
        if (next === undefined) {
          next = new TrieNode<V>();
          children.set(level, next);
          this.nodes++;
        }
      }
      node = next;
      if (i === last) {
        list = node.exact ??= new ValueList<V>();
        break;
      }
    }
    if (!list.add(value)) return false;
    this.pairs++;
    this.invalidate();
    return true;
  }

  /**
   * Removes one `(pattern, value)` pair and prunes nodes left empty.
   *
   * @returns `true` if the pair was stored.
   * @throws {@link TopicError} when the pattern is invalid.
   */
  remove(pattern: string, value: V): boolean {
    const levels = parsePattern(pattern, this.syntax);
    const { singleLevelWildcard: one, multiLevelWildcard: many } = this.syntax;
    const path: TrieNode<V>[] = [this.root];
    let node = this.root;
    const endsWithMany = levels[levels.length - 1] === many;
    const depth = endsWithMany ? levels.length - 1 : levels.length;
    for (let i = 0; i < depth; i++) {
      const level = levels[i];
      const next = level === one ? node.one : node.children?.get(level);
      if (next === undefined) return false;
      node = next;
      path.push(node);
    }
    const list = endsWithMany ? node.rest : node.exact;
    if (list === undefined || !list.remove(value)) return false;
    if (list.length === 0) {
      if (endsWithMany) node.rest = undefined;
      else node.exact = undefined;
    }
    this.pairs--;
    this.invalidate();
    // Prune bottom-up: a node with nothing left is unlinked from its parent.
    for (let i = depth; i > 0; i--) {
      const child = path[i];
      if (!child.isEmpty()) break;
      const parent = path[i - 1];
      const level = levels[i - 1];
      if (level === one) {
        parent.one = undefined;
      } else if (parent.children !== undefined) {
        parent.children.delete(level);
        if (parent.children.size === 0) parent.children = undefined;
      }
      this.nodes--;
    }
    return true;
  }

  /**
   * Every value whose pattern matches `topic`. Each stored pair appears at most once; the
   * order is unspecified. The returned array is the caller's to keep or change.
   *
   * @throws {@link TopicError} when the topic is invalid (for example contains a wildcard).
   */
  match(topic: string): V[] {
    if (this.cacheSize === 0) {
      const out: V[] = [];
      this.collect(parseTopic(topic, this.syntax), out);
      return out;
    }
    const cached = this.cache.get(topic);
    if (++this.windowLookups >= CACHE_WINDOW) this.adapt();
    if (cached !== undefined) {
      this.windowHits++;
      return cached.slice();
    }
    const out: V[] = [];
    this.collect(parseTopic(topic, this.syntax), out);
    if ((++this.misses & this.admitMask) === 0) this.remember(topic, out.slice());
    return out;
  }

  /**
   * Whether any stored pattern matches `topic`; stops at the first match.
   *
   * @throws {@link TopicError} when the topic is invalid.
   */
  hasMatch(topic: string): boolean {
    const cached = this.cache.get(topic);
    if (cached !== undefined) return cached.length > 0;
    return this.collect(parseTopic(topic, this.syntax), undefined);
  }

  /** Removes every pair. */
  clear(): void {
    this.root.children = undefined;
    this.root.one = undefined;
    this.root.exact = undefined;
    this.root.rest = undefined;
    this.pairs = 0;
    this.nodes = 1;
    this.invalidate();
  }

  /** Iterates over the stored `(pattern, value)` pairs, depth first. */
  *entries(): IterableIterator<[pattern: string, value: V]> {
    const { separator, singleLevelWildcard, multiLevelWildcard } = this.syntax;
    const stack: { node: TrieNode<V>; path: string | undefined }[] = [{ node: this.root, path: undefined }];
    for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
      const { node, path } = item;
      const join = (level: string) => (path === undefined ? level : path + separator + level);
      if (node.exact !== undefined && path !== undefined) {
        for (const value of node.exact.toArray()) yield [path, value];
      }
      if (node.rest !== undefined) {
        const pattern = join(multiLevelWildcard);
        for (const value of node.rest.toArray()) yield [pattern, value];
      }
      if (node.one !== undefined) stack.push({ node: node.one, path: join(singleLevelWildcard) });
      if (node.children !== undefined) {
        for (const [level, child] of node.children) stack.push({ node: child, path: join(level) });
      }
    }
  }

  /** Same as {@link TopicTrie.entries}. */
  [Symbol.iterator](): IterableIterator<[pattern: string, value: V]> {
    return this.entries();
  }

  private invalidate(): void {
    if (this.cache.size > 0) {
      this.cache.clear();
      this.ring = [];
      this.ringNext = 0;
      // A fresh cache misses for a while; that says nothing about how topics repeat.
      this.windowLookups = 0;
      this.windowHits = 0;
      this.admitMask = 0;
    }
  }

  /** Caches `values` for `topic`, evicting the oldest entry once the cache is full. */
  private remember(topic: string, values: V[]): void {
    const ring = this.ring;
    if (ring.length < this.cacheSize) {
      ring.push(topic);
    } else {
      this.cache.delete(ring[this.ringNext]);
      ring[this.ringNext] = topic;
      if (++this.ringNext === ring.length) this.ringNext = 0;
    }
    this.cache.set(topic, values);
  }

  /** Ends a window of lookups: throttle admission if few of them hit. */
  private adapt(): void {
    this.admitMask = this.windowHits * 8 < this.windowLookups ? THROTTLED_ADMISSION : 0;
    this.windowLookups = 0;
    this.windowHits = 0;
  }

  /**
   * Walks the trie with an explicit stack. Each node is visited at most once per topic (a
   * node stands for one pattern prefix, which can only line up with the topic's levels at
   * its own depth), so no value is collected twice. Without `out` it stops at the first match.
   */
  private collect(levels: string[], out: V[] | undefined): boolean {
    const nodes = this.stackNodes;
    const depths = this.stackDepths;
    const count = levels.length;
    // MQTT: wildcards at the first level do not reach `$`-topics.
    const dollar = levels[0].charCodeAt(0) === 36;
    let found = false;
    nodes[0] = this.root;
    depths[0] = 0;
    let top = 1;
    while (top > 0) {
      top--;
      const node = nodes[top] as TrieNode<V>;
      nodes[top] = undefined; // do not keep pruned nodes alive
      const depth = depths[top];
      const shielded = dollar && depth === 0;
      if (node.rest !== undefined && !shielded) {
        found = true;
        if (out === undefined) break;
        node.rest.appendTo(out);
      }
      if (depth === count) {
        if (node.exact !== undefined) {
          found = true;
          if (out === undefined) break;
          node.exact.appendTo(out);
        }
        continue;
      }
      if (node.children !== undefined) {
        const child = node.children.get(levels[depth]);
        if (child !== undefined) {
          nodes[top] = child;
          depths[top] = depth + 1;
          top++;
        }
      }
      if (node.one !== undefined && !shielded) {
        nodes[top] = node.one;
        depths[top] = depth + 1;
        top++;
      }
    }
    while (top > 0) nodes[--top] = undefined;
    return found;
  }
}
