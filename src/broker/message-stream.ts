/**
 * A subscription consumed with `for await`: messages wait in its bounded queue until the
 * loop asks for them.
 *
 * @module
 */
import type { BoundedQueueStats } from '../flow/bounded-queue.js';
import { InvalidStateError } from '../errors.js';
import type { Delivery, DeliverySink, DeliveryTarget, SubscriptionQueueOptions } from './delivery.js';
import { DeliveryRing, type DeliveryBuffer } from './delivery-ring.js';
import { createSubscriberQueue } from './delivery-queue.js';
import type { ConsumerHost } from './queued-consumer.js';
import type { Subscription } from './subscription.js';

type Waiter<T> = {
  resolve: (result: IteratorResult<Delivery<T>, undefined>) => void;
  reject: (error: unknown) => void;
};

/**
 * An async iterator over the messages of one subscription, made by
 * {@link PubSubBroker.stream}. Messages wait in a bounded queue with the usual policies while
 * the loop body runs. Leaving the loop (`break`, `return`, a throw), aborting the stream's
 * signal or ending {@link MessageStream.subscription} ends the stream; a stream whose queue
 * overflowed under the `'disconnect'` policy throws the {@link SlowConsumerError} from the
 * loop (the messages it had queued are counted as dropped).
 *
 * @example
 * ```ts
 * for await (const { topic, message } of broker.stream('logs/*\/ERROR', { maxItems: 100 })) {
 *   await alert(topic, message);
 * }
 * ```
 */
export interface MessageStream<T> extends AsyncIterableIterator<Delivery<T>>, AsyncDisposable {
  /** The subscription behind the stream; ending it ends the stream. */
  readonly subscription: Subscription<T>;
  /** Messages waiting to be read. */
  readonly pending: number;
  /** Messages dropped so far by the queue's policy (and at the end, unread). */
  readonly dropped: number;
  /** The queue's counters. */
  stats(): BoundedQueueStats;
  /**
   * Resolves with the next message, or `done` once the stream has ended.
   *
   * @throws {@link InvalidStateError} (as a rejection) when called again before the previous call settled.
   */
  next(): Promise<IteratorResult<Delivery<T>, undefined>>;
  /** Ends the stream and its subscription; `for await` calls it when the loop is left. */
  return(): Promise<IteratorResult<Delivery<T>, undefined>>;
}

/** @internal The stream behind {@link MessageStream}: also the sink its subscription delivers to. */
export class QueuedStream<T> implements MessageStream<T>, DeliverySink<T> {
  /** The subscription behind the stream; ending it ends the stream. */
  readonly subscription: Subscription<T>;
  private readonly queue: DeliveryBuffer<T>;
  private waiter: Waiter<T> | undefined = undefined;
  /** @internal `true` once the stream has ended (a field: every publish to it reads it). */
  closed = false;
  private failure: Error | undefined = undefined;
  private readonly host: ConsumerHost<T>;
  /**
   * @internal What a publish pushes to: the stream's light ring itself when it has one (it
   * tells the stream when it fills, and the stream hands that message to a waiting read), so
   * the broker's delivery loop sees one kind of target for queued subscribers and streams.
   */
  readonly pushTarget: DeliveryTarget<T>;

  constructor(subscription: Subscription<T>, options: SubscriptionQueueOptions<T>, host: ConsumerHost<T>) {
    this.subscription = subscription;
    this.host = host;
    this.queue = createSubscriberQueue(options, host, host.pending, () => this.handOver());
    this.pushTarget = this.queue instanceof DeliveryRing ? this.queue : this;
  }

  get queued(): number {
    return this.queue.length;
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Messages dropped so far by the queue's policy (and at the end, unread). */
  get dropped(): number {
    return this.queue.dropped;
  }

  /** The queue's counters. */
  stats(): BoundedQueueStats {
    return this.queue.stats();
  }

  /**
   * @internal Queues, then lets a waiting read take it: the same hand-over as when the light
   * ring reports that it filled, so a message counts the same in `stats()` whichever way it
   * came in.
   */
  push(delivery: Delivery<T>): boolean {
    if (!this.queue.push(delivery)) return false;
    this.handOver();
    return true;
  }

  /** @internal called by the broker when the subscription ends */
  close(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.failure = error;
    // What is unread is discarded and counted (an overflowed queue has done so already).
    this.queue.close();
    const waiter = this.waiter;
    if (waiter === undefined) return;
    this.waiter = undefined;
    if (error === undefined) waiter.resolve({ value: undefined, done: true });
    else waiter.reject(error);
  }

  /** Resolves with the next message, or `done` once the stream has ended. */
  next(): Promise<IteratorResult<Delivery<T>, undefined>> {
    const delivery = this.queue.shift();
    if (delivery !== undefined) {
      this.read(delivery);
      return Promise.resolve({ value: delivery, done: false });
    }
    if (this.closed) {
      const failure = this.failure;
      if (failure !== undefined) {
        this.failure = undefined;
        return Promise.reject(failure);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    if (this.waiter !== undefined) {
      return Promise.reject(new InvalidStateError('MessageStream.next() called again before the previous call settled'));
    }
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** Ends the stream and its subscription; `for await` calls it when the loop is left. */
  return(): Promise<IteratorResult<Delivery<T>, undefined>> {
    this.subscription.unsubscribe();
    this.close();
    this.failure = undefined;
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Something was queued: a read that is waiting takes the oldest message now. */
  private handOver(): void {
    const waiter = this.waiter;
    if (waiter === undefined) return;
    const delivery = this.queue.shift();
    if (delivery === undefined) return;
    this.waiter = undefined;
    this.read(delivery);
    waiter.resolve({ value: delivery, done: false });
  }

  /** A read counts as a delivery: begun and finished at once. */
  private read(delivery: Delivery<T>): void {
    const host = this.host;
    if (host.observed()) host.finish(delivery, host.begin(delivery), false, undefined);
    else host.completed(1);
  }

  /** Lets `for await` consume the stream. */
  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Ends the stream; lets `await using` end it. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }
}
