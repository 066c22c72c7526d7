/**
 * An MQTT-style hierarchical topic index.
 *
 * @module
 */
import { COUNT_FROM_0, requireNumber } from '../internal/checks.js';
import { checkOptions, optionKeys } from '../internal/options.js';
import { TOPIC_OPTION_KEYS, buildTopicSyntax, parsePattern, scanTopic, type TopicOptions, type TopicSyntax } from './topic.js';
import { TopicCache } from './topic-cache.js';
import { ValueList } from './value-list.js';

/** Options of {@link TopicTrie}: the topic syntax plus the match cache. */
export interface TopicTrieOptions extends TopicOptions {
  /**
   * The ceiling of the match cache, in topics; `0` turns it off. The cache sizes itself to
   * the stream below this ceiling: it switches off while topics do not repeat (a stream of
   * unique topics then pays a counter increment per match and a probe step per 1,024), back on
   * at 1,024 topics when at least half the sampled topics repeat, doubles while its hot set
   * does not fit, and switches off again when fewer than half its lookups hit at full size.
   * Its memory is bounded by this many topics and by 1,048,576 cached values in all (8 MiB
   * of references). Adding or removing a pair forgets only the cached topics its pattern
   * matches. Minimum: 0.
   * @default 16384
   */
  cacheSize?: number;
}

/** The keys of {@link TopicTrieOptions}, for the check of unknown keys. */
export const TOPIC_TRIE_OPTION_KEYS = /* @__PURE__ */ optionKeys<TopicTrieOptions>({ ...TOPIC_OPTION_KEYS, cacheSize: true });

/**
 * One node per distinct pattern prefix. Children are created lazily so a leaf costs one
 * small object; the `*` child and the `#` values live in their own fields so matching never
 * looks wildcards up in the map.
 */
/** A shared empty array, never mutated: the receiver of `concat` and a filler for scratch slots. */
const NONE: never[] = [];
/** What {@link TopicTrie.matchShared} returns when nothing matches: shared, so frozen. */
const NO_MATCH: readonly never[] = Object.freeze([]);

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
  private readonly cache: TopicCache<V[]> | undefined;
  // Reused traversal stacks and matched lists: matching is synchronous and never calls user
  // code, so one set per trie is safe and saves allocations per match.
  private readonly stackNodes: (TrieNode<V> | undefined)[] = [];
  private readonly stackDepths: number[] = [];
  private readonly found: V[][] = [];
  /** The levels of the topic being matched (`scanTopic` refills it; longer slots are stale). */
  private readonly levels: string[] = [];

  /**
   * @throws RangeError when an option is out of range (see {@link TopicOptions}).
   * @throws TypeError when `options` is not an object, has a key that is not an option
   *   (`ERR_UNKNOWN_OPTION`, naming the nearest one), or an option has the wrong type.
   */
  constructor(options: TopicTrieOptions = {}) {
    checkOptions('new TopicTrie', options, TOPIC_TRIE_OPTION_KEYS);
    this.syntax = buildTopicSyntax(options);
    const cacheSize = requireNumber('cacheSize', options.cacheSize ?? 16_384, COUNT_FROM_0);
    this.cache = cacheSize === 0 ? undefined : new TopicCache<V[]>(cacheSize, this.syntax);
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
        if (node.rest === undefined) {
          node.rest = new ValueList<V>(value);
          return this.added(levels, pattern);
        }
        list = node.rest;
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
        if (node.exact === undefined) {
          node.exact = new ValueList<V>(value);
          return this.added(levels, pattern);
        }
        list = node.exact;
        break;
      }
    }
    if (!list.add(value)) return false;
    return this.added(levels, pattern);
  }

  private added(levels: string[], pattern: string): true {
    this.pairs++;
    this.cache?.invalidate(levels, pattern);
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
    this.cache?.invalidate(levels, pattern);
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
    const cache = this.cache;
    if (cache === undefined) return this.matchUncached(topic);
    const cached = cache.get(topic);
    if (cached !== undefined) return cached.slice();
    const out = this.matchUncached(topic);
    if (cache.active) cache.set(topic, out.slice());
    return out;
  }

  /**
   * Like {@link TopicTrie.match} without the cache, for a caller that never mutates the
   * result (the broker): when nothing matches it returns one shared frozen empty array
   * instead of allocating one.
   *
   * @internal
   */
  matchShared(topic: string): readonly V[] {
    const found = this.found;
    const count = this.collect(topic, found);
    if (count === 0) return NO_MATCH;
    return this.copyFound(count);
  }

  /** Walks the trie, then copies the matched lists out in block copies. */
  private matchUncached(topic: string): V[] {
    const count = this.collect(topic, this.found);
    if (count === 0) return [];
    return this.copyFound(count);
  }

  /** Copies the `count` lists `collect` put into `found` into one new array. */
  private copyFound(count: number): V[] {
    const found = this.found;
    if (count === 1) {
      const out = found[0].slice();
      found[0] = NONE; // do not keep the list alive
      return out;
    }
    found.length = count;
    // One built-in concat copies every list in blocks (a push per value costs far more
    // when many subscribers share patterns).
    const out = (NONE as V[]).concat(...found);
    for (let i = 0; i < count; i++) found[i] = NONE;
    return out;
  }

  /**
   * Whether any stored pattern matches `topic`; stops at the first match.
   *
   * @throws {@link TopicError} when the topic is invalid.
   */
  hasMatch(topic: string): boolean {
    const cached = this.cache?.peek(topic);
    if (cached !== undefined) return cached.length > 0;
    return this.collect(topic, undefined) > 0;
  }

  /** Removes every pair. */
  clear(): void {
    this.root.children = undefined;
    this.root.one = undefined;
    this.root.exact = undefined;
    this.root.rest = undefined;
    this.pairs = 0;
    this.nodes = 1;
    this.cache?.clear();
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

  /**
   * Walks the trie with an explicit stack. Each node is visited at most once per topic (a
   * node stands for one pattern prefix, which can only line up with the topic's levels at
   * its own depth), so no value is collected twice. Puts the matched value arrays into
   * `out[0..count)` and returns `count`; without `out` it stops at the first match (1).
   *
   * @throws {@link TopicError} when the topic is invalid (checked before anything is walked).
   */
  private collect(topic: string, out: V[][] | undefined): number {
    const levels = this.levels;
    const count = scanTopic(topic, this.syntax, levels);
    const nodes = this.stackNodes;
    const depths = this.stackDepths;
    // MQTT: wildcards at the first level do not reach `$`-topics.
    const dollar = levels[0].charCodeAt(0) === 36;
    let found = 0;
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
        if (out === undefined) {
          found = 1;
          break;
        }
        out[found++] = node.rest.items;
      }
      if (depth === count) {
        if (node.exact !== undefined) {
          if (out === undefined) {
            found = 1;
            break;
          }
          out[found++] = node.exact.items;
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
