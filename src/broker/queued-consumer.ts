/**
 * Drains a subscriber's bounded queue into its handler, asynchronously, so a slow handler
 * only ever fills its own queue.
 *
 * @module
 */
import type { BoundedQueue, DropReason } from '../flow/bounded-queue.js';
import type { SlowConsumerError } from '../errors.js';
import type { Delivery, DeliverySink } from './delivery.js';
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
 * @internal The queue of a subscriber whose options ask for nothing but an item bound under
 * `'drop-newest'` or `'drop-oldest'` (the defaults do): kept inside the consumer itself.
 */
export interface ItemBound {
  readonly maxItems: number;
  readonly dropOldest: boolean;
}

/** Slots of a light queue's ring to start with; it doubles as a burst needs, up to `maxItems`. */
const INITIAL_RING = 16;

/** A ring this large or larger is given back when it drains, so an idle subscriber stays small. */
const SHRINK_FROM = 256;

/**
 * A queued subscriber: its queue, and the drain that hands the queue to the handler one
 * batch per turn of the event loop (through the broker's {@link DrainScheduler}).
 *
 * Two kinds of queue. With the common options ({@link ItemBound}) the queue is a plain array
 * with a read index inside this object: same semantics as a {@link BoundedQueue} with those
 * options (drops counted and reported with the same reasons) without what no subscriber
 * observes (events, byte and priority bookkeeping, pause state). Why: a publish to 1,000
 * queued subscribers is 1,000 pushes, and each is then one array append on this object
 * instead of a walk through a queue, its emitter and its denque. Any other options get a
 * full {@link BoundedQueue}.
 *
 * @internal
 */
export class QueuedConsumer<T> implements DeliverySink<T> {
  /** Set by `close()`: the subscription ended. */
  closed = false;
  private inFlight = 0;
  private scheduled = false;
  /** The full queue, or `undefined` for the light one below. */
  private readonly queue: BoundedQueue<Delivery<T>> | undefined;
  /** The light queue: a ring of `mask + 1` slots (a power of two) from `head`, `count` long. */
  private ring: (Delivery<T> | undefined)[] = new Array<Delivery<T> | undefined>(INITIAL_RING).fill(undefined);
  private mask = INITIAL_RING - 1;
  private head = 0;
  private count = 0;
  private readonly maxItems: number;
  private readonly dropOldest: boolean;
  private droppedTotal = 0;

  constructor(
    queue: BoundedQueue<Delivery<T>> | ItemBound,
    private readonly handler: Handler<T>,
    private readonly concurrency: number,
    private readonly host: ConsumerHost<T>,
    private readonly scheduler: DrainScheduler,
  ) {
    if ('dropOldest' in queue) {
      this.queue = undefined;
      this.maxItems = queue.maxItems;
      this.dropOldest = queue.dropOldest;
    } else {
      this.queue = queue;
      this.maxItems = 0;
      this.dropOldest = false;
    }
  }

  get queued(): number {
    return this.queue === undefined ? this.count : this.queue.length;
  }

  get pending(): number {
    return this.queued + this.inFlight;
  }

  get dropped(): number {
    return this.queue === undefined ? this.droppedTotal : this.queue.dropped;
  }

  push(delivery: Delivery<T>): boolean {
    const queue = this.queue;
    if (queue === undefined) {
      const count = this.count;
      if (count >= this.maxItems || this.closed) return this.pushFull(delivery);
      if (count > this.mask) this.grow();
      this.ring[(this.head + count) & this.mask] = delivery;
      this.count = count + 1;
    } else if (!queue.push(delivery)) {
      return false;
    }
    if (!this.scheduled) this.schedule();
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const queue = this.queue;
    if (queue !== undefined) {
      queue.close();
      return;
    }
    const discarded = this.count;
    this.ring = [];
    this.mask = -1;
    this.head = 0;
    this.count = 0;
    if (discarded > 0) this.drop(discarded, 'closed');
  }

  /** @internal called by the scheduler: hands up to a batch of deliveries to the handler. */
  drain(): void {
    this.scheduled = false;
    if (this.host.observed()) {
      for (let budget = BATCH; budget > 0 && !this.closed && this.inFlight < this.concurrency; budget--) {
        const delivery = this.shift();
        if (delivery === undefined) break;
        this.invoke(delivery);
      }
    } else {
      this.drainUnobserved();
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
   * The drain loop with nothing to tell per call: plain completions are counted here and
   * reported once; a throw or a promise takes the general path for that call.
   */
  private drainUnobserved(): void {
    const handler = this.handler;
    let completed = 0;
    try {
      for (let budget = BATCH; budget > 0 && !this.closed && this.inFlight < this.concurrency; budget--) {
        const delivery = this.shift();
        if (delivery === undefined) break;
        let result: unknown;
        try {
          result = handler(delivery.message, delivery.topic);
        } catch (error) {
          this.host.end(delivery, false, false, true, error);
          continue;
        }
        if (result !== undefined && isThenable(result)) this.track(result, delivery, false);
        else completed++;
      }
    } finally {
      if (completed > 0) this.host.completed(completed);
    }
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

  /** The oldest queued delivery, taken out. */
  private shift(): Delivery<T> | undefined {
    if (this.queue !== undefined) return this.queue.shift();
    const count = this.count;
    if (count === 0) return undefined;
    const ring = this.ring;
    const head = this.head;
    const delivery = ring[head];
    ring[head] = undefined;
    this.head = (head + 1) & this.mask;
    this.count = count - 1;
    if (count === 1 && ring.length >= SHRINK_FROM) this.shrink();
    return delivery;
  }

  /** Doubles the ring, unrolling it so the oldest delivery is at slot 0. */
  private grow(): void {
    const ring = this.ring;
    const size = ring.length;
    const next = new Array<Delivery<T> | undefined>(size * 2).fill(undefined);
    for (let i = 0; i < size; i++) next[i] = ring[(this.head + i) & this.mask];
    this.ring = next;
    this.mask = size * 2 - 1;
    this.head = 0;
  }

  /** A drained large ring is given back: bursts are rare for most subscribers. */
  private shrink(): void {
    this.ring = new Array<Delivery<T> | undefined>(INITIAL_RING).fill(undefined);
    this.mask = INITIAL_RING - 1;
    this.head = 0;
  }

  /** The light queue is full (or closed): refuse, or evict the oldest under `'drop-oldest'`. */
  private pushFull(delivery: Delivery<T>): boolean {
    if (this.closed) {
      this.drop(1, 'closed');
      return false;
    }
    if (!this.dropOldest) {
      this.drop(1, 'drop-newest');
      return false;
    }
    this.shift();
    this.push(delivery);
    this.drop(1, 'drop-oldest');
    return true;
  }

  private drop(count: number, reason: DropReason): void {
    this.droppedTotal += count;
    this.host.dropped(count, reason);
  }
}
