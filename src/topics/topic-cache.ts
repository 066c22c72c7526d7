/**
 * The adaptive cache of per-topic results shared by the trie (match results) and the broker
 * (subscriber snapshots): sized to the workload, memory-bounded, off when topics do not
 * repeat, and invalidated per pattern.
 *
 * @module
 */
import { BoundedMap } from '../internal/bounded-map.js';
import { matchesLevels, type TopicSyntax } from './topic.js';

/** Most values (array elements) all cached results may reference together: 8 MiB of references. */
export const MAX_CACHED_VALUES = 1 << 20;
/** The bound a cache starts at when it switches on; it doubles up to its ceiling. */
const INITIAL_TOPICS = 1024;
/** Lookups per adaptation window while the cache is on. */
const WINDOW = 1024;
/**
 * While off, one lookup in `mask + 1` is sampled to look for repetition: 1 in 32 while some
 * samples repeat, down to 1 in 1,024 while none do (a probe step hashes the topic into a
 * large table, a few cache misses: on a stream of unique topics it must be rare).
 */
const SAMPLE_MASK = 31;
const SAMPLE_MASK_MAX = 1023;
/** Samples per verdict of the probe. */
const PROBE_WINDOW = 256;
/**
 * Least share of hits (as a right shift: 1 = one half) for the cache to be worth it. On a
 * cache larger than the CPU's, a miss that also inserts and evicts costs about as much as the
 * trie walk it would save, so fewer hits than one in two make matching slower, not faster.
 */
const MIN_HITS_SHIFT = 1;
/** Most probe windows skipped after the cache switched itself off for want of hits. */
const MAX_BACKOFF = 64;

/**
 * A cache from published topic to a result array, with a documented ceiling: at most
 * `maxTopics` topics and {@link MAX_CACHED_VALUES} array elements in all.
 *
 * It adapts to the stream. It starts on at 1,024 topics and switches off within a window
 * of lookups that hit too rarely. While off, one lookup in 32 (in 1,024 while nothing
 * repeats) is remembered in a probe (keys only, as many as the cache may hold) and when at
 * least half the samples of a window repeat, the cache switches on again. While on, every
 * window of 1,024 lookups is judged: a full cache below its ceiling doubles (once the probe
 * has shown the stream repeats, or while at least 1 lookup in 16 hits); fewer than 1 hit in 2 at full
 * size means caching costs more than it saves, so it switches off (and waits longer before
 * probing again each time this happens). A stream of unique topics therefore pays one counter
 * increment per lookup and one probe step per 1,024.
 *
 * A subscription change invalidates only the cached topics its pattern matches: a pattern
 * without wildcards removes one key; a wildcard pattern scans the cached keys once (a prefix
 * check first, then the pattern match).
 *
 * @internal
 */
export class TopicCache<R extends { readonly length: number }> {
  private map: BoundedMap<string, R> | undefined;
  /** Whether the probe showed the stream repeats at full size: then the cache may grow freely. */
  private proven = false;
  /**
   * The probe: sampled topics in two generations; when the young one holds half the
   * ceiling it becomes the old one (the previous old one is dropped whole). Cheaper than a
   * bounded map: no per-entry eviction.
   */
  private young: Set<string> | undefined = undefined;
  private old: Set<string> | undefined = undefined;
  private lookups = 0;
  private hits = 0;
  private evictionsBefore = 0;
  private sampled = 0;
  private sampleMask = SAMPLE_MASK;
  private samples = 0;
  private probeHits = 0;
  private cooldown = 0;
  private backoff = 1;

  constructor(
    private readonly maxTopics: number,
    private readonly syntax: TopicSyntax,
  ) {
    // On from the start, small: a stream that repeats (one topic to many subscribers) is
    // served from the first repeat, and a stream that does not switches it off in a window.
    this.map = this.createMap();
  }

  /** Whether results are being cached now (callers copy a result only then). */
  get active(): boolean {
    return this.map !== undefined;
  }

  /** Topics cached now. */
  get size(): number {
    return this.map === undefined ? 0 : this.map.size;
  }

  /** Topics it may hold now, below the `maxTopics` ceiling (0 while off). */
  get bound(): number {
    return this.map === undefined ? 0 : this.map.maxEntries;
  }

