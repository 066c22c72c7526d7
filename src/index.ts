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
} from './broker.js';
export type { BrokerObserver } from './broker-observer.js';
export type { Delivery, SubscriptionQueueOptions } from './delivery.js';
export { MessageStream } from './message-stream.js';
export { Subscription, type Handler, type UnsubscribeReason } from './subscription.js';
export { TopicTrie, type TopicTrieOptions } from './topic-trie.js';
export {
  TopicError,
  DEFAULT_TOPIC_SYNTAX,
  resolveTopicSyntax,
  parsePattern,
  parseTopic,
  type TopicErrorCode,
  type TopicOptions,
  type TopicSyntax,
} from './topic.js';
export { BrokerClosedError } from './errors.js';
export { Router, type RouteRule } from './router.js';
export { SlowConsumerError, type SlowConsumerDetails } from './slow-consumer-error.js';
export {
  BoundedQueue,
  type BoundedQueueOptions,
  type BoundedQueueStats,
  type BoundedQueueEvents,
  type OverflowPolicy,
  type DropReason,
} from './bounded-queue.js';
export {
  BackpressureManager,
  type BackpressureOptions,
  type BackpressureEvents,
  type BackpressureTotals,
} from './backpressure.js';
export {
  BroadcastMetrics,
  OTHER_PATTERNS,
  type MetricsOptions,
  type MetricsSnapshot,
  type MetricsReport,
  type MetricsEvents,
  type PatternMetrics,
  type SlowSubscriber,
} from './metrics.js';
export type { LatencySummary } from './latency.js';
export { TokenBucket, type TokenBucketOptions } from './token-bucket.js';
export {
  RateLimiter,
  type RateLimit,
  type RateLimiterOptions,
  type RateLimitResult,
  type RateLimiterStats,
  type LoadSource,
} from './rate-limiter.js';
export {
  LoadMonitor,
  type LoadMonitorOptions,
  type LoadMonitorEvents,
  type LoadSample,
  type LoadWeights,
} from './load-monitor.js';
export {
  Batcher,
  BatcherClosedError,
  type BatcherOptions,
  type BatcherStats,
  type BatcherEvents,
  type Priority,
} from './batcher.js';
