/**
 * The light queue in front of a queued subscriber or stream whose options ask only for an
 * item bound.
 *
 * @module
 */
import { noDrops, type BoundedQueueStats, type DropReason } from '../flow/bounded-queue-options.js';
import type { Delivery } from './delivery.js';
import type { PendingWork } from './pending-work.js';

/** @internal Where a subscriber queue reports what it dropped. */
export interface DropSink {
  dropped(count: number, reason: DropReason): void;
}

/** @internal The owner of a {@link DeliveryRing}: hears its drops and when it has work. */
export interface RingOwner extends DropSink {
  /** The ring went from empty to not empty. */
  filled(): void;
}

/** @internal What consumers need of a queue: a {@link DeliveryRing} or a `BoundedQueue`. */
export interface DeliveryBuffer<T> {
  readonly length: number;
  readonly dropped: number;
  push(delivery: Delivery<T>): boolean;
  shift(): Delivery<T> | undefined;
  close(): void;
  stats(): BoundedQueueStats;
}

/** Slots to start with; the ring doubles as a burst needs, up to the bound. */
const INITIAL_RING = 16;

/** A drained ring larger than this is replaced by a small one, so an idle subscriber stays small. */
const MAX_KEPT_RING = 1024;

/**
 * A subscriber queue bounded in items only, under `'drop-newest'` or `'drop-oldest'`: what
 * `subscribe(…, { queue: true })` and `stream()` get with the default options. Same
 * semantics and the same {@link BoundedQueueStats} as a `BoundedQueue` with those options
 * (drops counted and reported with the same reasons; pause and resume at the same marks)
 * without what nobody observes on a subscriber's queue: events, byte and priority
 * bookkeeping. Instead of events it tells its owner two things: drops, and that it has work.
 * Why: a publish to 1,000 queued subscribers is 1,000 pushes, and here a push is a store into
 * a ring on one object instead of a walk through a queue, its emitter and its ring.
 *
 * It keeps its broker's {@link PendingWork} in step: a delivery it takes is pending, one it
 * discards is settled here; one it hands out with `shift` stays pending until the consumer
 * has handled it.
 *
 * The ring is a power-of-two array. Taken slots are not cleared one by one: when the ring
 * drains it is replaced by a fresh one of the same size (a large one shrinks, one that never
 * grew is kept), and until then a stale slot is overwritten when the ring wraps. Why a fresh
 * one: an array allocated during the burst is young, and V8 stores a young delivery into a
 * young array without the write barrier it runs for an old one (measured: a quarter of a
 * 1,000-subscriber fan-out went to that barrier with a long-lived ring).
 *
 * @internal
 */
export class DeliveryRing<T> implements DeliveryBuffer<T> {
  // Declared in the order a push reads them: V8 lays fields out in the order they are first
  // assigned, so a push touches one cache line.
  private count = 0;
  private isClosed = false;
  private mask = INITIAL_RING - 1;
  private ring: (Delivery<T> | undefined)[] = new Array<Delivery<T> | undefined>(INITIAL_RING);
  private head = 0;
  private isPaused = false;
  private enqueued = 0;
  private dequeued = 0;
  private droppedTotal = 0;
  private readonly droppedBy = noDrops();
  private pauses = 0;
  private resumes = 0;
  private refused = 0;

  constructor(
    private readonly maxItems: number,
    private readonly lowWaterItems: number,
    private readonly dropOldest: boolean,
    private readonly owner: RingOwner,
    private readonly pending: PendingWork,
  ) {}

  /** `true` once closed: a push is refused (and counted). */
  get closed(): boolean {
    return this.isClosed;
  }

  get length(): number {
    return this.count;
  }

  get dropped(): number {
    return this.droppedTotal;
  }

  push(delivery: Delivery<T>): boolean {
    const count = this.count;
    if (count >= this.maxItems || this.isClosed) return this.pushFull(delivery);
    if (count > this.mask) this.grow();
    this.ring[(this.head + count) & this.mask] = delivery;
    this.count = count + 1;
    this.enqueued++;
    this.pending.add(1);
    if (count + 1 === this.maxItems && !this.isPaused) this.pause();
    // Told once per burst, not per push: the owner drains until the ring is empty again.
    if (count === 0) this.owner.filled();
    return true;
  }

  shift(): Delivery<T> | undefined {
    const count = this.count;
    if (count === 0) return undefined;
    const head = this.head;
    const delivery = this.ring[head];
    this.head = (head + 1) & this.mask;
    this.count = count - 1;
    this.dequeued++;
    if (count === 1) this.renew();
    if (this.isPaused && count - 1 <= this.lowWaterItems) this.resume();
    return delivery;
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.isPaused = false;
    const discarded = this.count;
    this.ring = [];
    this.mask = -1;
    this.head = 0;
    this.count = 0;
    if (discarded > 0) {
      // Settled before the drop is reported, so the broker's counts balance in its 'drop' listeners.
      this.pending.settle(discarded);
      this.drop(discarded, 'closed');
    }
  }

  stats(): BoundedQueueStats {
    return {
      length: this.count,
      bytes: 0,
      enqueued: this.enqueued,
      dequeued: this.dequeued,
      dropped: this.droppedTotal,
      droppedBy: { ...this.droppedBy },
      paused: this.isPaused,
      pauses: this.pauses,
      closed: this.isClosed,
      maxItems: this.maxItems,
      maxBytes: Infinity,
      pushed: this.enqueued + this.refused,
      refused: this.refused,
      resumes: this.resumes,
      overflows: 0,
    };
  }

  /** Full (or closed): refuse, or evict the oldest under `'drop-oldest'`. */
  private pushFull(delivery: Delivery<T>): boolean {
    if (this.isClosed) {
      this.refused++;
      this.drop(1, 'closed');
      return false;
    }
    if (!this.dropOldest) {
      this.refused++;
      this.drop(1, 'drop-newest');
      if (!this.isPaused) this.pause();
      return false;
    }
    // The oldest leaves (dropped, not dequeued, no resume) and the new one takes its slot:
    // the ring stays full, so nothing grows, the owner hears nothing new and as many
    // deliveries are pending as before.
    const head = this.head;
    this.ring[(head + this.count) & this.mask] = delivery;
    this.head = (head + 1) & this.mask;
    this.enqueued++;
    this.drop(1, 'drop-oldest');
    if (!this.isPaused) this.pause();
    return true;
  }

  private pause(): void {
    this.isPaused = true;
    this.pauses++;
  }

  private resume(): void {
    this.isPaused = false;
    this.resumes++;
  }

  private drop(count: number, reason: DropReason): void {
    this.droppedTotal += count;
    this.droppedBy[reason] += count;
    this.owner.dropped(count, reason);
  }

  /** Doubles the ring, unrolled so the oldest delivery is at slot 0. */
  private grow(): void {
    const ring = this.ring;
    const size = ring.length;
    const next = new Array<Delivery<T> | undefined>(size * 2);
    for (let i = 0; i < size; i++) next[i] = ring[(this.head + i) & this.mask];
    this.ring = next;
    this.mask = size * 2 - 1;
    this.head = 0;
  }

  /** Drained: a fresh ring of the same size (young, see above), or a small one. */
  private renew(): void {
    // A ring that never grew is kept: a reader that keeps up empties it on every message.
    if (this.mask < INITIAL_RING) {
      this.head = 0;
      return;
    }
    const size = this.ring.length > MAX_KEPT_RING ? INITIAL_RING : this.ring.length;
    this.ring = new Array<Delivery<T> | undefined>(size);
    this.mask = size - 1;
    this.head = 0;
  }
}
