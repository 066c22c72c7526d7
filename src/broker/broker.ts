/**
 * The typed publish/subscribe broker: its public face. What it does lives in the layers it
 * extends, one idea each: who is subscribed ({@link SubscriptionRegistry}), the books and
 * the one settle path of handler calls ({@link DeliveryLedger}) and the delivery of one
 * publish ({@link FanOut}); beside them, the pending count `drain()` waits on
 * ({@link PendingWork}) and what the methods take and report (`broker-options.ts`). Why
 * layers of one object rather than parts: see {@link SubscriptionRegistry}.
 *
 * @module
 */
import { ClosedError, TimeoutError } from '../errors.js';
import { COUNT_FROM_0, COUNT_FROM_1, mustBe, optionalSignal, requireBoolean, requireFunction, requireNumber } from '../internal/checks.js';
import { invalidArgType } from '../internal/coded-errors.js';
import { checkOptions } from '../internal/options.js';
import { TIMEOUT_RULE } from '../internal/timers.js';
import { CLOSE_OPTION_KEYS, DRAIN_OPTION_KEYS, type CloseOptions, type DrainOptions } from '../lifecycle.js';
import { topicMatches, type TopicSyntax } from '../topics/topic.js';
import {
  BROKER_OPTION_KEYS,
  NEXT_MESSAGE_OPTION_KEYS,
  PUBLISH_CHUNKED_OPTION_KEYS,
  STREAM_OPTION_KEYS,
  SUBSCRIBE_OPTION_KEYS,
  SUBSCRIPTION_QUEUE_OPTION_KEYS,
  type BrokerOptions,
  type BrokerStats,
  type NextMessageOptions,
  type PublishChunkedOptions,
  type StreamOptions,
  type SubscribeOptions,
} from './broker-options.js';
import type { BrokerObserver } from './broker-observer.js';
import type { SubscriptionQueueOptions } from './delivery.js';
import { DrainScheduler } from './drain-scheduler.js';
import { FanOut } from './fan-out.js';
import { QueuedStream, type MessageStream } from './message-stream.js';
import type { GroupDelivery, PublishTap } from './publish-tap.js';
import { QueuedConsumer } from './queued-consumer.js';
import type { Handler, Subscription, UnsubscribeReason } from './subscription.js';

export type {
  BrokerEvents,
  BrokerOptions,
  BrokerStats,
  NextMessageOptions,
  PublishChunkedOptions,
  StreamOptions,
  SubscribeOptions,
} from './broker-options.js';

const noop = (): undefined => undefined;

/** `timeoutMs` checked; `Infinity` when not given. */
function checkTimeout(timeoutMs: number | undefined): number {
  return requireNumber('timeoutMs', timeoutMs ?? Infinity, TIMEOUT_RULE);
}

/**
 * The broker's options checked, as the arguments its layers take after `options`: the cache
 * size and the two publish limits. (The topic options are checked by the registry's trie.)
 */
function brokerLimits(options: BrokerOptions): [cacheSize: number, maxPublishDepth: number, maxPublishWork: number] {
  checkOptions('new PubSubBroker', options, BROKER_OPTION_KEYS);
  return [
    requireNumber('cacheSize', options.cacheSize ?? 16_384, COUNT_FROM_0),
    requireNumber('maxPublishDepth', options.maxPublishDepth ?? 32, COUNT_FROM_1),
    requireNumber('maxPublishWork', options.maxPublishWork ?? 100_000, COUNT_FROM_1),
  ];
}

/**
 * Checks `subscribe`'s options (the queue's values are checked where the queue is made) and
 * returns the queue's options: `undefined` for no queue.
 */
