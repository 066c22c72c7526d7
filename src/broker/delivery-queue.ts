/**
 * Builds the bounded queue in front of a queued subscriber or stream.
 *
 * @module
 */
import { BoundedQueue } from '../flow/bounded-queue.js';
import { checkQueueOptions, type BoundedQueueStats } from '../flow/bounded-queue-options.js';
import type { SlowConsumerError } from '../errors.js';
import { defaultMessageSize } from '../flow/message-size.js';
import type { Delivery, SubscriptionQueueOptions } from './delivery.js';
import { DeliveryRing, type DeliveryBuffer, type DropSink, type RingOwner } from './delivery-ring.js';
import type { PendingWork } from './pending-work.js';

/** @internal Where a subscriber queue's drops and overflow go (its broker). */
export interface QueueReports extends DropSink {
  /** The queue overflowed under the `'disconnect'` policy. */
  overflowed(error: SlowConsumerError): void;
}

/**
 * @internal The queue of a queued subscriber or stream: a light {@link DeliveryRing} when the
 * options ask for nothing more than an item bound under `'drop-newest'` or `'drop-oldest'`
 * (the defaults do), a {@link BoundedQueue} otherwise. Either reports its drops (and the
 * full queue its overflow) to `reports` and keeps `pending` in step with what it holds; the
 * options are checked the same way for both. The ring also calls `filled` when it goes from
 * empty to not empty (see {@link RingOwner}).
 */
export function createSubscriberQueue<T>(
  options: SubscriptionQueueOptions<T>,
  reports: QueueReports,
  pending: PendingWork,
  filled: () => void,
): DeliveryBuffer<T> {
  const { sizeOf, priorityOf, concurrency: _concurrency, ...marks } = options;
  if (sizeOf === undefined && priorityOf === undefined) {
    const settings = checkQueueOptions(marks);
    if (
      settings.maxBytes === Infinity &&
      settings.protectedPriority === Infinity &&
      (settings.policy === 'drop-newest' || settings.policy === 'drop-oldest')
    ) {
      const owner: RingOwner = { dropped: (count, reason) => reports.dropped(count, reason), filled };
      return new DeliveryRing<T>(settings.hwm, settings.lwm, settings.policy === 'drop-oldest', owner, pending);
    }
  }
  return new FullDeliveryQueue(options, reports, pending);
}

/**
 * A {@link BoundedQueue} over deliveries (`sizeOf`/`priorityOf` given the message and topic)
 * that keeps the broker's {@link PendingWork} in step with it, as the ring does: a delivery
 * it takes is pending; one it evicts or discards is settled before its drop is reported.
 *
 * The queue's `'drop'` event does not say whether the dropped items were queued (a refused
 * push) or not (an eviction, a discard), so the settling is worked out from counts instead:
 * what was taken in, minus what was shifted out, minus what is still held, is what was
 * dropped from inside. A drop is emitted after the items left and before the incoming one is
 * stored, so the sum is exact whenever it is read, even from a listener that publishes again.
 */
class FullDeliveryQueue<T> implements DeliveryBuffer<T> {
  readonly #queue: BoundedQueue<Delivery<T>>;
  readonly #pending: PendingWork;
  #taken = 0;
  #shifted = 0;
  #settled = 0;

  constructor(options: SubscriptionQueueOptions<T>, reports: QueueReports, pending: PendingWork) {
    const { sizeOf, priorityOf, concurrency: _concurrency, ...marks } = options;
    const messageSize = sizeOf ?? defaultMessageSize;
    this.#queue = new BoundedQueue<Delivery<T>>({
      ...marks,
      // Sizing costs a call per message, so only when a byte bound makes it matter.
      ...(sizeOf !== undefined || (marks.maxBytes !== undefined && Number.isFinite(marks.maxBytes))
        ? { sizeOf: (delivery: Delivery<T>) => messageSize(delivery.message, delivery.topic) }
        : {}),
      ...(priorityOf !== undefined
        ? { priorityOf: (delivery: Delivery<T>) => priorityOf(delivery.message, delivery.topic) }
        : {}),
    });
    this.#pending = pending;
    this.#queue.on('drop', (count, reason) => {
      this.#settleDropped();
      reports.dropped(count, reason);
    });
    this.#queue.on('overflow', (error) => reports.overflowed(error));
  }

  get length(): number {
    return this.#queue.length;
  }

  get dropped(): number {
    return this.#queue.dropped;
  }

  push(delivery: Delivery<T>): boolean {
    if (!this.#queue.push(delivery)) return false;
    this.#taken++;
    this.#pending.add(1);
    return true;
  }

  shift(): Delivery<T> | undefined {
    const delivery = this.#queue.shift();
    if (delivery !== undefined) this.#shifted++;
    return delivery;
  }

  close(): void {
    this.#queue.close();
  }

  stats(): BoundedQueueStats {
    return this.#queue.stats();
  }

  /** Settles the deliveries that left the queue without being shifted (see the class). */
  #settleDropped(): void {
    const dropped = this.#taken - this.#shifted - this.#queue.length - this.#settled;
    if (dropped <= 0) return;
    this.#settled += dropped;
    this.#pending.settle(dropped);
  }
}
