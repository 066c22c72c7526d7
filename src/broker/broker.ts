/**
 * The typed publish/subscribe broker.
 *
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import type { DropReason } from '../flow/bounded-queue.js';
import { ObserverSet, type BrokerObserver } from './broker-observer.js';
import type { PublishTap } from './publish-tap.js';
import type { Delivery, DeliverySink, DeliveryTarget, SubscriptionQueueOptions } from './delivery.js';
import { DrainScheduler } from './drain-scheduler.js';
import { ClosedError, ERROR_CODES, PublishLimitError, TimeoutError, reportError, type SlowConsumerError } from '../errors.js';
import { QueuedStream, type MessageStream } from './message-stream.js';
import { QueueGroup } from './queue-group.js';
import { QueuedConsumer, type ConsumerHost } from './queued-consumer.js';
import { SnapshotCache, type Snapshot } from './snapshot-cache.js';
import { SubscriptionRecord, type Handler, type Subscription, type UnsubscribeReason } from './subscription.js';
import { parsePattern, type TopicOptions, type TopicSyntax } from '../topics/topic.js';
import { TopicTrie } from '../topics/topic-trie.js';
import type { CloseOptions, DrainOptions } from '../lifecycle.js';

/** Options of {@link PubSubBroker}. */
export interface BrokerOptions extends TopicOptions {
  /**
   * How deep publishes may nest (a handler that publishes, whose handler publishes, …)
   * before the innermost one is refused; the first refusal of each top-level publish is
   * reported as a {@link PublishLimitError} (`ERR_PUBLISH_DEPTH`), all are counted in
   * `stats().refused`. Minimum: 1.
   * @default 32
   */
  maxPublishDepth?: number;
  /**
   * The budget of one top-level `publish`: how many handler calls it may cause, its own and
   * those of the publishes its handlers make, synchronously. A nested publish that would go
   * past it is refused, and the first refusal of each top-level publish is reported as a
   * {@link PublishLimitError} (`ERR_PUBLISH_WORK`). The top-level publish itself is never
   * refused. Stops handlers that re-publish what they receive from blocking the event loop
   * for minutes. Minimum: 1.
   * @default 100000
   */
  maxPublishWork?: number;
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
   *
   * Queues are drained on the next turn of the event loop, all of a broker's queued
   * subscribers in one `setImmediate`, each up to 256 handler calls per turn (the rest waits
   * for the next turn, so I/O keeps running).
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

/** Options of {@link PubSubBroker.publishChunked}. */
export interface PublishChunkedOptions {
  /**
   * Subscribers served between two yields to the event loop. Minimum: 1.
   * @default 100
   */
  chunkSize?: number;
}

/** Options of {@link PubSubBroker.nextMessage}. */
export interface NextMessageOptions {
  /** Stops waiting when aborted: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Stops waiting after this many milliseconds: the promise rejects with a {@link TimeoutError}.
   * Minimum: 0.
   * @default no limit
   */
  timeoutMs?: number;
}

/**
 * Counters of a {@link PubSubBroker}; see {@link PubSubBroker.stats}. Every message offered to
 * a subscriber ends up in exactly one of `delivered`, `errors`, `dropped` and `pending`, so
 * `offered === delivered + errors + dropped + pending` holds at any moment.
 */
export interface BrokerStats {
  /** Live subscriptions. */
  subscriptions: number;
  /** Distinct live patterns. */
  patterns: number;
  /** Calls to `publish` that were accepted. */
  published: number;
  /** Nested publishes refused by `maxPublishDepth` or `maxPublishWork`. */
  refused: number;
  /** Messages offered to a subscriber: one per matching subscription (or queue group) per publish. */
  offered: number;
  /** Handler calls that returned (or whose promise resolved), and stream reads. */
  delivered: number;
  /** Handler calls that threw or whose promise rejected. */
  errors: number;
  /** Messages dropped by subscriber queues, for every reason. */
  dropped: number;
  /** Messages accepted and not finished: waiting in queues, or being handled by an async handler. */
  pending: number;
  /** Subscriptions ended because their queue overflowed under `'disconnect'`. */
  slowConsumers: number;
}

/** Event signatures of {@link PubSubBroker}. */
export interface BrokerEvents<T> {
  /** A subscription was created. */
  subscribe: [subscription: Subscription<T>];
  /** A subscription ended, with the reason. */
  unsubscribe: [subscription: Subscription<T>, reason: UnsubscribeReason];
  /**
   * A handler threw or rejected (`subscription` is the one whose handler failed), a queue
   * overflowed under `'disconnect'` (a {@link SlowConsumerError}), a nested publish was
   * refused (a {@link PublishLimitError}, `subscription` undefined), or an observer threw.
   * Without a listener each becomes a `'LogcasterWarning'` process warning.
   */
  error: [error: unknown, topic: string, subscription: Subscription<T> | undefined];
  /** A subscriber's queue dropped `count` messages, and why. */
  drop: [subscription: Subscription<T>, count: number, reason: DropReason];
}

/** All subscriptions that share one pattern, in subscription order. */
interface PatternEntry<T> {
  readonly pattern: string;
  readonly subscriptions: Set<SubscriptionRecord<T>>;
}

/** Someone awaiting `drain()`. */
interface IdleWaiter {
  readonly resolve: () => void;
  timer: NodeJS.Timeout | undefined;
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const noop = (): undefined => undefined;

/** The snapshot of a topic nobody listens to; shared, never mutated. */
const NO_TARGETS: Snapshot<never> = { targets: [], sinks: undefined, length: 0, plain: true, liveAt: -1 };

const byId = <T>(a: SubscriptionRecord<T>, b: SubscriptionRecord<T>): number => a.id - b.id;

function checkTimeout(timeoutMs: unknown): number {
  if (timeoutMs === undefined) return Infinity;
  if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0)) {
    throw new RangeError(`timeoutMs must be a number >= 0 (got ${String(timeoutMs)})`);
  }
  return timeoutMs;
}

