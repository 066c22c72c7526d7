/**
 * The typed publish/subscribe broker.
 *
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import type { DropReason } from '../flow/bounded-queue.js';
import type { BrokerObserver } from './broker-observer.js';
import type { Delivery, SubscriptionQueueOptions } from './delivery.js';
import { createDeliveryQueue } from './delivery-queue.js';
import { BrokerClosedError, reportError } from '../errors.js';
import { MessageStream } from './message-stream.js';
import { QueueGroup } from './queue-group.js';
import { QueuedConsumer, type ConsumerHost } from './queued-consumer.js';
import { SnapshotCache } from './snapshot-cache.js';
import type { SlowConsumerError } from '../flow/slow-consumer-error.js';
import { Subscription, type Handler, type UnsubscribeReason } from './subscription.js';
import { parsePattern, type TopicOptions, type TopicSyntax } from '../topics/topic.js';
import { TopicTrie } from '../topics/topic-trie.js';

/** Options of {@link PubSubBroker}. */
export interface BrokerOptions extends TopicOptions {
  /**
   * How deep publishes may nest (a handler that publishes, whose handler publishes, …)
   * before the innermost one is refused with a `RangeError` reported as an `'error'` event.
   * Minimum: 1.
   * @default 32
   */
  maxPublishDepth?: number;
  /**
   * The ceiling, in topics, of the cache of resolved subscriber lists; `0` turns it off. The
   * cache sizes itself to the stream below this ceiling (off while topics do not repeat) and
   * a subscribe or unsubscribe drops only the topics its pattern matches; see
   * {@link TopicTrieOptions.cacheSize} for the policy and the memory bound. Minimum: 0.
   * @default 16384
   */
  cacheSize?: number;
}

/** Options of {@link PubSubBroker.subscribe}. */
export interface SubscribeOptions<T = unknown> {
  /** Ends the subscription when aborted. An already aborted signal returns an ended subscription. */
  signal?: AbortSignal;
  /**
   * Ties the subscription's life to an object that the broker holds only weakly: once the
   * owner is garbage-collected the subscription ends (reason `'owner-collected'`). The handler
   * must not capture the owner, or it will never be collected.
   */
  owner?: object;
  /**
   * Puts a bounded queue in front of the handler: `publish` only enqueues, and the queue is
   * drained asynchronously (an async handler is awaited, `concurrency` at a time), so a slow
   * handler fills its own queue and never delays the others. When the queue is full its
   * `policy` drops messages (counted, `'drop'` events) or, under `'disconnect'`, ends the
   * subscription (reason `'slow-consumer'`) with a {@link SlowConsumerError} reported as
   * `'error'`. `true` takes every default (1000 / 100 items, `'drop-newest'`).
   * @default no queue: the handler is called synchronously from `publish`
   */
  queue?: SubscriptionQueueOptions<T> | boolean;
  /**
   * Joins a queue group: every message on the pattern goes to ONE member of the group with
   * this name and the same pattern, the one with the fewest pending messages (ties in
   * round-robin order). Members may have their own `queue`.
   * @default no group: every subscription gets every message
   */
  group?: string;
}

/** Options of {@link PubSubBroker.stream}: its queue, and a signal that ends it. */
export interface StreamOptions<T> extends SubscriptionQueueOptions<T> {
  /** Ends the stream when aborted (the loop then finishes normally). */
  signal?: AbortSignal;
}

/** Options of {@link PubSubBroker.publishAsync}. */
export interface PublishAsyncOptions {
  /**
   * Subscribers served between two yields to the event loop. Minimum: 1.
   * @default 100
   */
  chunkSize?: number;
}

