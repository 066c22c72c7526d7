/**
 * Drains a subscriber's bounded queue into its handler, asynchronously, so a slow handler
 * only ever fills its own queue.
 *
 * @module
 */
import type { BoundedQueue, DropReason } from '../flow/bounded-queue.js';
import type { Delivery, DeliverySink } from './delivery.js';
import type { SlowConsumerError } from '../flow/slow-consumer-error.js';
import type { Handler } from './subscription.js';

/** @internal What a queued consumer tells its broker. */
export interface ConsumerHost<T> {
  /** A handler threw or rejected. */
  failed(error: unknown, topic: string): void;
  /** The queue dropped messages. */
  dropped(count: number, reason: DropReason): void;
  /** The queue overflowed under the `'disconnect'` policy. */
  overflowed(error: SlowConsumerError): void;
  /** A handler call (or a stream read) begins; `true` when it is being timed. */
  started(delivery: Delivery<T>): boolean;
  /** A timed handler call ends. */
  finished(delivery: Delivery<T>): void;
}

/** @internal Forwards a subscriber queue's drops and overflow to its broker. */
export function reportQueueTo<T>(queue: BoundedQueue<Delivery<T>>, host: ConsumerHost<T>): void {
  queue.on('drop', (count, reason) => host.dropped(count, reason));
  queue.on('overflow', (error) => host.overflowed(error));
}

/**
 * Deliveries handed to the handler per turn of the event loop, so a long queue yields to
 * I/O. Large enough that a burst of a few hundred costs one wake-up, not several.
 */
const BATCH = 256;

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

/** @internal */
export class QueuedConsumer<T> implements DeliverySink<T> {
  private inFlight = 0;
  private scheduled = false;
  private closed = false;
  private readonly run = (): void => this.drain();
  private settled(): void {
    this.inFlight--;
    this.schedule();
  }

  constructor(
    private readonly queue: BoundedQueue<Delivery<T>>,
    private readonly handler: Handler<T>,
    private readonly concurrency: number,
    private readonly host: ConsumerHost<T>,
  ) {
    reportQueueTo(queue, host);
  }

  get pending(): number {
    return this.queue.length;
  }

  get dropped(): number {
    return this.queue.dropped;
  }

  push(delivery: Delivery<T>): boolean {
    const accepted = this.queue.push(delivery);
    if (accepted) this.schedule();
    return accepted;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.close();
  }

  private schedule(): void {
    if (this.scheduled || this.closed || this.inFlight >= this.concurrency || this.queue.length === 0) return;
    this.scheduled = true;
    // One wake-up per batch, not per message: a publish costs a push.
    setImmediate(this.run);
  }

  private drain(): void {
    this.scheduled = false;
    for (let budget = BATCH; budget > 0 && !this.closed && this.inFlight < this.concurrency; budget--) {
      const delivery = this.queue.shift();
      if (delivery === undefined) break;
      this.invoke(delivery);
    }
    this.schedule();
  }

  private invoke(delivery: Delivery<T>): void {
    const host = this.host;
    let result: unknown;
    const timed = host.started(delivery);
    try {
      result = this.handler(delivery.message, delivery.topic);
    } catch (error) {
      host.failed(error, delivery.topic);
      if (timed) host.finished(delivery);
      return;
    }
    if (result !== undefined && isThenable(result)) {
      this.inFlight++;
      result.then(
        () => {
          if (timed) host.finished(delivery);
          this.settled();
        },
        (error: unknown) => {
          host.failed(error, delivery.topic);
          if (timed) host.finished(delivery);
          this.settled();
        },
      );
    } else if (timed) {
      host.finished(delivery);
    }
  }
}
