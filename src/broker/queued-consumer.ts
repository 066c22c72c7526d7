/**
 * Drains a subscriber's bounded queue into its handler, asynchronously, so a slow handler
 * only ever fills its own queue.
 *
 * @module
 */
import { UNWATCHED, type Watch } from './broker-observer.js';
import type { Delivery, DeliverySink, DeliveryTarget, SubscriptionQueueOptions } from './delivery.js';
import { DeliveryRing, type DeliveryBuffer } from './delivery-ring.js';
import { createSubscriberQueue, type QueueReports } from './delivery-queue.js';
import type { DrainScheduler } from './drain-scheduler.js';
import type { PendingWork } from './pending-work.js';
import { isThenable, type Handler } from './subscription.js';

/**
 * @internal What a queued consumer (or stream) tells its broker. Every delivery in its queue
 * is pending from the moment the queue took it (see {@link PendingWork}); each one the
 * consumer takes out ends with exactly one `completed` count or one `finish`.
 */
export interface ConsumerHost<T> extends QueueReports {
  /** The broker's pending count, kept in step by the queue. */
  readonly pending: PendingWork;
  /**
   * Whether handler calls must go through `begin`/`finish` (an observer is attached); when
   * not, a drain counts its plain completions itself and reports them with `completed`.
   */
  observed(): boolean;
  /** `count` handler calls returned normally, unobserved. */
  completed(count: number): void;
  /** A handler call (or a stream read) begins under the observer: whether and how it is watched. */
  begin(delivery: Delivery<T>): Watch;
  /** A handler call ended (for an async handler, when its promise settled): `failed` with `error`, or not. */
  finish(delivery: Delivery<T>, watch: Watch, failed: boolean, error: unknown): void;
}

/**
 * Deliveries handed to the handler per turn of the event loop, so a long queue yields to
 * I/O. Large enough that a burst of a few hundred costs one wake-up, not several.
 */
const BATCH = 256;

/**
 * A queued subscriber: its queue, and the drain that hands the queue to the handler one
 * batch per turn of the event loop (through the broker's {@link DrainScheduler}).
 *
 * @internal
 */
export class QueuedConsumer<T> implements DeliverySink<T> {
  /** Set by `close()`: the subscription ended. */
  closed = false;
  readonly pushTarget: DeliveryTarget<T>;
  private scheduled = false;
  private inFlight = 0;
  private readonly queue: DeliveryBuffer<T>;

  constructor(
    options: SubscriptionQueueOptions<T>,
    private readonly handler: Handler<T>,
    private readonly concurrency: number,
    private readonly host: ConsumerHost<T>,
    private readonly scheduler: DrainScheduler,
  ) {
    this.queue = createSubscriberQueue(options, host, host.pending, () => this.schedule());
    // A light ring tells this consumer when it fills, so a publish can push to it directly.
    this.pushTarget = this.queue instanceof DeliveryRing ? this.queue : this;
  }

  get queued(): number {
    return this.queue.length;
  }

  get pending(): number {
    return this.queued + this.inFlight;
  }

  get dropped(): number {
    return this.queue.dropped;
  }

  push(delivery: Delivery<T>): boolean {
    if (!this.queue.push(delivery)) return false;
    this.schedule();
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.close();
  }

  /**
   * @internal called by the scheduler: hands up to a batch of deliveries to the handler.
   * Unobserved, plain completions are counted here and reported once per batch.
   */
  drain(): void {
    this.scheduled = false;
    const host = this.host;
    const observed = host.observed();
    let completed = 0;
    try {
      for (let budget = BATCH; budget > 0 && !this.closed && this.inFlight < this.concurrency; budget--) {
        const delivery = this.queue.shift();
        if (delivery === undefined) break;
        if (observed) this.invoke(delivery);
        else if (this.call(delivery)) completed++;
      }
    } finally {
      if (completed > 0) host.completed(completed);
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.closed || this.inFlight >= this.concurrency || this.queued === 0) return;
    this.scheduled = true;
    // One wake-up per batch, not per message: a publish costs a push.
    this.scheduler.add(this);
  }

  /**
   * An unobserved handler call.
   *
   * @returns `true` when it returned normally without a promise (the caller counts it); a
   * throw is reported and a promise tracked here.
   */
  private call(delivery: Delivery<T>): boolean {
    let result: unknown;
    const handler = this.handler;
    try {
      result = handler(delivery.message, delivery.topic);
    } catch (error) {
      this.host.finish(delivery, UNWATCHED, true, error);
      return false;
    }
    if (result === undefined || !isThenable(result)) return true;
    this.track(result, delivery, UNWATCHED);
    return false;
  }

  private invoke(delivery: Delivery<T>): void {
    const host = this.host;
    let result: unknown;
    const watch = host.begin(delivery);
    const handler = this.handler;
    try {
      result = handler(delivery.message, delivery.topic);
    } catch (error) {
      host.finish(delivery, watch, true, error);
      return;
    }
    if (result !== undefined && isThenable(result)) this.track(result, delivery, watch);
    else host.finish(delivery, watch, false, undefined);
  }

  /** An async handler call: holds a concurrency slot until it settles. */
  private track(result: PromiseLike<unknown>, delivery: Delivery<T>, watch: Watch): void {
    const host = this.host;
    this.inFlight++;
    const settled = (failed: boolean, error: unknown): void => {
      this.inFlight--;
      host.finish(delivery, watch, failed, error);
      this.schedule();
    };
    try {
      result.then(
        () => settled(false, undefined),
        (error: unknown) => settled(true, error),
      );
    } catch (error) {
      // A thenable whose then() throws never settles: the call failed now.
      settled(true, error);
    }
  }
}