/** Counters of a {@link PubSubBroker}; see {@link PubSubBroker.stats}. */
export interface BrokerStats {
  /** Live subscriptions. */
  subscriptions: number;
  /** Distinct live patterns. */
  patterns: number;
  /** Calls to `publish` that were accepted (not refused for depth). */
  published: number;
  /** Handler calls made (a handler that threw still counts as delivered to). */
  delivered: number;
  /** Handler throws and rejections, plus publishes refused for depth, plus slow consumers. */
  errors: number;
  /** Messages dropped by subscriber queues, for every reason. */
  dropped: number;
  /** Messages waiting in subscriber queues now. */
  pending: number;
}

/** Event signatures of {@link PubSubBroker}. */
export interface BrokerEvents<T> {
  /** A subscription was created. */
  subscribe: [subscription: Subscription<T>];
  /** A subscription ended, with the reason. */
  unsubscribe: [subscription: Subscription<T>, reason: UnsubscribeReason];
  /**
   * A handler threw or rejected (`subscription` is the one whose handler failed), or a nested
   * publish was refused for depth (`subscription` is `undefined`).
   */
  error: [error: unknown, topic: string, subscription: Subscription<T> | undefined];
  /** A subscriber's queue dropped `count` messages, and why. */
  drop: [subscription: Subscription<T>, count: number, reason: DropReason];
}

/** All subscriptions that share one pattern, in subscription order. */
interface PatternEntry<T> {
  readonly pattern: string;
  readonly subscriptions: Set<Subscription<T>>;
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const noop = (): undefined => undefined;

/** The snapshot of a topic nobody listens to; shared, never mutated. */
const NO_TARGETS: never[] = [];

const byId = <T>(a: Subscription<T>, b: Subscription<T>): number => a.id - b.id;

/**
 * A typed publish/subscribe broker over MQTT-style topics.
 *
 * Handlers run synchronously, in subscription order, over a snapshot taken when `publish`
 * is called: a subscription made during a publish does not get that message, and one ended
 * during a publish gets nothing after it ended. A handler that throws never stops the others
 * and never throws out of `publish`: the error is emitted as `'error'` and counted. Handlers
 * may publish, subscribe and unsubscribe (themselves included).
 *
 * @typeParam T - the message type.
 * @example
 * ```ts
 * const broker = new PubSubBroker<{ level: string; message: string }>();
 * const sub = broker.subscribe('logs/payments/*', (entry, topic) => console.log(topic, entry.message));
 * broker.publish('logs/payments/ERROR', { level: 'ERROR', message: 'card declined' }); // 1
 * sub.unsubscribe();
 * ```
 */
export class PubSubBroker<T> extends EventEmitter<BrokerEvents<T>> implements Disposable {
  private readonly trie: TopicTrie<PatternEntry<T>>;
  private readonly entries = new Map<string, PatternEntry<T>>();
  private readonly groups = new Map<string, QueueGroup<T>>();
  private readonly snapshots: SnapshotCache<Subscription<T>>;
  private readonly maxDepth: number;
  private readonly owners = new FinalizationRegistry<Subscription<T>>((sub) => this.end(sub, 'owner-collected'));
  private readonly endHook = (sub: Subscription<T>, reason: UnsubscribeReason): void => this.end(sub, reason);
  private nextId = 1;
  private depth = 0;
  private closed = false;
  private count = 0;
  private published = 0;
  private delivered = 0;
  private errors = 0;
  private dropped = 0;
  private observer: BrokerObserver<T> | undefined = undefined;
  /** Deliveries until the next timed one, while an observer samples. */
  private countdown = 1;
  private sampleEvery = 1;

  /**
   * @throws RangeError when an option is out of range.
   */
  constructor(options: BrokerOptions = {}) {
    super();
    this.trie = new TopicTrie<PatternEntry<T>>({ ...options, cacheSize: 0 });
    const cacheSize = options.cacheSize ?? 16_384;
    if (!Number.isSafeInteger(cacheSize) || cacheSize < 0) {
      throw new RangeError(`cacheSize must be an integer >= 0 (got ${String(cacheSize)})`);
    }
    const maxDepth = options.maxPublishDepth ?? 32;
    if (!Number.isSafeInteger(maxDepth) || maxDepth < 1) {
      throw new RangeError(`maxPublishDepth must be an integer >= 1 (got ${String(maxDepth)})`);
    }
    this.snapshots = new SnapshotCache(cacheSize, this.trie.syntax);
    this.maxDepth = maxDepth;
  }

