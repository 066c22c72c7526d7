/**
 * logcaster: real-time broadcasting for Node.js.
 *
 * This file is the table of contents of the package: every public name, grouped by layer
 * (topics → broker → flow control → metrics, and the errors they share). The rule for what is
 * exported: each class, with its options, stats and events types (you write them when you
 * configure, read or listen), and the types of the values it hands you (`Subscription`,
 * `Delivery`, `DropReason`, …). Internal records (subscription entries, queue consumers,
 * observer sets) are not exported, and the exported interfaces hide them.
 *
 * @packageDocumentation
 * @module logcaster
 */

// ── Topics: the syntax (presets `default`, `mqtt`, `nats`) and the index that matches it ──
export { TopicTrie, type TopicTrieOptions } from './topics/topic-trie.js';
export {
  // Adapters (logcaster/redis) parse topics and patterns with a broker's syntax.
  resolveTopicSyntax,
  parsePattern,
  parseTopic,
  topicMatches,
  type TopicOptions,
  type TopicSyntax,
  type TopicSyntaxOptions,
  type TopicSyntaxPreset,
} from './topics/topic.js';

// ── Broker: publish/subscribe, queued subscribers, streams, groups, routing ──
export {
  PubSubBroker,
  type BrokerOptions,
  type BrokerStats,
  type BrokerEvents,
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
// For metrics collectors other than BroadcastMetrics.
export type { BrokerObserver } from './broker/broker-observer.js';
// For adapters that carry publish() to other processes (logcaster/redis).
export type { PublishTap } from './broker/publish-tap.js';
export { Router, type RouteRule } from './broker/router.js';

// ── Flow control: bounded queues, rate limits, load, batching ──
export {
  BoundedQueue,
  type BoundedQueueOptions,
  type BoundedQueueStats,
  type BoundedQueueEvents,
  type OverflowPolicy,
  type DropReason,
} from './flow/bounded-queue.js';
export {
  BackpressureManager,
  type BackpressureOptions,
  type BackpressureStats,
  type BackpressureEvents,
} from './flow/backpressure.js';
export { TokenBucket, type TokenBucketOptions } from './flow/token-bucket.js';
export {
  RateLimiter,
  type RateLimit,
  type RateLimiterOptions,
  type RateLimitResult,
  type RateLimiterStats,
} from './flow/rate-limiter.js';
export {
  LoadMonitor,
  type LoadMonitorOptions,
  type LoadMonitorEvents,
  type LoadSample,
  type LoadWeights,
} from './flow/load-monitor.js';
export {
  Batcher,
  type BatcherOptions,
  type BatcherStats,
  type BatcherEvents,
  type Priority,
} from './flow/batcher.js';

// ── Metrics: counts, drop rates and latency percentiles, JSON or Prometheus ──
export {
  BroadcastMetrics,
  OTHER_PATTERNS,
  type MetricsOptions,
  type MetricsStats,
  type MetricsReport,
  type MetricsEvents,
  type PatternMetrics,
  type SlowSubscriber,
} from './metrics/metrics.js';
export type { LatencySummary } from './metrics/latency.js';
// For servers that add their own families next to BroadcastMetrics' text.
export { PrometheusWriter, type PrometheusSample, type PrometheusType } from './metrics/prometheus.js';

// ── Errors: every class the library raises, and their codes ──
export {
  ERROR_CODES,
  TopicError,
  ClosedError,
  SlowConsumerError,
  TimeoutError,
  PublishLimitError,
  InvalidStateError,
  type ErrorCode,
  type TopicErrorReason,
  type SlowConsumerDetails,
} from './errors.js';

/**
 * The error policy, for logcaster/redis (which imports the core by its package name, so
 * both entries share one copy). Not for users.
 * @internal
 */
export { reportError } from './errors.js';