/**
 * A typed publish/subscribe broker over hierarchical topics.
 *
 * Handlers run synchronously, in subscription order, over a snapshot taken when `publish`
 * is called: a subscription made during a publish does not get that message, and one ended
 * during a publish gets nothing after it ended. A handler that throws never stops the others
 * and never throws out of `publish`: the error is counted and reported (see `'error'`).
 * Handlers may publish, subscribe and unsubscribe (themselves included).
 *
 * The broker is an `EventEmitter` (eventemitter3) for its own events; its `once` is the
 * emitter's. To wait for a published message use {@link PubSubBroker.nextMessage}.
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
export class PubSubBroker<T> extends EventEmitter<BrokerEvents<T>> implements Disposable, AsyncDisposable {
  private readonly trie: TopicTrie<PatternEntry<T>>;
  private readonly entries = new Map<string, PatternEntry<T>>();
  private readonly groups = new Map<string, QueueGroup<SubscriptionRecord<T>>>();
  private readonly snapshots: SnapshotCache<SubscriptionRecord<T>, DeliveryTarget<T>>;
  private readonly maxDepth: number;
  private readonly maxWork: number;
  private readonly owners = new FinalizationRegistry<SubscriptionRecord<T>>((sub) => this.end(sub, 'owner-collected'));
  private readonly endHook = (sub: SubscriptionRecord<T>, reason: UnsubscribeReason): void => this.end(sub, reason);
  private nextId = 1;
  private depth = 0;
  /**
   * Subscriptions ended so far (any reason). A plain delivery loop checks each target's
   * liveness only once this has moved past its snapshot's `liveAt`.
   */
  private endings = 0;
  /** Handler calls (matched targets) caused so far by the current top-level publish. */
  private work = 0;
  private limitReported = false;
  private isClosed = false;
  private closing: Promise<void> | undefined = undefined;
  private count = 0;
  private published = 0;
  private refused = 0;
  private offered = 0;
  private delivered = 0;
  private errors = 0;
  private dropped = 0;
  private slowConsumers = 0;
  /** Async handler calls (direct or queued) whose promise has not settled. */
  private inFlight = 0;
  private readonly idleWaiters = new Set<IdleWaiter>();
  private readonly observers: BrokerObserver<T>[] = [];
  private observer: BrokerObserver<T> | undefined = undefined;
  /** Runs the queued subscribers with work, one turn of the event loop for all of them. */
  private readonly scheduler = new DrainScheduler();
  /** The adapter that carries local publishes to other processes, if one is attached. */
  private tap: PublishTap<T> | undefined = undefined;
  /** Deliveries until the next timed one, while an observer samples. */
  private countdown = 1;
  private sampleEvery = 1;

  /**
   * @throws RangeError when an option is out of range.
   * @throws TypeError when `syntax` is neither a preset name nor an object.
   */
  constructor(options: BrokerOptions = {}) {
    super();
    this.trie = new TopicTrie<PatternEntry<T>>({ syntax: options.syntax, maxLevels: options.maxLevels, maxLength: options.maxLength, cacheSize: 0 });
    const cacheSize = options.cacheSize ?? 16_384;
    if (!Number.isSafeInteger(cacheSize) || cacheSize < 0) {
      throw new RangeError(`cacheSize must be an integer >= 0 (got ${String(cacheSize)})`);
    }
    const maxDepth = options.maxPublishDepth ?? 32;
    if (!Number.isSafeInteger(maxDepth) || maxDepth < 1) {
      throw new RangeError(`maxPublishDepth must be an integer >= 1 (got ${String(maxDepth)})`);
    }
    const maxWork = options.maxPublishWork ?? 100_000;
    if (!Number.isSafeInteger(maxWork) || maxWork < 1) {
      throw new RangeError(`maxPublishWork must be an integer >= 1 (got ${String(maxWork)})`);
    }
    this.snapshots = new SnapshotCache(cacheSize, this.trie.syntax);
    this.maxDepth = maxDepth;
    this.maxWork = maxWork;
  }

  /**
   * The topic syntax (preset, separator, wildcards, limits) this broker parses topics and
   * patterns with. Adapters such as the Redis bridges read it from here, so there is one
   * place to set it.
   */
  get syntax(): Readonly<TopicSyntax> {
    return this.trie.syntax;
  }

  /** Whether {@link PubSubBroker.close} has been called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Calls `handler(message, topic)` for every message published on a topic that matches
   * `pattern`: synchronously from `publish` by default, or through a bounded queue with the
   * `queue` option; with `group`, only for the messages the group hands to this member.
   *
   * @throws {@link TopicError} when the pattern is invalid (nothing changes).
   * @throws TypeError when `handler` is not a function, `queue` is not a boolean or an
   *   object, or `group` is not a non-empty string.
   * @throws RangeError when a queue option is out of range.
   * @throws {@link ClosedError} after `close()`.
   */
  subscribe(pattern: string, handler: Handler<T>, options: SubscribeOptions<T> = {}): Subscription<T> {
    if (typeof handler !== 'function') {
      throw new TypeError(`handler must be a function (got ${typeof handler})`);
    }
    const { queue, group } = options;
    if (group !== undefined && (typeof group !== 'string' || group.length === 0)) {
      throw new TypeError(`group must be a non-empty string (got ${JSON.stringify(group)})`);
    }
    if (queue !== undefined && typeof queue !== 'boolean' && (queue === null || typeof queue !== 'object')) {
      throw new TypeError(`queue must be true, false or an options object (got ${JSON.stringify(queue)})`);
    }
    const settings = queue === true ? {} : queue === false ? undefined : queue;
    let concurrency = 1;
    if (settings !== undefined) {
      concurrency = settings.concurrency ?? 1;
      if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
        throw new RangeError(`queue.concurrency must be an integer >= 1 (got ${String(concurrency)})`);
      }
    }
    return this.register(pattern, handler, options, (sub, host) => {
      if (settings === undefined) return;
      sub.sink = new QueuedConsumer(settings, handler, concurrency, host, this.scheduler);
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
   * @throws {@link ClosedError} after `close()`.
   */
  stream(pattern: string, options: StreamOptions<T> = {}): MessageStream<T> {
    let stream: QueuedStream<T> | undefined;
    const { signal, ...queue } = options;
    const sub = this.register(pattern, noop, signal === undefined ? {} : { signal }, (created, host) => {
      stream = new QueuedStream(created, queue, host);
      created.sink = stream;
    });
    // An already aborted signal gives an ended subscription and no sink: an empty stream.
    if (stream === undefined) {
      const ignored: ConsumerHost<T> = {
        observed: () => false,
        completed: noop,
        begin: () => false,
        awaiting: noop,
        end: noop,
        dropped: noop,
        overflowed: noop,
      };
      stream = new QueuedStream(sub, queue, ignored);
      stream.close();
    }
    return stream;
  }

  /**
   * Resolves with the next message published on a topic matching `pattern` (like
   * `events.once` for one topic pattern; named so it does not clash with the emitter's
   * `once`). The temporary subscription counts as a plain one while it waits.
   *
   * @returns a promise of `{ topic, message }`. It rejects with the signal's reason when
   * `signal` aborts, with a {@link TimeoutError} after `timeoutMs`, with a
   * {@link ClosedError} when the broker closes first, and with {@link TopicError} for an
   * invalid pattern.
   */
  nextMessage(pattern: string, options: NextMessageOptions = {}): Promise<{ topic: string; message: T }> {
    return new Promise((resolve, reject) => {
      const { signal } = options;
      const timeoutMs = checkTimeout(options.timeoutMs);
      if (signal?.aborted === true) {
        reject(signal.reason);
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      const settle = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.off('unsubscribe', onEnd);
        sub.unsubscribe();
      };
      const onAbort = (): void => {
        settle();
        reject(signal?.reason);
      };
      const onEnd = (ended: Subscription<T>, reason: UnsubscribeReason): void => {
        if (ended !== sub || reason !== 'close') return;
        settle();
        reject(new ClosedError('PubSubBroker', 'wait for a message'));
      };
      const sub = this.subscribe(pattern, (message, topic) => {
        settle();
        resolve({ topic, message });
      });
      this.on('unsubscribe', onEnd);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs !== Infinity) {
        timer = setTimeout(() => {
          settle();
          reject(new TimeoutError('nextMessage', timeoutMs, 0));
        }, timeoutMs);
      }
    });
  }

  /**
   * Delivers `message` to every subscription whose pattern matches `topic`: calls the plain
   * handlers now, enqueues for queued ones, and hands it to one member of each queue group.
   * Never throws because of a handler or an observer.
   *
   * @returns how many subscribers took it (handlers called plus messages enqueued; a message
   * its queue's policy refused is not counted).
   *
   * With a publish tap attached (a Redis bridge), the message also goes to the other
   * processes; {@link PubSubBroker.publishLocal} keeps it here.
   * @throws {@link TopicError} when the topic is invalid.
   * @throws {@link ClosedError} after `close()`.
   * @throws whatever the publish tap throws for a message it cannot carry (a bridge's codec);
   * nothing is delivered then.
   */
  publish(topic: string, message: T): number {
    return this.publishThrough(this.tap, topic, message);
  }

  /**
   * Like {@link PubSubBroker.publish}, but never handed to the publish tap: the message
   * reaches this process's subscribers only, even with a Redis bridge attached. Without a
   * tap it is the same as `publish`. (A bridge delivers what other nodes sent with it.)
   *
   * @returns how many subscribers took it.
   * @throws {@link TopicError} when the topic is invalid.
   * @throws {@link ClosedError} after `close()`.
   */
  publishLocal(topic: string, message: T): number {
    return this.publishThrough(undefined, topic, message);
  }

  /**
   * Attaches the publish tap that carries this broker's `publish` calls to other processes
   * (what a Redis bridge does), or detaches it with `undefined`. One at a time.
   *
   * @returns the tap it replaced, if any.
   * @throws TypeError when `tap` has no `tapped()` method.
   */
  setPublishTap(tap: PublishTap<T> | undefined): PublishTap<T> | undefined {
    if (tap !== undefined && typeof tap.tapped !== 'function') {
      throw new TypeError(`tap must have a tapped() method (got ${typeof tap.tapped})`);
    }
    const previous = this.tap;
    this.tap = tap;
    return previous;
  }

  /** The publish tap attached with {@link PubSubBroker.setPublishTap}, if any. */
  get publishTap(): PublishTap<T> | undefined {
    return this.tap;
  }

  /** `publish` and `publishLocal`: the tap (if any) sees the message before local delivery. */
  private publishThrough(tap: PublishTap<T> | undefined, topic: string, message: T): number {
    if (this.isClosed) throw new ClosedError('PubSubBroker', 'publish');
    const snapshot = this.snapshots.get(topic) ?? this.resolve(topic);
    const count = snapshot.length;
    if (this.depth === 0) {
      this.work = count;
      this.limitReported = false;
    } else if (this.refuseNested(topic, count)) {
      return 0;
    }
    // Before delivery: a tap that cannot carry the message (its codec throws) stops the publish.
    if (tap !== undefined) tap.tapped(topic, message);
    const publishId = ++this.published;
    if (count === 0) return 0;
    return this.deliver(snapshot, 0, count, topic, message, publishId);
  }

  /**
   * Like {@link PubSubBroker.publish}, for very large subscriber lists: delivers in chunks of
   * `chunkSize` subscribers and yields to the event loop between chunks, so timers and I/O
   * keep running. The subscriber list is the one matching when it is called; subscriptions
   * that end meanwhile get nothing more. It resolves once every chunk has been handed out,
   * not when async handlers finish: for that, `await broker.drain()`.
   *
   * @returns a promise of how many subscribers took the message. It rejects with
   * {@link TopicError}, {@link ClosedError} or a `RangeError` for a bad `chunkSize`.
   */
  async publishChunked(topic: string, message: T, options: PublishChunkedOptions = {}): Promise<number> {
    const chunkSize = options.chunkSize ?? 100;
    if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
      throw new RangeError(`chunkSize must be an integer >= 1 (got ${String(chunkSize)})`);
    }
    if (this.isClosed) throw new ClosedError('PubSubBroker', 'publish');
    const snapshot = this.snapshots.get(topic) ?? this.resolve(topic);
    const count = snapshot.length;
    if (this.depth === 0) {
      this.work = count;
      this.limitReported = false;
    } else if (this.refuseNested(topic, count)) {
      return 0;
    }
    this.tap?.tapped(topic, message);
    const publishId = ++this.published;
    let delivered = 0;
    for (let from = 0; from < count; from += chunkSize) {
      if (from > 0) await yieldToEventLoop();
      delivered += this.deliver(snapshot, from, Math.min(from + chunkSize, count), topic, message, publishId);
    }
    return delivered;
  }

  /**
   * Resolves when nothing is pending: every subscriber queue is empty (streams included: a
   * stream is empty once its loop has read everything) and every async handler has settled.
   * Publishing goes on meanwhile; what is published before it resolves is waited for too.
   *
   * @returns a promise that rejects with a {@link TimeoutError} (saying how many messages are
   * still pending) after `timeoutMs`, or a `RangeError` for a bad `timeoutMs`.
   */
  drain(options: DrainOptions = {}): Promise<void> {
    let timeoutMs: number;
    try {
      timeoutMs = checkTimeout(options.timeoutMs);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.pendingNow() === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: IdleWaiter = { resolve, timer: undefined };
      if (timeoutMs !== Infinity) {
        waiter.timer = setTimeout(() => {
          this.idleWaiters.delete(waiter);
          reject(new TimeoutError('drain', timeoutMs, this.pendingNow()));
        }, timeoutMs);
      }
      this.idleWaiters.add(waiter);
    });
  }

  /**
   * Attaches an observer that sees every offer, handler call, drop and failure (what
   * {@link BroadcastMetrics} uses). Several may watch one broker. Without any the publish
   * path does no observation work at all.
   *
   * @returns a function that detaches this observer (safe to call twice).
   * @throws RangeError when `observer.sampleEvery` is not an integer >= 1.
   */
  observe(observer: BrokerObserver<T>): () => void {
    const every = observer.sampleEvery ?? 1;
    if (!Number.isSafeInteger(every) || every < 1) {
      throw new RangeError(`observer.sampleEvery must be an integer >= 1 (got ${String(every)})`);
    }
    this.observers.push(observer);
    this.rebuildObserver();
    return () => {
      const index = this.observers.indexOf(observer);
      if (index < 0) return;
      this.observers.splice(index, 1);
      this.rebuildObserver();
    };
  }

  /** The live subscriptions, in subscription order of their patterns' first use. */
  *subscriptions(): IterableIterator<Subscription<T>> {
    yield* this.records();
  }

  /**
   * Closes the broker: later `publish` and `subscribe` calls throw {@link ClosedError} at
   * once. Without `drain`, every subscription ends now (reason `'close'`; what queues hold is
   * dropped and counted) and streams finish. With `drain: true` it first waits for
   * {@link PubSubBroker.drain}, then ends them; when that times out it ends them anyway and
   * rejects with the {@link TimeoutError}. Calling it again returns the first call's promise.
   */
  close(options: CloseOptions = {}): Promise<void> {
    if (this.isClosed) return this.closing ?? Promise.resolve();
    const drain = options.drain ?? false;
    if (typeof drain !== 'boolean') throw new TypeError(`drain must be a boolean (got ${String(drain)})`);
    const waited = drain ? this.drain({ ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }) }) : undefined;
    this.isClosed = true;
    if (waited === undefined) {
      this.endAll();
      this.closing = Promise.resolve();
    } else {
      this.closing = waited.finally(() => this.endAll());
    }
    return this.closing;
  }

  /** `close()` without draining; lets `using` close the broker. */
  [Symbol.dispose](): void {
    void this.close();
  }

  /** `close({ drain: true })`; lets `await using` close the broker. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close({ drain: true });
  }

  /** A snapshot of the broker's counters. */
  stats(): BrokerStats {
    return {
      subscriptions: this.count,
      patterns: this.entries.size,
      published: this.published,
      refused: this.refused,
      offered: this.offered,
      delivered: this.delivered,
      errors: this.errors,
      dropped: this.dropped,
      pending: this.pendingNow(),
      slowConsumers: this.slowConsumers,
    };
  }

  private *records(): IterableIterator<SubscriptionRecord<T>> {
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

  private endAll(): void {
    for (const sub of this.records()) this.end(sub, 'close');
  }

  /** Messages in live queues plus async handler calls in flight. */
  private pendingNow(): number {
    let pending = this.inFlight;
    for (const sub of this.records()) if (sub.sink !== undefined) pending += sub.sink.queued;
    return pending;
  }

  /** Resolves the `drain()` waiters once nothing is pending. Called on progress while someone waits. */
  private checkIdle(): void {
    if (this.pendingNow() > 0) return;
    const waiters = [...this.idleWaiters];
    this.idleWaiters.clear();
    for (const waiter of waiters) {
      if (waiter.timer !== undefined) clearTimeout(waiter.timer);
      waiter.resolve();
    }
  }

  private rebuildObserver(): void {
    const observers = this.observers;
    if (observers.length === 0) {
      this.observer = undefined;
      this.sampleEvery = 1;
    } else {
      const set = new ObserverSet<T>([...observers], (error) => this.reportOther(error, '', undefined));
      this.observer = set;
      this.sampleEvery = set.sampleEvery;
    }
    this.countdown = 1;
  }

  /** Validates, creates, attaches a sink (via `attach`), files and announces a subscription. */
  private register(
    pattern: string,
    handler: Handler<T>,
    options: SubscribeOptions<T>,
    attach: (sub: SubscriptionRecord<T>, host: ConsumerHost<T>) => void,
  ): SubscriptionRecord<T> {
    if (this.isClosed) throw new ClosedError('PubSubBroker', 'subscribe');
    parsePattern(pattern, this.trie.syntax);
    const sub = new SubscriptionRecord<T>(this.nextId++, pattern, handler, this.endHook);
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
        const representative = new SubscriptionRecord<T>(this.nextId++, pattern, noop, this.endHook);
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

  private hostFor(sub: SubscriptionRecord<T>): ConsumerHost<T> {
    return {
      observed: () => this.observer !== undefined,
      completed: (count) => {
        this.delivered += count;
        if (this.idleWaiters.size > 0) this.checkIdle();
      },
      begin: (delivery) => {
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
      awaiting: () => {
        this.inFlight++;
      },
      end: (delivery, timed, async, failed, error) => {
        if (async) this.inFlight--;
        if (failed) this.fail(error, delivery.topic, sub);
        else this.delivered++;
        this.observer?.finished(sub, delivery, timed ? performance.now() : undefined, failed);
        if (this.idleWaiters.size > 0) this.checkIdle();
      },
      dropped: (count, reason) => {
        this.dropped += count;
        this.observer?.dropped(sub, count, reason);
        this.emit('drop', sub, count, reason);
        if (this.idleWaiters.size > 0) this.checkIdle();
      },
      overflowed: (error) => {
        this.slowConsumers++;
        this.end(sub, 'slow-consumer', error);
        this.reportOther(error, sub.pattern, sub);
      },
    };
  }

  /** The delivery loop shared by `publish` and `publishChunked`: targets[from, to). */
  private deliver(
    snapshot: Snapshot<SubscriptionRecord<T>, DeliveryTarget<T>>,
    from: number,
    to: number,
    topic: string,
    message: T,
    publishId: number,
  ): number {
    const targets = snapshot.targets;
    if (this.observer !== undefined) {
      return this.deliverObserved(this.observer, targets, from, to, topic, message, publishId);
    }
    if (snapshot.plain) return this.deliverPlain(snapshot, from, to, topic, message);
    if (snapshot.sinks !== undefined) return this.deliverQueued(snapshot.sinks, targets, from, to, topic, message);
    return this.deliverMixed(targets, from, to, topic, message);
  }

  /**
   * The delivery loop for a snapshot of queued subscribers only (no observer): one push per
   * target onto its queue, the subscription itself never read. An ended subscription's queue
   * is closed first, so `closed` stands for `live`.
   */
  private deliverQueued(
    sinks: readonly DeliveryTarget<T>[],
    targets: readonly SubscriptionRecord<T>[],
    from: number,
    to: number,
    topic: string,
    message: T,
  ): number {
    // One Delivery per publish, shared; unstamped, as no observer is attached.
    const delivery: Delivery<T> = { topic, message, publishedAt: Number.NaN };
    let offered = 0;
    let taken = 0;
    let i = from;
    this.depth++;
    try {
      while (i < to) {
        try {
          for (; i < to; i++) {
            const sink = sinks[i];
            if (sink.closed) continue;
            offered++;
            if (sink.push(delivery)) taken++;
          }
        } catch (error) {
          // A throwing sizeOf or priorityOf: the message never got in, so it counts as an
          // error of this subscriber, not of the publisher.
          this.fail(error, topic, targets[i++]);
        }
      }
    } finally {
      this.depth--;
      this.offered += offered;
    }
    return taken;
  }

  /** The delivery loop for any other snapshot (queues, groups, owners), unobserved. */
  private deliverMixed(
    targets: readonly SubscriptionRecord<T>[],
    from: number,
    to: number,
    topic: string,
    message: T,
  ): number {
    let taken = 0;
    let offered = 0;
    let completed = 0;
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
          offered++;
          taken++;
          if (this.call(sub, message, topic)) completed++;
          continue;
        }
        // One Delivery per publish, shared by every queued subscriber. Unobserved, it is
        // not stamped: a clock read per publish is a cost only metrics should pay.
        delivery ??= { topic, message, publishedAt: Number.NaN };
        const outcome = this.deliverIndirect(sub, delivery);
        if (outcome !== NOT_OFFERED) {
          offered++;
          if (outcome !== REFUSED) taken++;
        }
      }
    } finally {
      this.depth--;
      this.offered += offered;
      this.delivered += completed;
    }
    return taken;
  }

  /**
   * The delivery loop for a snapshot of plain handlers without owners (no observer): nothing
   * to decide per target but whether it is still live, and even that only once a subscription
   * has ended since the snapshot's targets were last known live. One `try` spans a run of
   * calls and the loop resumes after the one that threw, so the call site is a plain call.
   */
  private deliverPlain(
    snapshot: Snapshot<SubscriptionRecord<T>, DeliveryTarget<T>>,
    from: number,
    to: number,
    topic: string,
    message: T,
  ): number {
    const targets = snapshot.targets;
    const liveAt = snapshot.liveAt;
    const start = this.endings;
    // Counted by exception, off the hot path: targets skipped as ended, and calls that did
    // not complete here (threw, or returned a promise that is counted when it settles).
    let ended = 0;
    let pending = 0;
    let taken = 0;
    let i = from;
    this.depth++;
    try {
      while (i < to) {
        try {
          for (; i < to; i++) {
            const sub = targets[i];
            // An earlier handler, or anything since the snapshot was checked, may have ended it.
            if (this.endings !== liveAt && !sub.live) {
              ended++;
              continue;
            }
            const result = sub.handler(message, topic);
            if (result !== undefined && isThenable(result)) {
              this.track(result, topic, sub);
              pending++;
            }
          }
        } catch (error) {
          // targets[i] threw (or its promise could not be tracked): counted, reported, skipped.
          const failed = targets[i++];
          pending++;
          this.fail(error, topic, failed);
        }
      }
    } finally {
      this.depth--;
      // Also when an 'error' listener throws out of fail(): what was handed out is counted.
      taken = i - from - ended;
      this.offered += taken;
      this.delivered += taken - pending;
    }
    // A whole pass found every target live with nothing ended meanwhile: the next publishes
    // of this snapshot skip the checks again.
    if (liveAt !== start && ended === 0 && this.endings === start && from === 0 && to === targets.length) {
      snapshot.liveAt = start;
    }
    return taken;
  }

  /** The delivery loop while an observer is attached: same semantics, plus observation. */
  private deliverObserved(
    observer: BrokerObserver<T>,
    targets: readonly SubscriptionRecord<T>[],
    from: number,
    to: number,
    topic: string,
    message: T,
    publishId: number,
  ): number {
    let taken = 0;
    let offered = 0;
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
          offered++;
          taken++;
          this.callObserved(observer, sub, delivery);
          continue;
        }
        const outcome = this.deliverIndirect(sub, delivery);
        if (outcome !== NOT_OFFERED) {
          offered++;
          if (outcome !== REFUSED) taken++;
        }
      }
    } finally {
      this.depth--;
      this.offered += offered;
    }
    return taken;
  }

  /** Whether this delivery is one of the `sampleEvery` the observer times. */
  private timeThisOne(): boolean {
    if (--this.countdown > 0) return false;
    this.countdown = this.sampleEvery;
    return true;
  }

  /** A handler call with the observer told before and after; counts the outcome itself. */
  private callObserved(observer: BrokerObserver<T>, sub: SubscriptionRecord<T>, delivery: Delivery<T>): void {
    const timed = this.timeThisOne();
    observer.started(sub, delivery, timed ? performance.now() : undefined);
    let result: unknown;
    try {
      result = sub.handler(delivery.message, delivery.topic);
    } catch (error) {
      this.fail(error, delivery.topic, sub);
      observer.finished(sub, delivery, timed ? performance.now() : undefined, true);
      return;
    }
    if (result !== undefined && isThenable(result)) {
      this.inFlight++;
      result.then(
        () => this.settled(sub, delivery, timed, false, undefined),
        (error: unknown) => this.settled(sub, delivery, timed, true, error),
      );
      return;
    }
    this.delivered++;
    observer.finished(sub, delivery, timed ? performance.now() : undefined, false);
  }

  /** An async handler call settled. */
  private settled(sub: SubscriptionRecord<T>, delivery: Delivery<T>, timed: boolean, failed: boolean, error: unknown): void {
    this.inFlight--;
    if (failed) this.fail(error, delivery.topic, sub);
    else this.delivered++;
    this.observer?.finished(sub, delivery, timed ? performance.now() : undefined, failed);
    if (this.idleWaiters.size > 0) this.checkIdle();
  }

  /** Delivers through a queue, or to one member of a queue group. */
  private deliverIndirect(sub: SubscriptionRecord<T>, delivery: Delivery<T>): Outcome {
    let target: SubscriptionRecord<T> | undefined = sub;
    const group = sub.dispatcher;
    if (group !== undefined) {
      target = group.pick();
      while (target !== undefined && target.ownerRef !== undefined && target.ownerRef.deref() === undefined) {
        this.end(target, 'owner-collected');
        target = group.pick();
      }
      if (target === undefined) return NOT_OFFERED;
    }
    const sink = target.sink;
    if (sink !== undefined) {
      try {
        return sink.push(delivery) ? TAKEN : REFUSED;
      } catch (error) {
        // A throwing sizeOf or priorityOf: the message never got in, so it counts as an error
        // of this subscriber, not of the publisher.
        this.fail(error, delivery.topic, target);
        return REFUSED;
      }
    }
    const observer = this.observer;
    if (observer === undefined) {
      if (this.call(target, delivery.message, delivery.topic)) this.delivered++;
    } else {
      this.callObserved(observer, target, delivery);
    }
    return TAKEN;
  }

  /**
   * Calls a plain handler.
   *
   * @returns `true` when it returned without throwing and without a promise (the caller
   * counts it as delivered); a throw is counted here, a promise when it settles.
   */
  private call(sub: SubscriptionRecord<T>, message: T, topic: string): boolean {
    try {
      const result = sub.handler(message, topic);
      if (result === undefined || !isThenable(result)) return true;
      this.track(result, topic, sub);
    } catch (error) {
      // A throw, or a returned thenable that could not be tracked (its then() threw).
      this.fail(error, topic, sub);
    }
    return false;
  }

  /** Tracks the promise a plain handler returned: for `drain()`, and counted when it settles. */
  private track(result: PromiseLike<unknown>, topic: string, sub: SubscriptionRecord<T>): void {
    this.inFlight++;
    try {
      result.then(
        () => this.settledPlain(false, undefined, topic, sub),
        (error: unknown) => this.settledPlain(true, error, topic, sub),
      );
    } catch (error) {
      // A thenable whose then() throws never settles: not in flight; the caller reports it.
      this.inFlight--;
      throw error;
    }
  }

  private settledPlain(failed: boolean, error: unknown, topic: string, sub: SubscriptionRecord<T>): void {
    this.inFlight--;
    if (failed) this.fail(error, topic, sub);
    else this.delivered++;
    if (this.idleWaiters.size > 0) this.checkIdle();
  }

  private resolve(topic: string): Snapshot<SubscriptionRecord<T>, DeliveryTarget<T>> {
    // Never mutated here: the trie may hand back its shared empty result.
    const entries = this.trie.matchShared(topic);
    let snapshot: Snapshot<SubscriptionRecord<T>, DeliveryTarget<T>>;
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
      snapshot = { targets, sinks, length: targets.length, plain, liveAt: live ? this.endings : -1 };
    }
    this.snapshots.set(topic, snapshot);
    return snapshot;
  }

  private end(sub: SubscriptionRecord<T>, reason: UnsubscribeReason, error?: SlowConsumerError): void {
    if (!sub.live) return;
    sub.live = false;
    this.endings++;
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

  /**
   * Checks a nested publish against `maxPublishDepth` and `maxPublishWork`.
   *
   * @returns `true` when it is refused (counted in `refused`; the first refusal of each
   * top-level publish is also reported).
   */
  private refuseNested(topic: string, targets: number): boolean {
    let code: PublishLimitError['code'];
    let limit: number;
    const work = this.work + targets;
    if (this.depth >= this.maxDepth) {
      code = ERROR_CODES.PUBLISH_DEPTH;
      limit = this.maxDepth;
    } else if (work > this.maxWork) {
      code = ERROR_CODES.PUBLISH_WORK;
      limit = this.maxWork;
    } else {
      this.work = work;
      return false;
    }
    this.refused++;
    // A storm refuses thousands of publishes: one report per top-level publish, the rest counted.
    if (!this.limitReported) {
      this.limitReported = true;
      this.reportOther(new PublishLimitError(code, limit, topic), topic, undefined);
    }
    return true;
  }

  /** A handler call failed: counted in `errors`, then reported. */
  private fail(error: unknown, topic: string, sub: SubscriptionRecord<T>): void {
    this.errors++;
    reportError(this, 'PubSubBroker', error, topic, sub);
  }

  /** Any other failure (refused publish, slow consumer, observer): reported, counted by the caller. */
  private reportOther(error: unknown, topic: string, sub: SubscriptionRecord<T> | undefined): void {
    reportError(this, 'PubSubBroker', error, topic, sub);
  }
}

/** What happened to one offer of a message to a queued subscriber or a group. */
type Outcome = 0 | 1 | 2;
/** Enqueued (or handed to a group member's handler). */
const TAKEN: Outcome = 0;
/** Refused by the queue's policy (counted as a drop) or by a throwing sizeOf (an error). */
const REFUSED: Outcome = 1;
/** Nobody to offer it to (a group whose members all ended during this publish). */
const NOT_OFFERED: Outcome = 2;
