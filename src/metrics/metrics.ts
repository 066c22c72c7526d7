/**
 * Broadcast metrics: per-pattern and total counts, drop rates and delivery latency
 * percentiles, as JSON or in the Prometheus text format.
 *
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import type { DropReason } from '../flow/bounded-queue.js';
import type { BrokerStats, PubSubBroker } from '../broker/broker.js';
import { ClosedError, reportError } from '../errors.js';
import { invalidArgType, invalidArgValue, invalidReturnValue } from '../internal/coded-errors.js';
import { COUNT_FROM_1, mustBe, numberRule, optionalFunction, requireNumber, show } from '../internal/checks.js';
import { checkOptions, optionKeys } from '../internal/options.js';
import { MAX_TIMER_MS, unrefTimer, type Timer } from '../internal/timers.js';
import type { BrokerObserver } from '../broker/broker-observer.js';
import type { Delivery } from '../broker/delivery.js';
import { LatencyRecorder, type LatencySummary } from './latency.js';
import { PrometheusWriter, type PrometheusSample } from './prometheus.js';
import type { Subscription } from '../broker/subscription.js';

/** Options of {@link BroadcastMetrics}. */
export interface MetricsOptions<T> {
  /**
   * How many subscription patterns get their own metrics; the patterns seen after that are
   * counted together under {@link OTHER_PATTERNS}. Patterns, not published topics, label the
   * metrics, so cardinality follows subscriptions. Minimum: 1.
   * @default 100
   */
  maxPatterns?: number;
  /**
   * The size of a message in bytes, counted once per delivery; must return a finite number
   * >= 0. Without it `bytes` stays 0. When it throws or returns anything else, that message
   * counts 0 bytes and the failure is reported as the metrics' `'error'` (delivery goes on).
   * @default undefined
   */
  sizeOf?: (message: T, topic: string) => number;
  /**
   * Prefix of every Prometheus metric name.
   * @default 'logcaster'
   */
  prefix?: string;
  /**
   * Time one delivery in this many for the latency percentiles (1 times every one). Counts
   * are always exact; timing costs two clock reads and two histogram records per timed
   * delivery, so sampling keeps metrics cheap on large fan-outs. An integer >= 1.
   * @default 16
   */
  sampleEvery?: number;
}

/** The keys of {@link MetricsOptions}, for the check of unknown keys. */
export const METRICS_OPTION_KEYS = /* @__PURE__ */ optionKeys<MetricsOptions<unknown>>({
  maxPatterns: true,
  sizeOf: true,
  prefix: true,
  sampleEvery: true,
});

const INTERVAL_RULE = /* @__PURE__ */ numberRule({ min: 1, max: MAX_TIMER_MS });
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** The pattern label under which patterns past `maxPatterns` are counted together. */
export const OTHER_PATTERNS = '__other__';

/** Counters of one subscription pattern (or of the whole broker in `total`). */
export interface PatternMetrics {
  /** The subscription pattern (`'*total*'` for the total, {@link OTHER_PATTERNS} past the cap). */
  pattern: string;
  /** Publishes whose topic matched the pattern (for the total: every publish). */
  published: number;
  /** Messages offered to subscribers of the pattern (one per subscription or queue group per publish). */
  offered: number;
  /** Handler calls that returned or resolved, and stream reads. */
  delivered: number;
  /** Messages dropped by subscriber queues. */
  dropped: number;
  /** Drops by reason. */
  droppedBy: Partial<Record<DropReason, number>>;
  /** Handler calls that threw or rejected. */
  errors: number;
  /** Bytes delivered, when a `sizeOf` option was given. */
  bytes: number;
  /** Live subscriptions now. */
  subscribers: number;
  /** Messages accepted and not finished now: waiting in queues or in async handlers. */
  pending: number;
  /** `dropped / (delivered + dropped)`, 0 when nothing happened. */
  dropRate: number;
  /** Time from `publish` to the handler's start, and to its end (async and queued handlers included). */
  latency: { start: LatencySummary; end: LatencySummary };
}

/** A JSON-serialisable view of the metrics at one moment; see {@link BroadcastMetrics.stats}. */
export interface MetricsStats {
  /** When it was taken, ISO 8601. */
  takenAt: string;
  /** Since when it counts (attachment or the last `reset()`), ISO 8601. */
  since: string;
  /** The whole broker. */
  total: PatternMetrics;
  /** One entry per pattern, at most `maxPatterns` plus {@link OTHER_PATTERNS}. */
  patterns: PatternMetrics[];
}

