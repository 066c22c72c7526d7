/**
 * logcaster: real-time broadcasting for Node.js.
 *
 * This file is the table of contents of what a service writes: each class, the options you
 * configure it with, the values it hands you (`Subscription`, `Delivery`, `DropReason`, …),
 * and the errors it raises. What only code that extends the library needs (the topic parser,
 * the broker's observer and publish-tap hooks, the error policy, the Prometheus writer, and
 * the named event maps and stats records) is in `logcaster/adapter`. Internal records
 * (subscription entries, queue consumers, observer sets) are exported from neither.
 *
 * @packageDocumentation
 * @module logcaster
 */

// ── Topics: the syntax (presets `default`, `mqtt`, `nats`) and the index that matches it ──
export { TopicTrie, type TopicTrieOptions } from './topics/topic-trie.js';
export { topicMatches, type TopicSyntaxOptions, type TopicSyntaxPreset } from './topics/topic.js';

// ── Broker: publish/subscribe, queued subscribers, streams, groups, routing ──
export {
  PubSubBroker,
  type BrokerOptions,
  type SubscribeOptions,
  type StreamOptions,
  type PublishChunkedOptions,
  type NextMessageOptions,
} from './broker/broker.js';
// drain() and close() take the same options on the broker and on Batcher.
export type { DrainOptions, CloseOptions } from './lifecycle.js';
// What subscribe() and stream() return (interfaces: only the broker makes them).
export type { Subscription, Handler, UnsubscribeReason } from './broker/subscription.js';
export type { MessageStream } from './broker/message-stream.js';
export type { Delivery, SubscriptionQueueOptions } from './broker/delivery.js';
export { Router, type RouteRule } from './broker/router.js';

// ── Flow control: bounded queues, rate limits, load, batching ──
export { BoundedQueue, type BoundedQueueOptions, type OverflowPolicy, type DropReason } from './flow/bounded-queue.js';
export { BackpressureManager, type BackpressureOptions } from './flow/backpressure.js';
export { TokenBucket, type TokenBucketOptions } from './flow/token-bucket.js';
export { RateLimiter, type RateLimit, type RateLimiterOptions, type RateLimitResult } from './flow/rate-limiter.js';
export { LoadMonitor, type LoadMonitorOptions, type LoadSample } from './flow/load-monitor.js';
export { Batcher, type BatcherOptions, type Priority } from './flow/batcher.js';

// ── Metrics: counts, drop rates and latency percentiles, JSON or Prometheus ──
export {
  BroadcastMetrics,
  type MetricsOptions,
  type MetricsReport,
  type PatternMetrics,
  type SlowSubscriber,
} from './metrics/metrics.js';
export type { LatencySummary } from './metrics/latency.js';

// ── Errors: every class the library raises; each carries a string `code` ──
export {
  TopicError,
  ClosedError,
  SlowConsumerError,
  TimeoutError,
  PublishLimitError,
  InvalidStateError,
  type ErrorCode,
  type TopicErrorReason,
} from './errors.js';
