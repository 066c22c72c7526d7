/**
 * Builds the bounded queue in front of a queued subscriber or stream.
 *
 * @module
 */
import { BoundedQueue } from '../flow/bounded-queue.js';
import { defaultMessageSize } from '../flow/message-size.js';
import type { Delivery, SubscriptionQueueOptions } from './delivery.js';

/** @internal */
export function createDeliveryQueue<T>(options: SubscriptionQueueOptions<T>): BoundedQueue<Delivery<T>> {
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
