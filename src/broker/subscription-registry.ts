/**
 * Who is subscribed to what: the broker's subscriptions filed by pattern in a topic trie,
 * its queue groups and weakly held owners, how a subscription ends, and the snapshot of
 * subscribers a publish on a topic reaches.
 *
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import type { BrokerEvents, SubscribeOptions } from './broker-options.js';
import type { DeliverySink, DeliveryTarget } from './delivery.js';
import { QueueGroup } from './queue-group.js';
import { SnapshotCache, type Snapshot } from './snapshot-cache.js';
import { SubscriptionRecord, type Handler, type UnsubscribeReason } from './subscription.js';
import { ClosedError, type SlowConsumerError } from '../errors.js';
import { parsePattern, type TopicOptions, type TopicSyntax } from '../topics/topic.js';
import { TopicTrie } from '../topics/topic-trie.js';

/** All subscriptions that share one pattern, in subscription order. */
interface PatternEntry<T> {
  readonly pattern: string;
  readonly subscriptions: Set<SubscriptionRecord<T>>;
}

/** @internal What a publish on one topic reaches (see {@link Snapshot}). */
export type TopicSnapshot<T> = Snapshot<SubscriptionRecord<T>, DeliveryTarget<T>, Handler<T>>;

/** The snapshot of a topic nobody listens to; shared, never mutated. */
const NO_TARGETS: Snapshot<never> = { targets: [], sinks: undefined, length: 0, plain: true, handlers: [], liveAt: -1 };

const byId = <T>(a: SubscriptionRecord<T>, b: SubscriptionRecord<T>): number => a.id - b.id;

const noop = (): undefined => undefined;

/** The key a queue group is filed under: its name and its pattern (one name on two patterns is two groups). */
const groupKey = (name: string, pattern: string): string => `${name}\u0000${pattern}`;

/**
 * The broker's subscriptions. A queue group is filed as one hidden representative record
 * whose `dispatcher` picks the member for each message, so the trie and the snapshots see a
 * group as one subscriber.
 *
 * The first of the layers `PubSubBroker` is built from (registry, then {@link DeliveryLedger},
 * then {@link FanOut}, then the public class): one object at run time, because the publish
 * path reads state of every layer (the snapshot cache and `endings` here, the ledger's
 * counters, the fan-out's nesting budget) and each further object it goes through costs V8 a
 * map check and a load per publish. Measured (fan-out bench, 4 rounds each, alternating with
 * 0.2 in the same minutes): with the layers in a second object held in a `#private` field of
 * the broker, a publish to one subscriber went from 1.13× to 1.04× of eventemitter3; as one
 * object it is 1.16× (0.2: 1.12×). `#private` fields cannot be shared between layers, so
 * their members are TypeScript `protected` and marked internal, which strips them from the
 * published types and documentation (as the single class's `private` members were hidden).
 * The class itself is not marked: the published `PubSubBroker` type extends it. Not exported
 * from the package.
 */
export abstract class SubscriptionRegistry<T> extends EventEmitter<BrokerEvents<T>> {
  /**
   * @internal Subscriptions ended so far (any reason). A plain delivery loop checks each
   * target's liveness only once this has moved past its snapshot's `liveAt`.
   */
  protected endings = 0;
  /** @internal Live subscriptions (group members counted, representatives not). */
  protected subscriptionCount = 0;
  /** @internal Set by `close()`: no more subscriptions or publishes. */
  protected isClosed = false;
  /** @internal Topic → the snapshot a publish on it reaches. */
  protected readonly snapshots: SnapshotCache<SubscriptionRecord<T>, DeliveryTarget<T>, Handler<T>>;
  private readonly trie: TopicTrie<PatternEntry<T>>;
  private readonly entries = new Map<string, PatternEntry<T>>();
  private readonly groups = new Map<string, QueueGroup<SubscriptionRecord<T>>>();
  private readonly owners = new FinalizationRegistry<SubscriptionRecord<T>>((sub) => this.end(sub, 'owner-collected'));
  private readonly endHook = (sub: SubscriptionRecord<T>, reason: UnsubscribeReason): void => this.end(sub, reason);
  private nextId = 1;