  /**
   * The topic syntax (separator, wildcards, limits) this broker parses topics and patterns
   * with. Adapters such as the Redis bridges read it from here, so there is one place to set it.
   */
  get syntax(): Readonly<TopicSyntax> {
    return this.trie.syntax;
  }

  /** Whether {@link PubSubBroker.close} has been called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Calls `handler(message, topic)` for every message published on a topic that matches
   * `pattern`: synchronously from `publish` by default, or through a bounded queue with the
   * `queue` option; with `group`, only for the messages the group hands to this member.
   *
   * @throws {@link TopicError} when the pattern is invalid (nothing changes).
   * @throws TypeError when `handler` is not a function or `group` is not a non-empty string.
   * @throws RangeError when a queue option is out of range.
   * @throws {@link BrokerClosedError} after `close()`.
   */
  subscribe(pattern: string, handler: Handler<T>, options: SubscribeOptions<T> = {}): Subscription<T> {
    if (typeof handler !== 'function') {
      throw new TypeError(`handler must be a function (got ${typeof handler})`);
    }
    const { queue, group } = options;
    if (group !== undefined && (typeof group !== 'string' || group.length === 0)) {
      throw new TypeError(`group must be a non-empty string (got ${JSON.stringify(group)})`);
    }
    return this.register(pattern, handler, options, (sub, host) => {
      if (queue === undefined || queue === false) return;
      const settings = queue === true ? {} : queue;
      const concurrency = settings.concurrency ?? 1;
      if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
        throw new RangeError(`queue.concurrency must be an integer >= 1 (got ${String(concurrency)})`);
      }
      sub.sink = new QueuedConsumer(createDeliveryQueue(settings), handler, concurrency, host);
    });
  }

  /**
   * Subscribes to `pattern` and returns the messages as an async iterator with a bounded
   * queue: `for await (const { topic, message } of broker.stream('logs/#')) …`. Messages
   * published while the loop body runs wait in the queue under its policy. Leaving the loop,
   * aborting `options.signal` or closing the broker ends the subscription.
   *
   * @throws {@link TopicError} when the pattern is invalid.
   * @throws RangeError when a queue option is out of range.
   * @throws {@link BrokerClosedError} after `close()`.
   */
  stream(pattern: string, options: StreamOptions<T> = {}): MessageStream<T> {
    let stream: MessageStream<T> | undefined;
    const { signal, ...queue } = options;
    const sub = this.register(pattern, noop, signal === undefined ? {} : { signal }, (created, host) => {
      stream = new MessageStream(created, createDeliveryQueue(queue), host);
      created.sink = stream;
    });
    // An already aborted signal gives an ended subscription and no sink: an empty stream.
    if (stream === undefined) {
      stream = new MessageStream(sub, createDeliveryQueue(queue), {
        failed: noop,
        dropped: noop,
        overflowed: noop,
        started: () => false,
        finished: noop,
      });
      stream.close();
    }
    return stream;
  }

  /**
   * Delivers `message` to every subscription whose pattern matches `topic`: calls the plain
   * handlers now, enqueues for queued ones, and hands it to one member of each queue group.
   *
   * @returns how many subscribers took it (handlers called plus messages enqueued; a message
   * its queue's policy refused is not counted).
   * @throws {@link TopicError} when the topic is invalid.
   * @throws {@link BrokerClosedError} after `close()`.
   */
  publish(topic: string, message: T): number {
    if (this.closed) throw new BrokerClosedError('publish');
    const targets = this.snapshots.get(topic) ?? this.resolve(topic);
    if (this.depth >= this.maxDepth) {
      this.refuseDepth(topic);
      return 0;
    }
    const publishId = ++this.published;
    if (targets.length === 0) return 0;
    return this.deliver(targets, 0, targets.length, topic, message, publishId);
  }

