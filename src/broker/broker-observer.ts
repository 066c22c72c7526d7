/**
 * The hook a metrics collector uses to watch a broker's deliveries. While none is attached,
 * the broker's publish path does none of this work.
 *
 * @module
 */
import type { DropReason } from '../flow/bounded-queue.js';
import type { Delivery } from './delivery.js';
import type { Subscription } from './subscription.js';

/**
 * Receives what happens to each message inside a {@link PubSubBroker}. Attach one with
 * {@link PubSubBroker.observe}; {@link BroadcastMetrics} is the built-in implementation.
 * Times are `performance.now()` milliseconds. Methods must not throw.
 */
export interface BrokerObserver<T> {
  /**
   * Time one delivery in this many (1 times them all): the others are only counted, which
   * keeps the clock reads off most deliveries. Read when the observer is attached.
   */
  readonly sampleEvery?: number;
  /**
   * `message` on `topic` is offered to `subscription` (before any queue or group).
   * `publishId` is the same for every offer of one publish and grows from one publish to the next.
   */
  offered(subscription: Subscription<T>, topic: string, message: T, publishId: number): void;
  /**
   * A handler call (or a stream read) begins. Every subscriber of one publish gets the same
   * `delivery` object, whose `publishedAt` gives the latency. `startedAt` is `undefined` for
   * deliveries that are not timed (see `sampleEvery`).
   */
  started(subscription: Subscription<T>, delivery: Delivery<T>, startedAt: number | undefined): void;
  /** A timed handler call ends (for an async handler, when its promise settles). */
  finished(subscription: Subscription<T>, delivery: Delivery<T>, finishedAt: number): void;
  /** A subscriber's queue dropped `count` messages. */
  dropped(subscription: Subscription<T>, count: number, reason: DropReason): void;
  /** A handler failed (`subscription` is undefined for a publish refused for depth). */
  failed(subscription: Subscription<T> | undefined, topic: string, error: unknown): void;
}