  /**
   * @internal
   * @throws RangeError, TypeError for a bad topic syntax.
   */
  constructor(options: TopicOptions, cacheSize: number) {
    super();
    this.trie = new TopicTrie<PatternEntry<T>>({ syntax: options.syntax, maxLevels: options.maxLevels, maxLength: options.maxLength, cacheSize: 0 });
    this.snapshots = new SnapshotCache(cacheSize, this.trie.syntax);
  }

  /** @internal The topic syntax patterns and topics are parsed with. */
  protected get topicSyntax(): Readonly<TopicSyntax> {
    return this.trie.syntax;
  }

  /** @internal Distinct live patterns. */
  protected get patternCount(): number {
    return this.entries.size;
  }

  /** @internal The subscribers a publish on `topic` reaches now (cached). */
  protected snapshot(topic: string): TopicSnapshot<T> {
    return this.snapshots.get(topic) ?? this.resolve(topic);
  }

  /**
   * Validates the pattern, creates the record, lets `attach` give it a sink, then files,
   * arms (signal, owner) and announces it. With an already aborted signal the record is
   * returned ended and nothing else happens, like `addEventListener` with one.
   *
   * @internal
   * @throws {@link ClosedError} after close; {@link TopicError} when the pattern is invalid;
   * whatever `attach` throws.
   */
  protected register(
    pattern: string,
    handler: Handler<T>,
    options: SubscribeOptions<T>,
    attach: (sub: SubscriptionRecord<T>) => void,
  ): SubscriptionRecord<T> {
    if (this.isClosed) throw new ClosedError('PubSubBroker', 'subscribe');
    parsePattern(pattern, this.trie.syntax);
    const sub = new SubscriptionRecord<T>(this.nextId++, pattern, handler, this.endHook);
    const { signal, owner, group } = options;
    if (signal?.aborted) {
      sub.live = false;
      return sub;
    }
    attach(sub);
    if (sub.sink !== undefined) sub.direct = false;
    if (group === undefined) this.file(sub);
    else this.join(sub, group);
    this.subscriptionCount++;
    if (signal !== undefined) {
      const onAbort = (): void => this.end(sub, 'abort');
      signal.addEventListener('abort', onAbort, { once: true });
      sub.detach = () => signal.removeEventListener('abort', onAbort);
    }
    if (owner !== undefined) {
      sub.ownerRef = new WeakRef(owner);
      this.owners.register(owner, sub, sub);
    }
    this.emit('subscribe', sub);
    return sub;
  }

  /**
   * @internal Ends a subscription (once): out of the trie or its group, its sink closed (what it held
   * dropped and counted), its signal and owner let go, then announced.
   */
  protected end(sub: SubscriptionRecord<T>, reason: UnsubscribeReason, error?: SlowConsumerError): void {
    if (!sub.live) return;
    sub.live = false;
    this.endings++;
    const group = sub.membership;
    if (group === undefined) {
      if (this.entries.get(sub.pattern)?.subscriptions.has(sub) === true) this.subscriptionCount--;
      this.unfile(sub);
    } else if (group.remove(sub)) {
      this.subscriptionCount--;
      if (group.size === 0) {
        this.groups.delete(group.key);
        group.representative.live = false;
        this.unfile(group.representative);
      }
    }
    sub.sink?.close(error);
    sub.detach?.();
    sub.detach = undefined;
    if (sub.ownerRef !== undefined) {
      this.owners.unregister(sub);
      sub.ownerRef = undefined;
    }
    this.emit('unsubscribe', sub, reason);
  }

