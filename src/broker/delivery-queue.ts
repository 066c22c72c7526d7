/**
 * Builds the bounded queue in front of a queued subscriber or stream.
 *
 * @module
 */
import { BoundedQueue, checkQueueOptions } from '../flow/bounded-queue.js';
import type { SlowConsumerError } from '../errors.js';
import { defaultMessageSize } from '../flow/message-size.js';
import type { Delivery, SubscriptionQueueOptions } from './delivery.js';
import { DeliveryRing, type DeliveryBuffer, type DropSink, type RingOwner } from './delivery-ring.js';

/** A {@link BoundedQueue} over deliveries, with `sizeOf`/`priorityOf` given the message and topic. */
function createDeliveryQueue<T>(options: SubscriptionQueueOptions<T>): BoundedQueue<Delivery<T>> {
  const { sizeOf, priorityOf, concurrency: _concurrency, ...marks } = options;
  const messageSize = sizeOf ?? defaultMessageSize;
  return new BoundedQueue<Delivery<T>>({
    ...marks,
    // Sizing costs a call per message, so only when a byte bound makes it matter.
    ...(sizeOf !== undefined || (marks.maxBytes !== undefined && Number.isFinite(marks.maxBytes))
      ? { sizeOf: (delivery: Delivery<T>) => messageSize(delivery.message, delivery.topic) }
      : {}),
    ...(priorityOf !== undefined
      ? { priorityOf: (delivery: Delivery<T>) => priorityOf(delivery.message, delivery.topic) }
      : {}),
  });
}

/**
 * @internal The queue of a queued subscriber or stream: a light {@link DeliveryRing} when the
 * options ask for nothing more than an item bound under `'drop-newest'` or `'drop-oldest'`
 * (the defaults do), a {@link BoundedQueue} otherwise. Either reports its drops (and the
 * full queue its overflow) to `host`; the options are checked the same way for both. The ring
 * also calls `filled` when it goes from empty to not empty (see {@link RingOwner}).
 */
export function createSubscriberQueue<T>(
  options: SubscriptionQueueOptions<T>,
  host: QueueReports,
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
      const owner: RingOwner = { dropped: (count, reason) => host.dropped(count, reason), filled };
      return new DeliveryRing<T>(settings.hwm, settings.lwm, settings.policy === 'drop-oldest', owner);
    }
  }
  const queue = createDeliveryQueue(options);
  queue.on('drop', (count, reason) => host.dropped(count, reason));
  queue.on('overflow', (error) => host.overflowed(error));
  return queue;
}

/** @internal Where a subscriber queue's drops and overflow go (its broker). */
export interface QueueReports extends DropSink {
  /** The queue overflowed under the `'disconnect'` policy. */
  overflowed(error: SlowConsumerError): void;
}