/** A subscriber whose queue dropped messages since the previous report. */
export interface SlowSubscriber {
  /** The subscription's id. */
  id: number;
  /** Its pattern. */
  pattern: string;
  /** Drops since the previous report. */
  dropped: number;
  /** Drops in its whole life. */
  totalDropped: number;
  /** Messages waiting in its queue now. */
  pending: number;
}

/** What {@link BroadcastMetrics.report} emits each interval. */
export interface MetricsReport {
  /** The metrics now. */
  stats: MetricsStats;
  /** Subscribers whose drops grew since the previous report. */
  slowSubscribers: SlowSubscriber[];
}

/** Event signatures of {@link BroadcastMetrics}. */
export interface MetricsEvents {
  /** A periodic report (see {@link BroadcastMetrics.report}). */
  report: [report: MetricsReport];
  /** The `sizeOf` option threw or returned something that is not a size. */
  error: [error: unknown];
}

const TOTAL = '*total*';

/** The quantiles a Prometheus summary reports. */
const QUANTILES = [0.5, 0.95, 0.99, 0.999] as const;

/** Counters and histograms of one label value. */
class Bucket {
  published = 0;
  lastPublishId = 0;
  offered = 0;
  delivered = 0;
  dropped = 0;
  droppedBy: Partial<Record<DropReason, number>> = {};
  errors = 0;
  bytes = 0;
  readonly start = new LatencyRecorder();
  readonly end = new LatencyRecorder();

  constructor(readonly pattern: string) {}

  reset(): void {
    this.published = 0;
    this.offered = 0;
    this.delivered = 0;
    this.dropped = 0;
    this.droppedBy = {};
    this.errors = 0;
    this.bytes = 0;
    this.start.reset();
    this.end.reset();
  }

  view(subscribers: number, pending: number): PatternMetrics {
    const handled = this.delivered + this.dropped;
    return {
      pattern: this.pattern,
      published: this.published,
      offered: this.offered,
      delivered: this.delivered,
      dropped: this.dropped,
      droppedBy: { ...this.droppedBy },
      errors: this.errors,
      bytes: this.bytes,
      subscribers,
      pending,
      dropRate: handled === 0 ? 0 : this.dropped / handled,
      latency: { start: this.start.summary(), end: this.end.summary() },
    };
  }
}

/**
 * Per-pattern and total broadcast metrics for one {@link PubSubBroker}: published,
 * delivered, dropped (by reason), errors, bytes, subscribers, pending, drop rate, and latency
 * from publish to handler start and end (min, mean, P50, P95, P99, P99.9, max in µs) on
 * Node's HDR histogram. Attaching costs the publish path a few counter updates per delivery and two clock reads per timed (sampled) delivery;
 * a broker without metrics does none of it.
 *
 * @example
 * ```ts
 * const metrics = new BroadcastMetrics(broker, { sizeOf: (entry) => entry.message.length });
 * metrics.report(10_000).on('report', ({ slowSubscribers }) => {
 *   for (const s of slowSubscribers) console.warn(`subscriber ${s.id} on ${s.pattern} dropped ${s.dropped}`);
 * });
 * http.createServer((req, res) => res.end(metrics.toPrometheus())).listen(9464, '127.0.0.1');
 * ```
 */
export class BroadcastMetrics<T> extends EventEmitter<MetricsEvents> implements Disposable {
  private readonly broker: PubSubBroker<T>;
  private readonly maxPatterns: number;
  private readonly sizeOf: ((message: T, topic: string) => number) | undefined;
  private readonly prefix: string;
  private readonly buckets = new Map<string, Bucket>();
  private readonly total = new Bucket(TOTAL);
  private readonly other = new Bucket(OTHER_PATTERNS);
  /** The broker's counters when counting (re)started: the totals are the broker's minus these. */
  private base: BrokerStats;
  private since = new Date();
  private timer: Timer | undefined = undefined;
  private readonly reportedDrops = new WeakMap<Subscription<T>, number>();
  private unobserve: (() => void) | undefined;
  /** The broker's counters when `close()` detached: the totals stop there. */
  private final: BrokerStats | undefined = undefined;
  private sized: Delivery<T> | undefined = undefined;
  private sizedBytes = 0;
  /** The last pattern looked up and its bucket: consecutive deliveries usually share one. */
  private lastPattern: string | undefined = undefined;
  private lastBucket: Bucket = this.other;

