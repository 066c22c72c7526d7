/**
 * The hook a metrics collector uses to watch a broker's deliveries, and the internal set that
 * lets several watch one broker. While none is attached, the broker's publish path does none
 * of this work.
 *
 * @module
 */
import type { DropReason } from '../flow/bounded-queue.js';
import { COUNT_FROM_1, requireNumber } from '../internal/checks.js';
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

/** @internal How a handler call is watched: not at all, by the observer, or timed as well. */
export type Watch = 0 | 1 | 2;
/** @internal Begun without an observer: nobody is told when it ends. */
export const UNWATCHED: Watch = 0;
/** @internal The observer was told it started, without a time. */
export const WATCHED: Watch = 1;
/** @internal The observer was told it started, with a time: it is told the end time too. */
export const TIMED: Watch = 2;

/**
 * @internal The observers attached to one broker, seen by the delivery loops as one
 * (`current`, `undefined` while there is none), and the sampling that times one handler call
 * in `sampleEvery`.
 */
export class Observers<T> {
  /** What the delivery loops call: the attached observers as one, or `undefined`. */
  current: BrokerObserver<T> | undefined = undefined;
  #attached: BrokerObserver<T>[] = [];
  /** Handler calls until the next timed one. */
  #countdown = 1;
  #sampleEvery = 1;

  /** @param onError - where an observer's throw goes. */
  constructor(private readonly onError: (error: unknown) => void) {}

  /**
   * @returns a function that detaches `observer` (safe to call twice).
   * @throws RangeError (`ERR_OUT_OF_RANGE`) when `observer.sampleEvery` is not an integer >= 1
   *   (TypeError `ERR_INVALID_ARG_TYPE` when it is not a number).
   */
  attach(observer: BrokerObserver<T>): () => void {
    requireNumber('observer.sampleEvery', observer.sampleEvery ?? 1, COUNT_FROM_1);
    this.#attached.push(observer);
    this.#rebuild();
    return () => {
      const index = this.#attached.indexOf(observer);
      if (index < 0) return;
      this.#attached.splice(index, 1);
      this.#rebuild();
    };
  }

  /**
   * Tells `observer` that a handler call (or stream read) of `delivery` starts, timed when it
   * is one of the `sampleEvery` and was published while observed (stamped).
   */
  begin(observer: BrokerObserver<T>, subscription: Subscription<T>, delivery: Delivery<T>): Watch {
    // Published before the observer came: no stamp to time it from.
    if (Number.isNaN(delivery.publishedAt) || --this.#countdown > 0) {
      observer.started(subscription, delivery, undefined);
      return WATCHED;
    }
    this.#countdown = this.#sampleEvery;
    observer.started(subscription, delivery, performance.now());
    return TIMED;
  }

  /** The call begun with `watch` ended: the current observer (if any, and if it was watched) is told. */
  end(subscription: Subscription<T>, delivery: Delivery<T> | undefined, watch: Watch, failed: boolean): void {
    if (watch === UNWATCHED || delivery === undefined) return;
    this.current?.finished(subscription, delivery, watch === TIMED ? performance.now() : undefined, failed);
  }

  #rebuild(): void {
    const attached = this.#attached;
    if (attached.length === 0) {
      this.current = undefined;
      this.#sampleEvery = 1;
    } else {
      const set = new ObserverSet<T>([...attached], this.onError);
      this.current = set;
      this.#sampleEvery = set.sampleEvery;
    }
    this.#countdown = 1;
  }
}