  /**
   * Like {@link PubSubBroker.publish}, for very large subscriber lists: delivers in chunks of
   * `chunkSize` subscribers and yields to the event loop between chunks, so timers and I/O
   * keep running. The subscriber list is the one matching when it is called; subscriptions
   * that end meanwhile get nothing more.
   *
   * @returns a promise of how many subscribers took the message. It rejects with
   * {@link TopicError}, {@link BrokerClosedError} or a `RangeError` for a bad `chunkSize`.
   */
  async publishAsync(topic: string, message: T, options: PublishAsyncOptions = {}): Promise<number> {
    const chunkSize = options.chunkSize ?? 100;
    if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
      throw new RangeError(`chunkSize must be an integer >= 1 (got ${String(chunkSize)})`);
    }
    if (this.closed) throw new BrokerClosedError('publish');
    const targets = this.snapshots.get(topic) ?? this.resolve(topic);
    if (this.depth >= this.maxDepth) {
      this.refuseDepth(topic);
      return 0;
    }
    const publishId = ++this.published;
    let delivered = 0;
    for (let from = 0; from < targets.length; from += chunkSize) {
      if (from > 0) await yieldToEventLoop();
      delivered += this.deliver(targets, from, Math.min(from + chunkSize, targets.length), topic, message, publishId);
    }
    return delivered;
  }

  /**
   * Attaches an observer that sees every offer, handler call, drop and failure (what
   * {@link BroadcastMetrics} uses). One at a time; `undefined` detaches. Without one the
   * publish path does no observation work at all.
   *
   * @returns the observer it replaced, if any.
   */
  observe(observer: BrokerObserver<T> | undefined): BrokerObserver<T> | undefined {
    const previous = this.observer;
    const every = observer?.sampleEvery ?? 1;
    if (!Number.isSafeInteger(every) || every < 1) {
      throw new RangeError(`observer.sampleEvery must be an integer >= 1 (got ${String(every)})`);
    }
    this.observer = observer;
    this.sampleEvery = every;
    this.countdown = 1;
    return previous;
  }

  /** The live subscriptions, in subscription order of their patterns' first use. */
  *subscriptions(): IterableIterator<Subscription<T>> {
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

  /**
   * Ends every subscription (reason `'close'`); streams finish. Later `publish` and
   * `subscribe` calls throw {@link BrokerClosedError}. Safe to call twice.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const sub of this.subscriptions()) this.end(sub, 'close');
  }

  /** Same as {@link PubSubBroker.close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** A snapshot of the broker's counters. */
  stats(): BrokerStats {
    let pending = 0;
    for (const sub of this.subscriptions()) pending += sub.pending;
    return {
      subscriptions: this.count,
      patterns: this.entries.size,
      published: this.published,
      delivered: this.delivered,
      errors: this.errors,
      dropped: this.dropped,
      pending,
    };
  }

  /** Validates, creates, attaches a sink (via `attach`), files and announces a subscription. */
  private register(
    pattern: string,
    handler: Handler<T>,
    options: SubscribeOptions<T>,
    attach: (sub: Subscription<T>, host: ConsumerHost<T>) => void,
  ): Subscription<T> {
    if (this.closed) throw new BrokerClosedError('subscribe');
    parsePattern(pattern, this.trie.syntax);
    const sub = new Subscription<T>(this.nextId++, pattern, handler, this.endHook);
    const { signal, owner, group } = options;
    if (signal?.aborted) {
      // Like addEventListener with an aborted signal: nothing is registered.
      sub.live = false;
      return sub;
    }
    attach(sub, this.hostFor(sub));
    if (sub.sink !== undefined) sub.direct = false;
    if (group === undefined) {
      this.file(sub);
    } else {
      const key = `${group}\u0000${pattern}`;
      let queueGroup = this.groups.get(key);
      if (queueGroup === undefined) {
        const representative = new Subscription<T>(this.nextId++, pattern, noop, this.endHook);
        queueGroup = new QueueGroup(group, key, representative);
        representative.dispatcher = queueGroup;
        representative.direct = false;
        this.groups.set(key, queueGroup);
        this.file(representative);
      }
      queueGroup.add(sub);
      sub.membership = queueGroup;
    }
    this.count++;
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

  /** Puts a subscription (or a group's representative) into the trie under its pattern. */
  private file(sub: Subscription<T>): void {
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
  private unfile(sub: Subscription<T>): void {
    const entry = this.entries.get(sub.pattern);
    if (entry === undefined || !entry.subscriptions.delete(sub)) return;
    if (entry.subscriptions.size === 0) {
      this.entries.delete(sub.pattern);
      this.trie.remove(sub.pattern, entry);
    }
    // Snapshots already handed to running publishes stay valid: they are never mutated.
    this.snapshots.invalidate(sub.pattern);
  }

  private hostFor(sub: Subscription<T>): ConsumerHost<T> {
    return {
      failed: (error, topic) => this.report(error, topic, sub),
      dropped: (count, reason) => {
        this.dropped += count;
        this.observer?.dropped(sub, count, reason);
        this.emit('drop', sub, count, reason);
      },
      overflowed: (error) => {
        this.end(sub, 'slow-consumer', error);
        this.report(error, sub.pattern, sub);
      },
      started: (delivery) => {
        const observer = this.observer;
        if (observer === undefined) return false;
        // Published before the observer came: no stamp to time it from.
        if (Number.isNaN(delivery.publishedAt)) {
          observer.started(sub, delivery, undefined);
          return false;
        }
        const timed = this.timeThisOne();
        observer.started(sub, delivery, timed ? performance.now() : undefined);
        return timed;
      },
      finished: (delivery) => this.observer?.finished(sub, delivery, performance.now()),
    };
  }

  /** The delivery loop shared by `publish` and `publishAsync`: targets[from, to). */
  private deliver(
    targets: readonly Subscription<T>[],
    from: number,
    to: number,
    topic: string,
    message: T,
    publishId: number,
  ): number {
    if (this.observer !== undefined) {
      return this.deliverObserved(this.observer, targets, from, to, topic, message, publishId);
    }
    let delivered = 0;
    let delivery: Delivery<T> | undefined;
    this.depth++;
    try {
      for (let i = from; i < to; i++) {
        const sub = targets[i];
        // Checked per call, not per snapshot: an earlier handler may have ended this one.
        if (!sub.live) continue;
        if (sub.ownerRef !== undefined && sub.ownerRef.deref() === undefined) {
          this.end(sub, 'owner-collected');
          continue;
        }
        if (sub.direct) {
          delivered++;
          this.call(sub, message, topic);
          continue;
        }
        // One Delivery per publish, shared by every queued subscriber. Unobserved, it is
        // not stamped: a clock read per publish is a cost only metrics should pay.
        delivery ??= { topic, message, publishedAt: Number.NaN };
        if (this.deliverIndirect(sub, delivery)) delivered++;
      }
    } finally {
      this.depth--;
      this.delivered += delivered;
    }
    return delivered;
  }

  /** The delivery loop while an observer is attached: same semantics, plus timings. */
  private deliverObserved(
    observer: BrokerObserver<T>,
    targets: readonly Subscription<T>[],
    from: number,
    to: number,
    topic: string,
    message: T,
    publishId: number,
  ): number {
    let delivered = 0;
    const delivery: Delivery<T> = { topic, message, publishedAt: performance.now() };
    this.depth++;
    try {
      for (let i = from; i < to; i++) {
        const sub = targets[i];
        if (!sub.live) continue;
        if (sub.ownerRef !== undefined && sub.ownerRef.deref() === undefined) {
          this.end(sub, 'owner-collected');
          continue;
        }
        observer.offered(sub, topic, message, publishId);
        if (sub.direct) {
          delivered++;
          this.callObserved(observer, sub, delivery);
          continue;
        }
        if (this.deliverIndirect(sub, delivery)) delivered++;
      }
    } finally {
      this.depth--;
      this.delivered += delivered;
    }
    return delivered;
  }

  /** Whether this delivery is one of the `sampleEvery` the observer times. */
  private timeThisOne(): boolean {
    if (--this.countdown > 0) return false;
    this.countdown = this.sampleEvery;
    return true;
  }

  private callObserved(observer: BrokerObserver<T>, sub: Subscription<T>, delivery: Delivery<T>): void {
    if (!this.timeThisOne()) {
      // Counted, not timed: no clock reads.
      observer.started(sub, delivery, undefined);
      this.call(sub, delivery.message, delivery.topic);
      return;
    }
    observer.started(sub, delivery, performance.now());
    try {
      const result = sub.handler(delivery.message, delivery.topic);
      if (result !== undefined && isThenable(result)) {
        result.then(
          () => observer.finished(sub, delivery, performance.now()),
          (error: unknown) => {
            this.report(error, delivery.topic, sub);
            observer.finished(sub, delivery, performance.now());
          },
        );
        return;
      }
    } catch (error) {
      this.report(error, delivery.topic, sub);
    }
    observer.finished(sub, delivery, performance.now());
  }

  /** Delivers through a queue, or to one member of a queue group. */
  private deliverIndirect(sub: Subscription<T>, delivery: Delivery<T>): boolean {
    let target: Subscription<T> | undefined = sub;
    const group = sub.dispatcher;
    if (group !== undefined) {
      target = group.pick();
      while (target !== undefined && target.ownerRef !== undefined && target.ownerRef.deref() === undefined) {
        this.end(target, 'owner-collected');
        target = group.pick();
      }
      if (target === undefined) return false;
    }
    const sink = target.sink;
    if (sink !== undefined) return sink.push(delivery);
    const observer = this.observer;
    if (observer === undefined) this.call(target, delivery.message, delivery.topic);
    else this.callObserved(observer, target, delivery);
    return true;
  }

  private call(sub: Subscription<T>, message: T, topic: string): void {
    try {
      const result = sub.handler(message, topic);
      if (result !== undefined && isThenable(result)) {
        result.then(undefined, (error: unknown) => this.report(error, topic, sub));
      }
    } catch (error) {
      this.report(error, topic, sub);
    }
  }

  private resolve(topic: string): readonly Subscription<T>[] {
    const entries = this.trie.match(topic);
    let targets: Subscription<T>[];
    if (entries.length === 0) {
      targets = NO_TARGETS;
    } else if (entries.length === 1) {
      targets = Array.from(entries[0].subscriptions);
    } else {
      targets = [];
      for (const entry of entries) for (const sub of entry.subscriptions) targets.push(sub);
      targets.sort(byId);
    }
    this.snapshots.set(topic, targets);
    return targets;
  }

  private end(sub: Subscription<T>, reason: UnsubscribeReason, error?: SlowConsumerError): void {
    if (!sub.live) return;
    sub.live = false;
    const group = sub.membership;
    if (group === undefined) {
      if (this.entries.get(sub.pattern)?.subscriptions.has(sub) === true) this.count--;
      this.unfile(sub);
    } else if (group.remove(sub)) {
      this.count--;
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

  private refuseDepth(topic: string): void {
    this.report(
      new RangeError(`publish nested deeper than maxPublishDepth (${this.maxDepth}) on topic ${JSON.stringify(topic)}`),
      topic,
      undefined,
    );
  }

  private report(error: unknown, topic: string, sub: Subscription<T> | undefined): void {
    this.errors++;
    this.observer?.failed(sub, topic, error);
    reportError(this, 'PubSubBroker', error, topic, sub);
  }
}
