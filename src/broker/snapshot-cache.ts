/**
 * The broker's cache of subscriber snapshots per published topic.
 *
 * @module
 */
import { TopicCache } from '../topics/topic-cache.js';
import { parsePattern, type TopicSyntax } from '../topics/topic.js';

/**
 * The subscriptions a publish on one topic reaches, in delivery order, plus what the broker
 * decides about them once per snapshot instead of once per delivery.
 *
 * @internal
 */
export interface Snapshot<S, K = never, H = never> {
  readonly targets: readonly S[];
  /**
   * When every target is a queued subscriber of its own (no group, no owner) when the
   * snapshot was made: their queues, parallel to `targets`, so a publish pushes to each
   * without reading the subscription (fixed while it is registered, like `plain`).
   */
  readonly sinks: readonly K[] | undefined;
  /** `targets.length` (what the cache weighs a snapshot by). */
  readonly length: number;
  /**
   * Every target is a plain handler (no queue, no group) without an owner when the snapshot
   * was made. Stays true for the snapshot's life: both are fixed while a subscription is
   * registered, before any publish can see it, and an owner is only ever dropped. (Whether
   * a target is still live can change at any time: that is checked per delivery.)
   */
  readonly plain: boolean;
  /**
   * When `plain`: the targets' handlers, parallel to `targets`, so the plain delivery loop
   * reads one array of functions instead of a field of each subscription (at 10,000
   * subscribers that one load per call was a fifth of the loop's time).
   */
  readonly handlers: readonly H[] | undefined;
  /**
   * The broker's count of ended subscriptions when every target was last known live (-1:
   * not known). While the count has not moved, no target can have ended, so the plain
   * delivery loop skips the per-target check; once it moves, every target is checked.
   */
  liveAt: number;
}

/** While the cache is off, one resolved topic in this many (a power of two) is memoised. */
const MEMO_EVERY = 16;

/**
 * Topic → the snapshot a publish on it reaches (see {@link Snapshot}). A snapshot's targets
 * are never mutated once made (a publish in progress keeps its own), so a cached one can be
 * handed to every publish on its topic until a subscription change on a matching pattern
 * drops it.
 *
 * Built on the adaptive {@link TopicCache} (off while topics do not repeat, sized to the hot
 * set, invalidated per pattern), plus a one-entry memo of the last topic: a stream that
 * publishes the same topic string again and again skips even the hash lookup.
 *
 * @internal
 */
export class SnapshotCache<S, K = never, H = never> {
  private readonly cache: TopicCache<Snapshot<S, K, H>> | undefined;
  private lastTopic: string | undefined = undefined;
  private lastSnapshot: Snapshot<S, K, H> | undefined = undefined;
  private readonly syntax: TopicSyntax;
  /** Snapshots resolved while the cache was off (see `set`). */
  private resolvedOff = 0;

  /** `maxTopics` 0 turns caching off. */
  constructor(maxTopics: number, syntax: TopicSyntax) {
    this.syntax = syntax;
    this.cache = maxTopics === 0 ? undefined : new TopicCache<Snapshot<S, K, H>>(maxTopics, syntax);
  }

  /** The cached snapshot for `topic`, if any. */
  get(topic: string): Snapshot<S, K, H> | undefined {
    const last = this.lastTopic;
    if (last !== undefined) {
      if (topic === last) return this.lastSnapshot;
      // Off means topics are not repeating: forget the memo rather than compare every topic
      // with it (two strings of one length are compared character by character).
      if (this.cache?.active !== true) this.forget();
    }
    const cache = this.cache;
    if (cache === undefined) return undefined;
    const snapshot = cache.get(topic);
    if (snapshot !== undefined) {
      this.lastTopic = topic;
      this.lastSnapshot = snapshot;
    }
    return snapshot;
  }

  /**
   * Offers a freshly resolved snapshot: the cache keeps it while it is on, and so does the
   * memo of the last topic (one entry, no hashing). While the cache is off the memo takes one
   * resolved topic in {@link MEMO_EVERY}, so a burst on one topic among unique ones still
   * resolves only a few times, and a stream of unique topics pays a string comparison once
   * per {@link MEMO_EVERY} publishes, not on every one (measured: 2–3% of a publish).
   */
  set(topic: string, snapshot: Snapshot<S, K, H>): void {
    const cache = this.cache;
    if (cache === undefined) return;
    if (cache.active) cache.set(topic, snapshot);
    else if ((++this.resolvedOff & (MEMO_EVERY - 1)) !== 0) return;
    this.lastTopic = topic;
    this.lastSnapshot = snapshot;
  }

  /** A subscription on `pattern` (already validated) was added or removed. */
  invalidate(pattern: string): void {
    this.forget();
    const cache = this.cache;
    if (cache !== undefined && cache.size > 0) cache.invalidate(parsePattern(pattern, this.syntax), pattern);
  }

  private forget(): void {
    this.lastTopic = undefined;
    this.lastSnapshot = undefined;
  }
}