  /** The cached result for `topic`, counting the lookup for adaptation. */
  get(topic: string): R | undefined {
    const map = this.map;
    if (map !== undefined) {
      const found = map.get(topic);
      if (found !== undefined) this.hits++;
      if (++this.lookups === WINDOW) this.adapt(map);
      return found;
    }
    if ((++this.sampled & this.sampleMask) === 0) this.sample(topic);
    return undefined;
  }

  /** The cached result for `topic`, without counting anything. */
  peek(topic: string): R | undefined {
    return this.map?.get(topic);
  }

  /** Caches `result` for `topic` if the cache is on. The cache keeps `result`: never mutate it. */
  set(topic: string, result: R): void {
    this.map?.set(topic, result);
  }

  /**
   * Forgets every cached topic that `pattern` (split into `levels`) matches: what adding or
   * removing a subscription on it can change.
   */
  invalidate(levels: readonly string[], pattern: string): void {
    const map = this.map;
    if (map === undefined || map.size === 0) return;
    const { separator, singleLevelWildcard: one, multiLevelWildcard: many } = this.syntax;
    let literal = 0;
    while (literal < levels.length && levels[literal] !== one && levels[literal] !== many) literal++;
    if (literal === levels.length) {
      // No wildcard: the pattern matches exactly one topic, itself.
      map.delete(pattern);
      return;
    }
    const prefix = levels.slice(0, literal).join(separator);
    const syntax = this.syntax;
    map.deleteWhere((topic) => topic.startsWith(prefix) && matchesLevels(levels, topic, syntax));
  }

  /** Forgets every cached topic (the adaptive state is kept). */
  clear(): void {
    this.map?.clear();
  }

  /** Ends a window of lookups while on: grow, switch off, or carry on. */
  private adapt(map: BoundedMap<string, R>): void {
    const evicted = map.evictions - this.evictionsBefore;
    const hits = this.hits;
    const few = hits < this.lookups >> MIN_HITS_SHIFT;
    this.lookups = 0;
    this.hits = 0;
    this.evictionsBefore = map.evictions;
    // Until the cache is full, few hits only mean it is still filling. Unproven (the cache
    // started on by default), it grows only while some lookups hit.
    const full = evicted > 0 || map.size >= map.maxEntries;
    const grows = this.proven || hits * 16 >= WINDOW;
    if (full && map.maxEntries < this.maxTopics && grows) {
      map.resize(Math.min(this.maxTopics, map.maxEntries * 2));
    } else if (few && full) {
      this.map = undefined;
      this.proven = false;
      this.cooldown = this.backoff;
      this.backoff = Math.min(MAX_BACKOFF, this.backoff * 2);
    } else if (!few) {
      this.backoff = 1;
    }
  }

  private createMap(): BoundedMap<string, R> {
    return new BoundedMap<string, R>(Math.min(INITIAL_TOPICS, this.maxTopics), {
      maxWeight: MAX_CACHED_VALUES,
      weigh: (result) => result.length,
    });
  }

  /** A sampled lookup while off: does the stream repeat enough to switch the cache on? */
  private sample(topic: string): void {
    if (this.cooldown > 0) {
      if (++this.samples === PROBE_WINDOW) {
        this.samples = 0;
        this.cooldown--;
      }
      return;
    }
    // The probe remembers about as many topics as the cache could hold, so its repeat rate
    // estimates the hit rate of a cache at full size.
    let young = this.young;
    if (young === undefined) young = this.young = new Set();
    if (young.has(topic) || this.old?.has(topic) === true) {
      this.probeHits++;
      // A repeat at the coarse rate: look closely at once rather than after the window (at
      // 1 in 1,024, a window is 262,144 lookups; a hot set that follows a run of unique
      // topics would go uncached that long).
      this.sampleMask = SAMPLE_MASK;
    } else {
      young.add(topic);
      if (young.size * 2 >= this.maxTopics) {
        this.old = young;
        this.young = new Set();
      }
    }
    if (++this.samples < PROBE_WINDOW) return;
    const repeats = this.probeHits >= this.samples >> MIN_HITS_SHIFT;
    // Almost nothing repeats: look less often. Some repetition: look closely.
    this.sampleMask =
      this.probeHits < this.samples >> 4 ? Math.min(SAMPLE_MASK_MAX, this.sampleMask * 2 + 1) : SAMPLE_MASK;
    this.samples = 0;
    this.probeHits = 0;
    if (!repeats) return;
    this.young = undefined;
    this.old = undefined;
    this.map = this.createMap();
    this.proven = true;
    this.lookups = 0;
    this.hits = 0;
    this.evictionsBefore = 0;
  }
}