  /**
   * Attaches to `broker`; other observers (other metrics included) keep theirs.
   *
   * @throws RangeError (`ERR_OUT_OF_RANGE`) when `maxPatterns` or `sampleEvery` is not an
   *   integer >= 1.
   * @throws TypeError when `options` is not an object or has a key that is not an option
   *   (`ERR_UNKNOWN_OPTION`, naming the nearest one), `prefix` is not a string or not a valid
   *   Prometheus metric name prefix (`ERR_INVALID_ARG_VALUE`), or `sizeOf` is not a function.
   */
  constructor(broker: PubSubBroker<T>, options: MetricsOptions<T> = {}) {
    super();
    checkOptions('new BroadcastMetrics', options, METRICS_OPTION_KEYS);
    const maxPatterns = requireNumber('maxPatterns', options.maxPatterns ?? 100, COUNT_FROM_1);
    const prefix = options.prefix ?? 'logcaster';
    if (typeof prefix !== 'string') throw invalidArgType(mustBe('prefix', 'a string', prefix));
    if (!METRIC_NAME.test(prefix)) throw invalidArgValue(mustBe('prefix', 'a string matching [a-zA-Z_:][a-zA-Z0-9_:]*', prefix));
    const sampleEvery = requireNumber('sampleEvery', options.sampleEvery ?? 16, COUNT_FROM_1);
    this.broker = broker;
    this.maxPatterns = maxPatterns;
    this.sizeOf = optionalFunction('sizeOf', options.sizeOf);
    this.prefix = prefix;
    this.base = broker.stats();
    // The observer is a private object, so its methods are not part of this class's API.
    const observer: BrokerObserver<T> = {
      sampleEvery,
      offered: (subscription, _topic, _message, publishId) => this.offered(subscription, publishId),
      started: (subscription, delivery, startedAt) => this.started(subscription, delivery, startedAt),
      finished: (subscription, delivery, finishedAt, failed) => this.finished(subscription, delivery, finishedAt, failed),
      dropped: (subscription, count, reason) => this.dropped(subscription, count, reason),
    };
    this.unobserve = broker.observe(observer);
  }

  /** Whether it still watches its broker (until {@link BroadcastMetrics.close}). */
  get attached(): boolean {
    return this.unobserve !== undefined;
  }

  private offered(subscription: Subscription<T>, publishId: number): void {
    const bucket = this.bucketOf(subscription.pattern);
    bucket.offered++;
    // Several subscribers of one pattern share one publish: count the publish once.
    if (bucket.lastPublishId !== publishId) {
      bucket.lastPublishId = publishId;
      bucket.published++;
    }
  }

  private started(subscription: Subscription<T>, delivery: Delivery<T>, startedAt: number | undefined): void {
    const bucket = this.bucketOf(subscription.pattern);
    if (startedAt !== undefined) bucket.start.record(startedAt - delivery.publishedAt);
    if (this.sizeOf !== undefined) {
      // Every subscriber of a publish shares its Delivery: size it once.
      if (delivery !== this.sized) {
        this.sized = delivery;
        this.sizedBytes = this.measure(delivery);
      }
      bucket.bytes += this.sizedBytes;
      this.total.bytes += this.sizedBytes;
    }
  }

  private measure(delivery: Delivery<T>): number {
    let size: unknown;
    try {
      size = (this.sizeOf as (message: T, topic: string) => number)(delivery.message, delivery.topic);
    } catch (error) {
      reportError(this, 'BroadcastMetrics', error);
      return 0;
    }
    if (typeof size !== 'number' || !(size >= 0) || size === Infinity) {
      reportError(this, 'BroadcastMetrics', invalidReturnValue(`sizeOf must return a finite number >= 0 (got ${show(size)}) for topic ${JSON.stringify(delivery.topic)}`));
      return 0;
    }
    return size;
  }

