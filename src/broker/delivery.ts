/**
 * What a queued subscriber receives, and how its queue is configured.
 *
 * @module
 */
import type { BoundedQueueOptions } from '../flow/bounded-queue.js';

/**
 * One published message on its way to queued subscribers. A publish makes one `Delivery`
 * and hands the same object to every queued subscriber that matches, so treat it as
 * read-only.
 */
export interface Delivery<T> {
  /** The topic it was published on. */
  readonly topic: string;
  /** The message. */
  readonly message: T;
  /**
   * `performance.now()` when `publish` was called, for latency measurements, while an
   * observer such as {@link BroadcastMetrics} is attached; `NaN` otherwise (a clock read per
   * publish is a cost only metrics should pay).
   */
  readonly publishedAt: number;
}

/**
 * The bounded queue in front of a subscriber (see {@link SubscribeOptions.queue} and
 * {@link PubSubBroker.stream}). Same marks and policies as {@link BoundedQueueOptions}, with
 * `sizeOf` and `priorityOf` taking the message and topic instead of the queue's item.
 *
 * Defaults: 1000 / 100 items, no byte bound, policy `'drop-newest'`, concurrency 1.
 */
export interface SubscriptionQueueOptions<T>
  extends Omit<BoundedQueueOptions<Delivery<T>>, 'sizeOf' | 'priorityOf'> {
  /**
   * The size of a message in bytes, for `maxBytes`.
   * @default strings by UTF-8 length, Buffers and typed arrays by byte length, anything else 0
   */
  sizeOf?: (message: T, topic: string) => number;
  /**
   * The priority of a message (higher is more important), for `'drop-lowest-priority'` and
   * `protectedPriority`.
   * @default every message 0
   */
  priorityOf?: (message: T, topic: string) => number;
  /**
   * How many handler calls may be in flight at once for this subscriber: a handler that
   * returns a promise holds a slot until it settles. Minimum: 1. (Streams ignore it.)
   * @default 1
   */
  concurrency?: number;
}

/** @internal What a publish hands a delivery to: see {@link DeliverySink.pushTarget}. */
export interface DeliveryTarget<T> {
  /** Set once closed (before its subscription's end is announced): skip it. */
  readonly closed: boolean;
  /** Enqueues; `false` when the delivery was dropped. */
  push(delivery: Delivery<T>): boolean;
}

/** @internal Where the broker puts deliveries for a queued subscription. */
export interface DeliverySink<T> extends DeliveryTarget<T> {
  /**
   * What a publish pushes to: this sink, or the queue inside it when pushing there directly
   * is the same thing (a queued subscriber's light ring).
   */
  readonly pushTarget: DeliveryTarget<T>;
  /** Messages waiting in the queue. */
  readonly queued: number;
  /** Messages waiting plus handler calls in flight. */
  readonly pending: number;
  /** Messages dropped so far, for every reason. */
  readonly dropped: number;
  /** Stops: discards (and counts) what is pending. `error` is set for a slow consumer. */
  close(error?: Error): void;
}
