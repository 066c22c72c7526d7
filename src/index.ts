/**
 * logcaster: real-time broadcasting for Node.js.
 *
 * @packageDocumentation
 */
export {
  PubSubBroker,
  type BrokerOptions,
  type BrokerStats,
  type BrokerEvents,
  type SubscribeOptions,
  type StreamOptions,
  type PublishAsyncOptions,
} from './broker/broker.js';
export type { BrokerObserver } from './broker/broker-observer.js';
export type { PublishTap } from './broker/publish-tap.js';
export type { Delivery, SubscriptionQueueOptions } from './broker/delivery.js';
export { MessageStream } from './broker/message-stream.js';
export { Subscription, type Handler, type UnsubscribeReason } from './broker/subscription.js';
export { TopicTrie, type TopicTrieOptions } from './topics/topic-trie.js';
export {
  TopicError,
  DEFAULT_TOPIC_SYNTAX,
  resolveTopicSyntax,
  parsePattern,
  parseTopic,
  type TopicErrorCode,
  type TopicOptions,
  type TopicSyntax,
} from './topics/topic.js';
export { BrokerClosedError } from './errors.js';
/**
 * The error policy, for logcaster/redis (which imports the core by its package name, so
 * both entries share one copy). Not for users.
 * @internal
 */
export { reportError } from './errors.js';
export { Router, type RouteRule } from './broker/router.js';
export { SlowConsumerError, type SlowConsumerDetails } from './flow/slow-consumer-error.js';
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
  type BackpressureEvents,
  type BackpressureTotals,
} from './flow/backpressure.js';
export {
  BroadcastMetrics,
  OTHER_PATTERNS,
  type MetricsOptions,
  type MetricsSnapshot,
  type MetricsReport,
  type MetricsEvents,
  type PatternMetrics,
  type SlowSubscriber,
} from './metrics/metrics.js';
export type { LatencySummary } from './metrics/latency.js';
export { PrometheusWriter, type PrometheusSample, type PrometheusType } from './metrics/prometheus.js';
export { TokenBucket, type TokenBucketOptions } from './flow/token-bucket.js';
export {
  RateLimiter,
  type RateLimit,
  type RateLimiterOptions,
  type RateLimitResult,
  type RateLimiterStats,
  type LoadSource,
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
  BatcherClosedError,
  type BatcherOptions,
  type BatcherStats,
  type BatcherEvents,
  type Priority,
} from './flow/batcher.js';