  /** @internal Ends every live subscription. */
  protected endAll(reason: UnsubscribeReason): void {
    for (const sub of this.records()) this.end(sub, reason);
  }

  /** @internal The live subscriptions (group members, not representatives), in order of their patterns' first use. */
  protected *records(): IterableIterator<SubscriptionRecord<T>> {
    // Copies: a consumer of this iterator may end what it is given.
    for (const entry of [...this.entries.values()]) {
      for (const sub of [...entry.subscriptions]) {
        if (sub.dispatcher === undefined) {
          if (sub.live) yield sub;
        } else {
          for (const member of [...sub.dispatcher.members]) if (member.live) yield member;
        }
      }
    }
  }

  /** @internal The record that stands for queue group `name` on `pattern`, while it has members. */
  protected groupRepresentative(name: string, pattern: string): SubscriptionRecord<T> | undefined {
    return this.groups.get(groupKey(name, pattern))?.representative;
  }

  /** Adds a member to its queue group, filing the group's representative on first use. */
  private join(sub: SubscriptionRecord<T>, name: string): void {
    const key = groupKey(name, sub.pattern);
    let group = this.groups.get(key);
    if (group === undefined) {
      const representative = new SubscriptionRecord<T>(this.nextId++, sub.pattern, noop, this.endHook);
      group = new QueueGroup(name, key, representative);
      representative.dispatcher = group;
      representative.direct = false;
      this.groups.set(key, group);
      this.file(representative);
    }
    group.add(sub);
    sub.membership = group;
  }

  /** Puts a subscription (or a group's representative) into the trie under its pattern. */
  private file(sub: SubscriptionRecord<T>): void {
    let entry = this.entries.get(sub.pattern);
    if (entry === undefined) {
      entry = { pattern: sub.pattern, subscriptions: new Set() };
      this.trie.add(sub.pattern, entry);
      this.entries.set(sub.pattern, entry);
    }
    entry.subscriptions.add(sub);
    this.snapshots.invalidate(sub.pattern);
  }

  /** Takes a subscription (or a group's representative) out of the trie. */
  private unfile(sub: SubscriptionRecord<T>): void {
    const entry = this.entries.get(sub.pattern);
    if (entry === undefined || !entry.subscriptions.delete(sub)) return;
    if (entry.subscriptions.size === 0) {
      this.entries.delete(sub.pattern);
      this.trie.remove(sub.pattern, entry);
    }
    // Snapshots already handed to running publishes stay valid: they are never mutated.
    this.snapshots.invalidate(sub.pattern);
  }

  /** @internal Builds (and caches) the snapshot of `topic`, deciding once what the delivery loops need. */
  protected resolve(topic: string): TopicSnapshot<T> {
    // Never mutated here: the trie may hand back its shared empty result.
    const entries = this.trie.matchShared(topic);
    let snapshot: TopicSnapshot<T>;
    if (entries.length === 0) {
      snapshot = NO_TARGETS;
    } else {
      let targets: SubscriptionRecord<T>[];
      if (entries.length === 1) {
        targets = Array.from(entries[0].subscriptions);
      } else {
        targets = [];
        for (const entry of entries) for (const sub of entry.subscriptions) targets.push(sub);
        targets.sort(byId);
      }
      let plain = true;
      let queued = true;
      let live = true;
      for (const sub of targets) {
        if (!sub.direct || sub.ownerRef !== undefined) plain = false;
        if (sub.sink === undefined || sub.dispatcher !== undefined || sub.ownerRef !== undefined) queued = false;
        if (!sub.live) live = false;
      }
      const sinks = queued ? targets.map((sub) => (sub.sink as DeliverySink<T>).pushTarget) : undefined;
      const handlers = plain ? targets.map((sub) => sub.handler) : undefined;
      snapshot = { targets, sinks, length: targets.length, plain, handlers, liveAt: live ? this.endings : -1 };
    }
    this.snapshots.set(topic, snapshot);
    return snapshot;
  }
}
