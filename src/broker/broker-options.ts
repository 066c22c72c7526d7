/**
 * What the broker's public methods take and report: its options, the options of `subscribe`,
 * `stream`, `publishChunked` and `nextMessage`, its counters and its events.
 *
 * @module
 */
import type { DropReason } from '../flow/bounded-queue.js';
import { BOUNDED_QUEUE_OPTION_KEYS } from '../flow/bounded-queue-keys.js';
import { optionKeys } from '../internal/options.js';
import type { SubscriptionQueueOptions } from './delivery.js';
import type { Subscription, UnsubscribeReason } from './subscription.js';
import { TOPIC_OPTION_KEYS, type TopicOptions } from '../topics/topic.js';

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
   * From 0 to 2147483647 (the longest delay a timer honours), or `Infinity` for no limit.
   * @default no limit
   */
  timeoutMs?: number;
}

/** The keys of {@link BrokerOptions}, for the check of unknown keys. */
export const BROKER_OPTION_KEYS = /* @__PURE__ */ optionKeys<BrokerOptions>({
  ...TOPIC_OPTION_KEYS,
  maxPublishDepth: true,
  maxPublishWork: true,
  cacheSize: true,
});

/** The keys of {@link SubscribeOptions}. */
export const SUBSCRIBE_OPTION_KEYS = /* @__PURE__ */ optionKeys<SubscribeOptions>({ signal: true, owner: true, queue: true, group: true });

/** The keys of {@link SubscriptionQueueOptions}: a bounded queue's, and `concurrency`. */
export const SUBSCRIPTION_QUEUE_OPTION_KEYS = /* @__PURE__ */ optionKeys<SubscriptionQueueOptions<unknown>>({
  ...BOUNDED_QUEUE_OPTION_KEYS,
  concurrency: true,
});

/** The keys of {@link StreamOptions}. */
export const STREAM_OPTION_KEYS = /* @__PURE__ */ optionKeys<StreamOptions<unknown>>({ ...SUBSCRIPTION_QUEUE_OPTION_KEYS, signal: true });

/** The keys of {@link PublishChunkedOptions}. */
export const PUBLISH_CHUNKED_OPTION_KEYS = /* @__PURE__ */ optionKeys<PublishChunkedOptions>({ chunkSize: true });

/** The keys of {@link NextMessageOptions}. */
export const NEXT_MESSAGE_OPTION_KEYS = /* @__PURE__ */ optionKeys<NextMessageOptions>({ signal: true, timeoutMs: true });

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
