/**
 * Drains a subscriber's bounded queue into its handler, asynchronously, so a slow handler
 * only ever fills its own queue.
 *
 * @module
 */
import type { BoundedQueue, DropReason } from '../flow/bounded-queue.js';
import type { SlowConsumerError } from '../errors.js';
import type { Delivery, DeliverySink } from './delivery.js';
import type { Handler } from './subscription.js';

/** @internal What a queued consumer (or stream) tells its broker. */
export interface ConsumerHost<T> {
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

  constructor(
    private readonly queue: BoundedQueue<Delivery<T>>,
    private readonly handler: Handler<T>,
    private readonly concurrency: number,
    private readonly host: ConsumerHost<T>,
  ) {
    reportQueueTo(queue, host);
  }

  get queued(): number {
    return this.queue.length;
  }

  get pending(): number {
    return this.queue.length + this.inFlight;
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
    const timed = host.begin(delivery);
    try {
      result = this.handler(delivery.message, delivery.topic);
    } catch (error) {
      host.end(delivery, timed, false, true, error);
      return;
    }
    if (result !== undefined && isThenable(result)) {
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
    } else {
      host.end(delivery, timed, false, false, undefined);
    }
  }
}
