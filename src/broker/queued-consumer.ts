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

/** A drained ring larger than this is replaced by a small one, so an idle subscriber stays small. */
const MAX_KEPT_RING = 1024;

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
  // Declared in the order a publish reads them, so a push touches one cache line of this
  // object (V8 lays fields out in the order they are first assigned).
  /** Set by `close()`: the subscription ended. */
  closed = false;
  /** The full queue, or `undefined` for the light one below. */
  private readonly queue: BoundedQueue<Delivery<T>> | undefined;
  /** The light queue: a ring of `mask + 1` slots (a power of two) from `head`, `count` long. */
  private count = 0;
  private readonly maxItems: number;
  private mask = INITIAL_RING - 1;
  private ring: (Delivery<T> | undefined)[];
  private head = 0;
  private scheduled = false;
  private inFlight = 0;
  private readonly dropOldest: boolean;
  private droppedTotal = 0;
  private readonly handler: Handler<T>;
  private readonly concurrency: number;
  private readonly host: ConsumerHost<T>;
  private readonly scheduler: DrainScheduler;

  constructor(
    queue: BoundedQueue<Delivery<T>> | ItemBound,
    handler: Handler<T>,
    concurrency: number,
    host: ConsumerHost<T>,
    scheduler: DrainScheduler,
  ) {
    if ('dropOldest' in queue) {
      this.queue = undefined;
      this.maxItems = queue.maxItems;
      this.ring = new Array<Delivery<T> | undefined>(INITIAL_RING);
      this.dropOldest = queue.dropOldest;
    } else {
      this.queue = queue;
      this.maxItems = 0;
      this.ring = [];
      this.dropOldest = false;
    }
    this.handler = handler;
    this.concurrency = concurrency;
    this.host = host;
    this.scheduler = scheduler;
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
    const head = this.head;
    const delivery = this.ring[head];
    this.head = (head + 1) & this.mask;
    this.count = count - 1;
    // Taken slots are not cleared one by one: the ring is replaced when it drains, and
    // until then a slot is overwritten when the ring wraps (at most `mask + 1` stale).
    if (count === 1) this.renew();
    return delivery;
  }

  /**
   * The ring drained: a fresh one of the same size (a large one shrinks). Why a fresh one:
   * an array allocated during the burst is young, and V8 stores a young delivery into a young
   * array without the write barrier it runs for an old one (measured: 25% of a 1,000-subscriber
   * fan-out went to that barrier with a long-lived ring).
   */
  private renew(): void {
    const size = this.ring.length > MAX_KEPT_RING ? INITIAL_RING : this.ring.length;
    this.ring = new Array<Delivery<T> | undefined>(size);
    this.mask = size - 1;
    this.head = 0;
  }

  /** Doubles the ring, unrolling it so the oldest delivery is at slot 0. */
  private grow(): void {
    const ring = this.ring;
    const size = ring.length;
    const next = new Array<Delivery<T> | undefined>(size * 2);
    for (let i = 0; i < size; i++) next[i] = ring[(this.head + i) & this.mask];
    this.ring = next;
    this.mask = size * 2 - 1;
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