  private finished(subscription: Subscription<T>, delivery: Delivery<T>, finishedAt: number | undefined, failed: boolean): void {
    const bucket = this.bucketOf(subscription.pattern);
    if (failed) bucket.errors++;
    else bucket.delivered++;
    if (finishedAt !== undefined) bucket.end.record(finishedAt - delivery.publishedAt);
  }

  private dropped(subscription: Subscription<T>, count: number, reason: DropReason): void {
    for (const bucket of [this.bucketOf(subscription.pattern), this.total]) {
      bucket.droppedBy[reason] = (bucket.droppedBy[reason] ?? 0) + count;
    }
    this.bucketOf(subscription.pattern).dropped += count;
  }

  /**
   * The metrics now, as a plain JSON-serialisable object. The totals are the broker's own
   * counters (see `PubSubBroker.stats`) since attachment or the last `reset()`, so the two
   * always agree.
   */
  stats(): MetricsStats {
    const subscribers = new Map<Bucket, number>();
    const pending = new Map<Bucket, number>();
    let totalSubscribers = 0;
    for (const sub of this.broker.subscriptions()) {
      const bucket = this.bucketOf(sub.pattern);
      subscribers.set(bucket, (subscribers.get(bucket) ?? 0) + 1);
      pending.set(bucket, (pending.get(bucket) ?? 0) + sub.pending);
      totalSubscribers++;
    }
    const patterns: PatternMetrics[] = [];
    for (const bucket of this.buckets.values()) {
      patterns.push(bucket.view(subscribers.get(bucket) ?? 0, pending.get(bucket) ?? 0));
    }
    if (this.buckets.size >= this.maxPatterns && (this.other.published > 0 || subscribers.has(this.other))) {
      patterns.push(this.other.view(subscribers.get(this.other) ?? 0, pending.get(this.other) ?? 0));
    }
    const now = this.final ?? this.broker.stats();
    const total = this.total;
    total.published = now.published - this.base.published;
    total.offered = now.offered - this.base.offered;
    total.delivered = now.delivered - this.base.delivered;
    total.errors = now.errors - this.base.errors;
    total.dropped = now.dropped - this.base.dropped;
    // Totals' latency: every pattern's histogram merged (one record per delivery, not two).
    this.total.start.reset();
    this.total.end.reset();
    for (const bucket of [...this.buckets.values(), this.other]) {
      this.total.start.merge(bucket.start);
      this.total.end.merge(bucket.end);
    }
    return {
      takenAt: new Date().toISOString(),
      since: this.since.toISOString(),
      total: this.total.view(totalSubscribers, now.pending),
      patterns,
    };
  }

  /** Starts counting again from zero (patterns and histograms included). */
  reset(): void {
    for (const bucket of this.buckets.values()) bucket.reset();
    this.buckets.clear();
    this.lastPattern = undefined;
    this.total.reset();
    this.other.reset();
    this.base = this.broker.stats();
    this.since = new Date();
  }

