/**
 * Drains a subscriber's bounded queue into its handler, asynchronously, so a slow handler
 * only ever fills its own queue.
 *
 * @module
 */
import type { DropReason } from '../flow/bounded-queue.js';
import type { SlowConsumerError } from '../errors.js';
import type { Delivery, DeliverySink, DeliveryTarget, SubscriptionQueueOptions } from './delivery.js';
import { DeliveryRing, type DeliveryBuffer } from './delivery-ring.js';
import { createSubscriberQueue } from './delivery-queue.js';
import type { DrainScheduler } from './drain-scheduler.js';
import type { Handler } from './subscription.js';

/** @internal What a queued consumer (or stream) tells its broker. */
export interface ConsumerHost<T> {
  /**
   * Whether handler calls must go through `begin`/`end` (an observer is attached); when not,
   * a drain counts its plain completions itself and reports them with `completed`.
   */
  observed(): boolean;
  /** `count` handler calls returned normally, unobserved. */
  completed(count: number): void;
  /** A handler call (or a stream read) begins; `true` when it is being timed. */
  begin(delivery: Delivery<T>): boolean;
  /** The handler returned a promise: the call is in flight until `end`. */
  awaiting(): void;
  /**
   * A handler call begun with `begin` ended: `failed` with `error`, or not. `async` when
   * `awaiting` was called for it.
   */
  end(delivery: Delivery<T>, timed: boolean, async: boolean, failed: boolean, error: unknown): void;
  /** The queue dropped messages. */
  dropped(count: number, reason: DropReason): void;
  /** The queue overflowed under the `'disconnect'` policy. */
  overflowed(error: SlowConsumerError): void;
}

/**
 * Deliveries handed to the handler per turn of the event loop, so a long queue yields to
 * I/O. Large enough that a burst of a few hundred costs one wake-up, not several.
 */
const BATCH = 256;

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

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
    this.queue = createSubscriberQueue(options, host, () => this.schedule());
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
    try {
      result = this.handler(delivery.message, delivery.topic);
    } catch (error) {
      this.host.end(delivery, false, false, true, error);
      return false;
    }
    if (result === undefined || !isThenable(result)) return true;
    this.track(result, delivery, false);
    return false;
  }

  private invoke(delivery: Delivery<T>): void {
    const host = this.host;
    let result: unknown;
    const timed = host.begin(delivery);
    try {
      result = this.handler(delivery.message, delivery.topic);
    } catch (error) {
      host.end(delivery, timed, false, true, error);
      return;
    }
    if (result !== undefined && isThenable(result)) this.track(result, delivery, timed);
    else host.end(delivery, timed, false, false, undefined);
  }

  /** An async handler call: holds a concurrency slot until it settles. */
  private track(result: PromiseLike<unknown>, delivery: Delivery<T>, timed: boolean): void {
    const host = this.host;
    this.inFlight++;
    host.awaiting();
    result.then(
      () => {
        this.inFlight--;
        host.end(delivery, timed, true, false, undefined);
        this.schedule();
      },
      (error: unknown) => {
        this.inFlight--;
        host.end(delivery, timed, true, true, error);
        this.schedule();
      },
    );
  }
}
