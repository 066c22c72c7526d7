/**
 * logcaster/adapter: for code that extends logcaster or connects it to other systems, not for
 * the service that uses it. A bridge to other processes (as `logcaster/redis` is), a metrics
 * collector or exporter, a wrapper that forwards a class's events: each needs a name or a hook
 * that a service never writes.
 *
 * - the topic parser a broker uses (`parseTopic`, `parsePattern`, `resolveTopicSyntax`), so
 *   an adapter splits and checks topics exactly as the broker does;
 * - the broker's hooks: {@link BrokerObserver} (see every delivery) and {@link PublishTap}
 *   (carry local publishes elsewhere, and with {@link GroupDelivery} its queue groups too);
 * - the error policy every class follows ({@link reportError}) and the table of error codes;
 * - the Prometheus text writer `BroadcastMetrics` uses, for exporters that add families;
 * - the named event maps and stats records of each class. A service gets these by inference
 *   from `on()` and `stats()`; code that forwards events or exports stats names them.
 *
 * Everything here is public and follows semantic versioning like the main entry. It shares
 * the main entry's classes (one copy of each: `instanceof` holds across both).
 *
 * @example
 * ```ts
 * import { PubSubBroker } from 'logcaster';
 * import { parseTopic, type PublishTap } from 'logcaster/adapter';
 *
 * const broker = new PubSubBroker<string>();
 * const tap: PublishTap<string> = { tapped: (topic) => console.log(parseTopic(topic, broker.syntax)) };
 * broker.setPublishTap(tap);
 * ```
 *
 * @packageDocumentation
 * @module logcaster/adapter
 */

// ── Topics: parse and check them as a broker with this syntax does ──
export {
  resolveTopicSyntax,
  parsePattern,
  parseTopic,
  type TopicOptions,
  type TopicSyntax,
} from './topics/topic.js';

// ── Hooks into a broker ──
export type { BrokerObserver } from './broker/broker-observer.js';
export type { GroupDelivery, PublishTap } from './broker/publish-tap.js';

// ── The error policy and the codes every error carries ──
export { ERROR_CODES, reportError, type ErrorEmitter } from './errors.js';

// ── Exporters: the Prometheus writer, and the key of the patterns past `maxPatterns` ──
export { PrometheusWriter, type PrometheusSample, type PrometheusType } from './metrics/prometheus.js';
export { OTHER_PATTERNS, type MetricsEvents, type MetricsStats } from './metrics/metrics.js';

// ── Each class's event map and stats record, by name ──
export type { BrokerEvents, BrokerStats } from './broker/broker.js';
export type { BoundedQueueEvents, BoundedQueueStats } from './flow/bounded-queue.js';
export type { BackpressureEvents, BackpressureStats } from './flow/backpressure.js';
export type { RateLimiterStats } from './flow/rate-limiter.js';
export type { LoadMonitorEvents } from './flow/load-monitor.js';
export type { BatcherEvents, BatcherStats } from './flow/batcher.js';