  /**
   * The metrics in the Prometheus text exposition format: `<prefix>_*_total` counters,
   * gauges, and latency summaries in seconds with `quantile` labels, every family with
   * `# HELP` and `# TYPE`, label values escaped.
   */
  toPrometheus(): string {
    const snapshot = this.stats();
    const p = this.prefix;
    const rows = snapshot.patterns;
    const perPattern = (pick: (m: PatternMetrics) => number): PrometheusSample[] =>
      rows.map((m) => ({ labels: { pattern: m.pattern }, value: pick(m) }));
    const writer = new PrometheusWriter()
      .family(`${p}_published_total`, 'counter', 'Messages published on the broker.', [{ value: snapshot.total.published }])
      .family(`${p}_pattern_published_total`, 'counter', 'Publishes whose topic matched the subscription pattern.', perPattern((m) => m.published))
      .family(`${p}_delivered_total`, 'counter', 'Handler calls that returned, by subscription pattern.', perPattern((m) => m.delivered))
      .family(
        `${p}_dropped_total`,
        'counter',
        'Messages dropped by subscriber queues, by subscription pattern and reason.',
        rows.flatMap((m) =>
          Object.entries(m.droppedBy).map(([reason, value]) => ({ labels: { pattern: m.pattern, reason }, value: value ?? 0 })),
        ),
      )
      .family(`${p}_errors_total`, 'counter', 'Handler throws and rejections, by subscription pattern.', perPattern((m) => m.errors))
      .family(`${p}_bytes_total`, 'counter', 'Bytes delivered, by subscription pattern.', perPattern((m) => m.bytes))
      .family(`${p}_subscribers`, 'gauge', 'Live subscriptions, by subscription pattern.', perPattern((m) => m.subscribers))
      .family(`${p}_pending`, 'gauge', 'Messages waiting in subscriber queues, by subscription pattern.', perPattern((m) => m.pending))
      .family(`${p}_drop_ratio`, 'gauge', 'Dropped / (delivered + dropped), by subscription pattern.', perPattern((m) => m.dropRate));
    for (const stage of ['start', 'end'] as const) {
      const samples: PrometheusSample[] = [];
      for (const bucket of this.labelledBuckets(rows)) {
        const recorder = bucket[stage];
        for (const quantile of QUANTILES) {
          samples.push({ labels: { pattern: bucket.pattern, quantile: String(quantile) }, value: recorder.percentileSeconds(quantile * 100) });
        }
        samples.push({ labels: { pattern: bucket.pattern }, value: recorder.sumSeconds(), suffix: '_sum' });
        samples.push({ labels: { pattern: bucket.pattern }, value: recorder.count, suffix: '_count' });
      }
      writer.family(
        `${p}_delivery_${stage}_seconds`,
        'summary',
        stage === 'start' ? 'Time from publish to handler start.' : 'Time from publish to handler end.',
        samples,
      );
    }
    return writer.toString();
  }

  /**
   * Emits a `'report'` event every `intervalMs` with a snapshot and the subscribers whose
   * drops grew since the previous report. The timer is `unref()`ed; calling again
   * replaces the interval.
   *
   * @throws RangeError (`ERR_OUT_OF_RANGE`) when `intervalMs` is not a number from 1 to 2147483647
   *   (TypeError `ERR_INVALID_ARG_TYPE` when it is not a number).
   * @throws {@link ClosedError} after `close()`.
   */
  report(intervalMs: number): this {
    requireNumber('intervalMs', intervalMs, INTERVAL_RULE);
    this.stopReporting();
    if (this.unobserve === undefined) throw new ClosedError('BroadcastMetrics', 'report');
    this.timer = unrefTimer(setInterval(() => this.emit('report', this.takeReport()), intervalMs));
    return this;
  }

  /** Stops the periodic reports. */
  stopReporting(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Builds the report {@link BroadcastMetrics.report} emits, now (also usable without the timer). */
  takeReport(): MetricsReport {
    const slowSubscribers: SlowSubscriber[] = [];
    for (const sub of this.broker.subscriptions()) {
      const totalDropped = sub.dropped;
      const before = this.reportedDrops.get(sub) ?? 0;
      if (totalDropped > before) {
        slowSubscribers.push({ id: sub.id, pattern: sub.pattern, dropped: totalDropped - before, totalDropped, pending: sub.pending });
        this.reportedDrops.set(sub, totalDropped);
      }
    }
    return { stats: this.stats(), slowSubscribers };
  }

  /**
   * Stops reporting and stops watching the broker (other observers are not affected). The
   * counts stay readable. Idempotent.
   */
  close(): void {
    this.stopReporting();
    const unobserve = this.unobserve;
    if (unobserve === undefined) return;
    this.unobserve = undefined;
    this.final = this.broker.stats();
    unobserve();
  }

  /** Same as {@link BroadcastMetrics.close}; lets `using` end it. */
  [Symbol.dispose](): void {
    this.close();
  }

  private bucketOf(pattern: string): Bucket {
    if (pattern === this.lastPattern) return this.lastBucket;
    let bucket = this.buckets.get(pattern);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxPatterns) return this.other;
      bucket = new Bucket(pattern);
      this.buckets.set(pattern, bucket);
    }
    this.lastPattern = pattern;
    this.lastBucket = bucket;
    return bucket;
  }

  private labelledBuckets(rows: readonly PatternMetrics[]): Bucket[] {
    const out: Bucket[] = [];
    for (const row of rows) {
      const bucket = row.pattern === OTHER_PATTERNS ? this.other : this.buckets.get(row.pattern);
      if (bucket !== undefined) out.push(bucket);
    }
    return out;
  }
}
