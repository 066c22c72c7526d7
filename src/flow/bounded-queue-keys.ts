/**
 * The keys of {@link BoundedQueueOptions}, in a file of their own: `BackpressureManager`, the
 * broker's subscriber queues and `BoundedQueue` itself check options against this one list.
 *
 * @module
 */
import { optionKeys } from '../internal/options.js';
import type { BoundedQueueOptions } from './bounded-queue-options.js';

/** The keys of {@link BoundedQueueOptions}, for the check of unknown keys. */
export const BOUNDED_QUEUE_OPTION_KEYS = /* @__PURE__ */ optionKeys<BoundedQueueOptions<unknown>>({
  maxItems: true,
  lowWaterItems: true,
  maxBytes: true,
  lowWaterBytes: true,
  sizeOf: true,
  priorityOf: true,
  policy: true,
  protectedPriority: true,
  hardMaxItems: true,
  hardMaxBytes: true,
});
