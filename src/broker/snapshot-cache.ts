/**
 * The broker's cache of subscriber snapshots per published topic.
 *
 * @module
 */
import { TopicCache } from '../topics/topic-cache.js';
import { parsePattern, type TopicSyntax } from '../topics/topic.js';

/**
 * Topic → the subscriptions a publish on it reaches, in delivery order. Snapshots are never
 * mutated once made (a publish in progress keeps its own), so a cached one can be handed to
 * every publish on its topic until a subscription change on a matching pattern drops it.
 *
 * Built on the adaptive {@link TopicCache} (off while topics do not repeat, sized to the hot
 * set, invalidated per pattern), plus a one-entry memo of the last topic: a stream that
 * publishes the same topic string again and again skips even the hash lookup.
 *
 * @internal
 */
export class SnapshotCache<S> {
  private readonly cache: TopicCache<readonly S[]> | undefined;
  private lastTopic: string | undefined = undefined;
  private lastTargets: readonly S[] | undefined = undefined;
  private readonly syntax: TopicSyntax;

  /** `maxTopics` 0 turns caching off. */
  constructor(maxTopics: number, syntax: TopicSyntax) {
    this.syntax = syntax;
    this.cache = maxTopics === 0 ? undefined : new TopicCache<readonly S[]>(maxTopics, syntax);
  }

  /** The cached snapshot for `topic`, if any. */
  get(topic: string): readonly S[] | undefined {
    if (topic === this.lastTopic) return this.lastTargets;
    const cache = this.cache;
    if (cache === undefined) return undefined;
    const targets = cache.get(topic);
    if (targets !== undefined) {
      this.lastTopic = topic;
      this.lastTargets = targets;
    }
    return targets;
  }

  /**
   * Offers a freshly resolved snapshot: the cache keeps it while it is on; the memo of the
   * last topic keeps it in any case (one entry, no hashing), so a burst on one topic resolves
   * once even while the cache is off.
   */
  set(topic: string, targets: readonly S[]): void {
    const cache = this.cache;
    if (cache === undefined) return;
    if (cache.active) cache.set(topic, targets);
    this.lastTopic = topic;
    this.lastTargets = targets;
  }

  /** A subscription on `pattern` (already validated) was added or removed. */
  invalidate(pattern: string): void {
    this.lastTopic = undefined;
    this.lastTargets = undefined;
    const cache = this.cache;
    if (cache !== undefined && cache.size > 0) cache.invalidate(parsePattern(pattern, this.syntax), pattern);
  }
}