function queueSettings<T>(options: SubscribeOptions<T>): SubscriptionQueueOptions<T> | undefined {
  checkOptions('subscribe', options, SUBSCRIBE_OPTION_KEYS);
  const { queue, group, owner } = options;
  optionalSignal('signal', options.signal);
  if (owner !== undefined && (owner === null || (typeof owner !== 'object' && typeof owner !== 'function'))) {
    throw invalidArgType(mustBe('owner', 'an object', owner));
  }
  if (group !== undefined && (typeof group !== 'string' || group.length === 0)) {
    throw invalidArgType(mustBe('group', 'a non-empty string', group));
  }
  if (queue === undefined || queue === false) return undefined;
  if (queue === true) return {};
  if (queue === null || typeof queue !== 'object') throw invalidArgType(mustBe('queue', 'true, false or an options object', queue));
  checkOptions('subscribe', queue, SUBSCRIPTION_QUEUE_OPTION_KEYS, 'queue');
  return queue;
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
export class PubSubBroker<T> extends FanOut<T> implements Disposable, AsyncDisposable {
  /** @internal Runs the queued subscribers with work, one turn of the event loop for all of them. */
  private readonly drainScheduler = new DrainScheduler();
  /** @internal The adapter that carries local publishes to other processes, if one is attached. */
  private attachedTap: PublishTap<T> | undefined = undefined;
  /**
   * @internal What `publish` hands its messages to: the attached tap, or for a tap that
   * carries the queue groups, a wrapper that also marks the publish as leaving them out.
   */
  private publishingTap: PublishTap<T> | undefined = undefined;
  /** @internal Set by the first `close()`; later calls return it. */
  private closingPromise: Promise<void> | undefined = undefined;

  /**
   * @throws TypeError (`ERR_INVALID_ARG_TYPE`) when `options` is not an object or an option
   *   has the wrong type (`syntax` neither a preset name nor an object);
   *   (`ERR_UNKNOWN_OPTION`) for a key that is not an option, naming the nearest one.
   * @throws RangeError (`ERR_OUT_OF_RANGE`) when an option is out of range.
   */
  constructor(options: BrokerOptions = {}) {
    super(options, ...brokerLimits(options));
  }

  /**
   * The topic syntax (preset, separator, wildcards, limits) this broker parses topics and
   * patterns with. Adapters such as the Redis bridges read it from here, so there is one
   * place to set it.
   */
  get syntax(): Readonly<TopicSyntax> {
    return this.topicSyntax;
  }

  /** Whether {@link PubSubBroker.close} has been called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Calls `handler(message, topic)` for every message published on a topic that matches
   * `pattern`: synchronously from `publish` by default, or through a bounded queue with the
   * `queue` option; with `group`, only for the messages the group hands to this member.
   * The handler is called as a plain function (`this` is `undefined`): bind it, or use an
   * arrow function, for a method.
   *
   * @throws {@link TopicError} when the pattern is invalid (nothing changes).
   * @throws TypeError (`ERR_INVALID_ARG_TYPE`) when `handler` is not a function, `options`
   *   is not an object, `queue` is not a boolean or an object, `group` is not a non-empty
   *   string, `signal` is not an `AbortSignal` or `owner` not an object;
   *   (`ERR_UNKNOWN_OPTION`) for a key that is not an option, in `options` or `queue`.
   * @throws RangeError (`ERR_OUT_OF_RANGE`) when a queue option is out of range.
   * @throws {@link ClosedError} after `close()`.
   */
  subscribe(pattern: string, handler: Handler<T>, options: SubscribeOptions<T> = {}): Subscription<T> {
    requireFunction('handler', handler);
    const settings = queueSettings(options);
    const concurrency = settings === undefined ? 1 : requireNumber('queue.concurrency', settings.concurrency ?? 1, COUNT_FROM_1);
    return this.register(pattern, handler, options, (sub) => {
      if (settings === undefined) return;
      sub.sink = new QueuedConsumer(settings, handler, concurrency, this.hostFor(sub), this.drainScheduler);
    });
  }

  /**
   * Subscribes to `pattern` and returns the messages as an async iterator with a bounded
   * queue: `for await (const { topic, message } of broker.stream('logs/#')) …`. Messages
   * published while the loop body runs wait in the queue under its policy. Leaving the loop,
   * aborting `options.signal` or closing the broker ends the subscription.
   *
   * @throws {@link TopicError} when the pattern is invalid.
   * @throws TypeError (`ERR_INVALID_ARG_TYPE`) when `options` is not an object or an option
   *   has the wrong type; (`ERR_UNKNOWN_OPTION`) for a key that is not an option.
   * @throws RangeError (`ERR_OUT_OF_RANGE`) when a queue option is out of range.
   * @throws {@link ClosedError} after `close()`.
   */
  stream(pattern: string, options: StreamOptions<T> = {}): MessageStream<T> {
    checkOptions('stream', options, STREAM_OPTION_KEYS);
    optionalSignal('signal', options.signal);
    const { signal, ...queue } = options;
    let stream: QueuedStream<T> | undefined;
    const sub = this.register(pattern, noop, signal === undefined ? {} : { signal }, (created) => {
      stream = new QueuedStream(created, queue, this.hostFor(created));
      created.sink = stream;
    });
    // An already aborted signal gives an ended subscription and no sink: an empty stream.
    if (stream === undefined) {
      stream = new QueuedStream(sub, queue, this.hostFor(sub));
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
   * {@link ClosedError} when the broker closes first, with {@link TopicError} for an
   * invalid pattern, and with a `TypeError` or `RangeError` naming a bad option.
   */
  nextMessage(pattern: string, options: NextMessageOptions = {}): Promise<{ topic: string; message: T }> {
    return new Promise((resolve, reject) => {
      checkOptions('nextMessage', options, NEXT_MESSAGE_OPTION_KEYS);
      const signal = optionalSignal('signal', options.signal);
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
   * With a publish tap attached (a bridge), the message also goes to the other processes;
   * {@link PubSubBroker.publishLocal} keeps it here. A tap that carries queue groups across
   * processes (`NatsBridge`) delivers to one member cluster-wide: then this call gives it to
   * no local group, and does not count them.
   * @throws {@link TopicError} when the topic is invalid.
   * @throws {@link ClosedError} after `close()`.
   * @throws whatever the publish tap throws for a message it cannot carry (a bridge's codec);
   * nothing is delivered then.
   */
  publish(topic: string, message: T): number {
    return this.publishThrough(this.publishingTap, topic, message);
  }

  /**
   * Like {@link PubSubBroker.publish}, but never handed to the publish tap: the message
   * reaches this process's subscribers only, even with a Redis bridge attached. Without a
   * tap it is the same as `publish`. (A bridge delivers what other nodes sent with it.) Queue
   * groups get it too: one local member, even when the tap carries groups across processes.
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
   * (what a bridge does), or detaches it with `undefined`. One at a time. A tap with
   * `carryGroups` is handed the broker's {@link GroupDelivery} at once, and takes over its
   * queue groups until it is detached.
   *
   * @returns the tap it replaced, if any.
   * @throws TypeError (`ERR_INVALID_ARG_TYPE`) when `tap` has no `tapped()` method.
   */
  setPublishTap(tap: PublishTap<T> | undefined): PublishTap<T> | undefined {
    if (tap !== undefined) requireFunction('tap.tapped', tap.tapped);
    const previous = this.attachedTap;
    this.attachedTap = tap;
    this.publishingTap = tap;
    if (tap !== undefined && typeof tap.carryGroups === 'function') {
      this.publishingTap = {
        tapped: (topic, message) => {
          tap.tapped(topic, message);
          // Not reached when the tap throws: that publish stops here and takes no id.
          this.leaveGroupsOutOfNextPublish();
        },
      };
      tap.carryGroups(this.groupDeliveryFor(tap));
    }
    return previous;
  }

  /** The publish tap attached with {@link PubSubBroker.setPublishTap}, if any. */
  get publishTap(): PublishTap<T> | undefined {
    return this.attachedTap;
  }

  /**
   * Like {@link PubSubBroker.publish}, for very large subscriber lists: delivers in chunks of
   * `chunkSize` subscribers and yields to the event loop between chunks, so timers and I/O
   * keep running. The subscriber list is the one matching when it is called; subscriptions
   * that end meanwhile get nothing more. It resolves once every chunk has been handed out,
   * not when async handlers finish: for that, `await broker.drain()`.
   *
   * @returns a promise of how many subscribers took the message. It rejects with
   * {@link TopicError}, {@link ClosedError}, or a `TypeError` or `RangeError` naming a bad option.
   */
  async publishChunked(topic: string, message: T, options: PublishChunkedOptions = {}): Promise<number> {
    checkOptions('publishChunked', options, PUBLISH_CHUNKED_OPTION_KEYS);
    const chunkSize = requireNumber('chunkSize', options.chunkSize ?? 100, COUNT_FROM_1);
    return this.publishInChunks(this.publishingTap, topic, message, chunkSize);
  }

  /** @internal The delivery a tap that carries groups uses; inert once `tap` is no longer attached. */
  private groupDeliveryFor(tap: PublishTap<T>): GroupDelivery<T> {
    // A tap that sends nothing: it only marks the publish, once admitted, as leaving groups out.
    const ungrouped: PublishTap<T> = { tapped: () => this.leaveGroupsOutOfNextPublish() };
    return {
      publishUngrouped: (topic, message) => {
        if (this.attachedTap !== tap) return 0;
        return this.publishThrough(ungrouped, topic, message);
      },
      deliverToGroup: (group, pattern, topic, message) => {
        if (this.attachedTap !== tap) return false;
        if (this.isClosed) throw new ClosedError('PubSubBroker', 'publish');
        // Checks the topic too: another node may use another topic syntax.
        if (!topicMatches(pattern, topic, this.topicSyntax)) return false;
        const representative = this.groupRepresentative(group, pattern);
        return representative !== undefined && this.publishToGroup(representative, topic, message);
      },
    };
  }

  /**
   * Resolves when nothing is pending: every subscriber queue is empty (streams included: a
   * stream is empty once its loop has read everything) and every async handler has settled.
   * Publishing goes on meanwhile; what is published before it resolves is waited for too.
   *
   * @returns a promise that rejects with a {@link TimeoutError} (saying how many messages are
   * still pending) after `timeoutMs`, or a `TypeError` or `RangeError` naming a bad option.
   */
  drain(options: DrainOptions = {}): Promise<void> {
    try {
      checkOptions('drain', options, DRAIN_OPTION_KEYS);
      return this.pendingWork.whenIdle(checkTimeout(options.timeoutMs));
    } catch (error) {
      return Promise.reject(error);
    }
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
    return this.attachObserver(observer);
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
   *
   * @throws TypeError (`ERR_INVALID_ARG_TYPE`, `ERR_UNKNOWN_OPTION`) for bad options, before
   *   anything closes.
   */
  close(options: CloseOptions = {}): Promise<void> {
    checkOptions('close', options, CLOSE_OPTION_KEYS);
    if (this.isClosed) return this.closingPromise ?? Promise.resolve();
    const drain = requireBoolean('drain', options.drain ?? false);
    if (options.timeoutMs !== undefined) checkTimeout(options.timeoutMs);
    const waited = drain ? this.drain({ ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }) }) : undefined;
    this.isClosed = true;
    const endAll = (): void => this.endAll('close');
    if (waited === undefined) {
      endAll();
      this.closingPromise = Promise.resolve();
    } else {
      this.closingPromise = waited.finally(endAll);
    }
    return this.closingPromise;
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
      subscriptions: this.subscriptionCount,
      patterns: this.patternCount,
      published: this.published,
      refused: this.refused,
      offered: this.offered,
      delivered: this.delivered,
      errors: this.errors,
      dropped: this.dropped,
      pending: this.pendingWork.count,
      slowConsumers: this.slowConsumers,
    };
  }
}
