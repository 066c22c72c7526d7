/**
 * What became of every message offered to a subscriber: the broker's counters, its pending
 * work and its observers, and the one place where a handler call's outcome is settled.
 *
 * @module
 */
import type { DropReason } from '../flow/bounded-queue.js';
import { reportError, type SlowConsumerError } from '../errors.js';
import { Observers, UNWATCHED, type BrokerObserver, type Watch } from './broker-observer.js';
import type { Delivery } from './delivery.js';
import { PendingWork } from './pending-work.js';
import type { ConsumerHost } from './queued-consumer.js';
import { SubscriptionRegistry } from './subscription-registry.js';
import { isThenable, type SubscriptionRecord } from './subscription.js';

/**
 * The broker's books. Every offered message ends up in exactly one of `delivered`, `errors`,
 * `dropped` and `pending`, whichever path it took: a plain handler called from `publish`
 * (counted by the delivery loop when it returns), a handler that returned a promise, or a
 * queued subscriber or stream. Every handler call that did not complete on the spot ends in
 * {@link DeliveryLedger.finish}, so the counting, the observer's `finished` and the pending
 * count are written once.
 *
 * The second layer of `PubSubBroker` (see {@link SubscriptionRegistry} for why the layers are
 * one object).
 */
export abstract class DeliveryLedger<T> extends SubscriptionRegistry<T> {
  /** @internal */
  protected offered = 0;
  /** @internal */
  protected delivered = 0;
  /** @internal */
  protected errors = 0;
  /** @internal */
  protected dropped = 0;
  /** @internal */
  protected slowConsumers = 0;
  /** @internal Messages accepted and not finished (what `drain()` waits on). */
  protected readonly pendingWork = new PendingWork();
  /** @internal The attached observers as one, or `undefined`: what the delivery loops check per publish. */
  protected observer: BrokerObserver<T> | undefined = undefined;
  private readonly observers = new Observers<T>((error) => this.report(error, '', undefined));

  /**
   * @internal Attaches an observer (see `PubSubBroker.observe`).
   *
   * @returns a function that detaches it (safe to call twice).
   * @throws RangeError when `observer.sampleEvery` is not an integer >= 1.
   */
  protected attachObserver(observer: BrokerObserver<T>): () => void {
    const detach = this.observers.attach(observer);
    this.observer = this.observers.current;
    return () => {
      detach();
      this.observer = this.observers.current;
    };
  }

  /**
   * @internal Calls a plain handler, unobserved.
   *
   * @returns `true` when it returned without throwing and without a promise (the caller
   * counts it as delivered); a throw is counted here, a promise when it settles.
   */
  protected call(sub: SubscriptionRecord<T>, message: T, topic: string): boolean {
    try {
      const handler = sub.handler;
      const result = handler(message, topic);
      if (result === undefined || !isThenable(result)) return true;
      this.track(result, sub, topic, undefined, UNWATCHED);
    } catch (error) {
      // A throw, or a returned thenable that could not be tracked (its then() threw).
      this.fail(error, topic, sub);
    }
    return false;
  }

  /** @internal Calls a plain handler with the observer told before and after; counts the outcome itself. */
  protected callObserved(observer: BrokerObserver<T>, sub: SubscriptionRecord<T>, delivery: Delivery<T>): void {
    const watch = this.observers.begin(observer, sub, delivery);
    let result: unknown;
    try {
      const handler = sub.handler;
      result = handler(delivery.message, delivery.topic);
    } catch (error) {
      this.fail(error, delivery.topic, sub);
      this.observers.end(sub, delivery, watch, true);
      return;
    }
    if (result !== undefined && isThenable(result)) {
      try {
        this.track(result, sub, delivery.topic, delivery, watch);
      } catch (error) {
        this.fail(error, delivery.topic, sub);
        this.observers.end(sub, delivery, watch, true);
      }
      return;
    }
    this.delivered++;
    this.observers.end(sub, delivery, watch, false);
  }

  /**
   * @internal The promise a plain handler returned: pending until it settles, then finished.
   *
   * @throws what its `then()` throws (it will never settle: the caller counts a failure).
   */
  protected track(result: PromiseLike<unknown>, sub: SubscriptionRecord<T>, topic: string, delivery: Delivery<T> | undefined, watch: Watch): void {
    this.pendingWork.add(1);
    try {
      result.then(
        () => this.finish(sub, topic, delivery, watch, false, undefined),
        (error: unknown) => this.finish(sub, topic, delivery, watch, true, error),
      );
    } catch (error) {
      this.pendingWork.settle(1);
      throw error;
    }
  }

  /**
   * @internal A pending handler call (or stream read) ended, `failed` with `error` or not: counted, told
   * to the observer that watched it begin, and settled.
   */
  protected finish(sub: SubscriptionRecord<T>, topic: string, delivery: Delivery<T> | undefined, watch: Watch, failed: boolean, error: unknown): void {
    if (failed) this.fail(error, topic, sub);
    else this.delivered++;
    this.observers.end(sub, delivery, watch, failed);
    this.pendingWork.settle(1);
  }

  /** @internal `count` pending handler calls returned normally, unobserved. */
  protected completed(count: number): void {
    this.delivered += count;
    this.pendingWork.settle(count);
  }

  /** @internal A subscriber's queue dropped `count` messages (what was queued is settled by the queue). */
  protected droppedBy(sub: SubscriptionRecord<T>, count: number, reason: DropReason): void {
    this.dropped += count;
    this.observer?.dropped(sub, count, reason);
    this.emit('drop', sub, count, reason);
  }

  /** @internal A subscriber's queue overflowed under `'disconnect'`: the subscription ends, and it is reported. */
  protected overflowed(sub: SubscriptionRecord<T>, error: SlowConsumerError): void {
    this.slowConsumers++;
    this.end(sub, 'slow-consumer', error);
    this.report(error, sub.pattern, sub);
  }

  /** @internal A handler call failed: counted in `errors`, then reported. */
  protected fail(error: unknown, topic: string, sub: SubscriptionRecord<T>): void {
    this.errors++;
    this.report(error, topic, sub);
  }

  /** @internal Reports a failure as the broker's `'error'` (counted by the caller). */
  protected report(error: unknown, topic: string, sub: SubscriptionRecord<T> | undefined): void {
    reportError(this, 'PubSubBroker', error, topic, sub);
  }

  /** @internal A queued handler call (or stream read) of `sub` begins: the observer, if any, is told. */
  protected begin(sub: SubscriptionRecord<T>, delivery: Delivery<T>): Watch {
    const observer = this.observer;
    return observer === undefined ? UNWATCHED : this.observers.begin(observer, sub, delivery);
  }

  /** @internal What a queued subscriber or stream of `sub` reports to: these books, with its subscription. */
  protected hostFor(sub: SubscriptionRecord<T>): ConsumerHost<T> {
    return {
      pending: this.pendingWork,
      observed: () => this.observer !== undefined,
      completed: (count) => this.completed(count),
      begin: (delivery) => this.begin(sub, delivery),
      finish: (delivery, watch, failed, error) => this.finish(sub, delivery.topic, delivery, watch, failed, error),
      dropped: (count, reason) => this.droppedBy(sub, count, reason),
      overflowed: (error) => this.overflowed(sub, error),
    };
  }
}
