/**
 * The hook a metrics collector uses to watch a broker's deliveries, and the internal set that
 * lets several watch one broker. While none is attached, the broker's publish path does none
 * of this work.
 *
 * @module
 */
import type { DropReason } from '../flow/bounded-queue.js';
import type { Delivery } from './delivery.js';
import type { Subscription } from './subscription.js';

/**
 * Receives what happens to each message inside a {@link PubSubBroker}. Attach one with
 * {@link PubSubBroker.observe} (several may watch one broker); {@link BroadcastMetrics} is the
 * built-in one. Times are `performance.now()` milliseconds. A method that throws is reported
 * as the broker's `'error'` and never disturbs delivery.
 */
export interface BrokerObserver<T> {
  /**
   * Time one delivery in this many (1 times them all): the others are only counted, which
   * keeps the clock reads off most deliveries. Read when the observer is attached; with
   * several observers the smallest wins.
   * @default 1
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
  /**
   * The handler call begun with `started` ended (for an async handler, when its promise
   * settled): `failed` when it threw or rejected. `finishedAt` is `undefined` when not timed.
   */
  finished(subscription: Subscription<T>, delivery: Delivery<T>, finishedAt: number | undefined, failed: boolean): void;
  /** A subscriber's queue dropped `count` messages. */
  dropped(subscription: Subscription<T>, count: number, reason: DropReason): void;
}

/**
 * Several observers behind one: each call goes to every member, and a member that throws is
 * handed to `onError` instead of breaking the loop that called it.
 *
 * @internal
 */
export class ObserverSet<T> implements BrokerObserver<T> {
  readonly sampleEvery: number;

  constructor(
    private readonly members: readonly BrokerObserver<T>[],
    private readonly onError: (error: unknown) => void,
  ) {
    let every = Infinity;
    for (const member of members) every = Math.min(every, member.sampleEvery ?? 1);
    this.sampleEvery = every;
  }

  offered(subscription: Subscription<T>, topic: string, message: T, publishId: number): void {
    for (const member of this.members) {
      try {
        member.offered(subscription, topic, message, publishId);
      } catch (error) {
        this.onError(error);
      }
    }
  }

  started(subscription: Subscription<T>, delivery: Delivery<T>, startedAt: number | undefined): void {
    for (const member of this.members) {
      try {
        member.started(subscription, delivery, startedAt);
      } catch (error) {
        this.onError(error);
      }
    }
  }

  finished(subscription: Subscription<T>, delivery: Delivery<T>, finishedAt: number | undefined, failed: boolean): void {
    for (const member of this.members) {
      try {
        member.finished(subscription, delivery, finishedAt, failed);
      } catch (error) {
        this.onError(error);
      }
    }
  }

  dropped(subscription: Subscription<T>, count: number, reason: DropReason): void {
    for (const member of this.members) {
      try {
        member.dropped(subscription, count, reason);
      } catch (error) {
        this.onError(error);
      }
    }
  }
}
