import { describe, expect, it, vi } from 'vitest';
import { OTHER_PATTERNS } from '../src/adapter.js';
import { BroadcastMetrics, PubSubBroker } from '../src/index.js';
import { parsePrometheus } from './helpers/prometheus-parser.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const drain = async (broker: PubSubBroker<unknown>): Promise<void> => {
  for (let i = 0; i < 1000 && broker.stats().pending > 0; i++) await tick();
  await tick();
};

describe('BroadcastMetrics counts', () => {
  it('counts published, delivered and subscribers per pattern and in total', () => {
    const broker = new PubSubBroker<string>();
    const metrics = new BroadcastMetrics(broker);
    broker.subscribe('logs/#', () => undefined);
    broker.subscribe('logs/#', () => undefined);
    broker.subscribe('logs/*/ERROR', () => undefined);
    broker.publish('logs/api/ERROR', 'a');
    broker.publish('logs/api/INFO', 'b');
    broker.publish('nobody', 'c');
    const snap = metrics.stats();
    expect(snap.total).toMatchObject({ published: 3, delivered: 5, dropped: 0, subscribers: 3, pending: 0 });
    const byPattern = Object.fromEntries(snap.patterns.map((p) => [p.pattern, p]));
    expect(byPattern['logs/#']).toMatchObject({ published: 2, delivered: 4, subscribers: 2 });
    expect(byPattern['logs/*/ERROR']).toMatchObject({ published: 1, delivered: 1, subscribers: 1 });
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
  });

  it('satisfies delivered + dropped = published × matching subscribers with queues that drop', async () => {
    const broker = new PubSubBroker<number>();
    const metrics = new BroadcastMetrics(broker);
    broker.subscribe('t/#', () => undefined);
    broker.subscribe('t/#', () => undefined, { queue: { maxItems: 5, lowWaterItems: 1 } });
    broker.subscribe('t/#', () => undefined, { queue: { maxItems: 10, lowWaterItems: 1, policy: 'drop-oldest' } });
    const published = 100;
    for (let i = 0; i < published; i++) broker.publish('t/x', i);
    await drain(broker as PubSubBroker<unknown>);
    const row = metrics.stats().patterns.find((p) => p.pattern === 't/#');
    expect(row).toBeDefined();
    if (row === undefined) return;
    expect(row.published).toBe(published);
    expect(row.delivered + row.dropped).toBe(published * 3);
    expect(row.dropped).toBe(95 + 90);
    expect(row.droppedBy).toEqual({ 'drop-newest': 95, 'drop-oldest': 90 });
    expect(row.dropRate).toBeCloseTo(185 / 300);
  });

  it('counts handler errors and bytes with a size function', () => {
    const broker = new PubSubBroker<string>();
    broker.on('error', () => undefined);
    const metrics = new BroadcastMetrics(broker, { sizeOf: (m) => m.length });
    broker.subscribe('a', () => {
      throw new Error('x');
    });
    broker.subscribe('a', () => undefined);
    broker.publish('a', 'hello');
    const row = metrics.stats().patterns[0];
    // The throwing handler is an error, not a delivery; both began, so both are sized.
    expect(row).toMatchObject({ pattern: 'a', errors: 1, bytes: 10, delivered: 1, offered: 2 });
    expect(metrics.stats().total).toMatchObject({ errors: 1, bytes: 10 });
  });

  it('caps pattern cardinality and counts the rest under the other bucket', () => {
    const broker = new PubSubBroker<number>();
    const metrics = new BroadcastMetrics(broker, { maxPatterns: 2 });
    for (let i = 0; i < 5; i++) broker.subscribe(`p/${i}`, () => undefined);
    for (let i = 0; i < 5; i++) broker.publish(`p/${i}`, i);
    const snap = metrics.stats();
    expect(snap.patterns.map((p) => p.pattern)).toEqual(['p/0', 'p/1', OTHER_PATTERNS]);
    expect(snap.patterns[2]).toMatchObject({ published: 3, delivered: 3, subscribers: 3 });
    expect(parsePrometheus(metrics.toPrometheus()).get('logcaster_delivered_total')?.samples).toHaveLength(3);
  });

  it('starts from zero after reset()', () => {
    const broker = new PubSubBroker<number>();
    const metrics = new BroadcastMetrics(broker, { sampleEvery: 1 });
    broker.subscribe('a', () => undefined);
    broker.publish('a', 1);
    metrics.reset();
    broker.publish('a', 2);
    expect(metrics.stats().total).toMatchObject({ published: 1, delivered: 1 });
    expect(metrics.stats().total.latency.start.count).toBe(1);
  });

  it('stops observing after close(), keeping the counts it had', () => {
    const broker = new PubSubBroker<number>();
    const metrics = new BroadcastMetrics(broker);
    broker.subscribe('a', () => undefined);
    metrics.close();
    broker.publish('a', 1);
    expect(metrics.stats().total.delivered).toBe(0);
  });
});

describe('BroadcastMetrics latency', () => {
  it('counts every delivery but times one in sampleEvery', () => {
    const broker = new PubSubBroker<number>();
    const metrics = new BroadcastMetrics(broker, { sampleEvery: 4 });
    broker.subscribe('a', () => undefined);
    broker.subscribe('a', () => undefined, { queue: true });
    for (let i = 0; i < 50; i++) broker.publish('a', i);
    const before = metrics.stats().patterns[0];
    expect(before.delivered).toBe(50); // the queued ones have not started yet
    expect(before.latency.start.count).toBe(13); // deliveries 1, 5, 9, … 49
    expect(metrics.stats().total.latency.start.count).toBe(13);
    expect(() => new BroadcastMetrics(broker, { sampleEvery: 0 })).toThrow(/sampleEvery.*0/);
  });

  it('reports percentiles of publish→handler start and end from the HDR histogram', async () => {
    const broker = new PubSubBroker<number>();
    const metrics = new BroadcastMetrics(broker);
    broker.subscribe('a', () => new Promise<void>((resolve) => setTimeout(resolve, 5)));
    broker.publish('a', 1);
    await broker.drain();
    const { start, end } = metrics.stats().total.latency;
    expect(start.count).toBe(1);
    expect(end.count).toBe(1);
    // The handler's promise settles no sooner than its 5 ms timer.
    expect(end.min).toBeGreaterThanOrEqual(4000);
    expect(start.max).toBeLessThan(end.min);
  });

  it('reports known recorded values at the right percentiles', async () => {
    const { LatencyRecorder } = await import('../src/metrics/latency.js');
    const recorder = new LatencyRecorder();
    // 1..1000 µs, one each: P50 ≈ 500 µs, P99 ≈ 990 µs (HDR keeps 3 significant digits).
    for (let us = 1; us <= 1000; us++) recorder.record(us / 1000);
    const s = recorder.summary();
    expect(s.count).toBe(1000);
    expect(s.min).toBeCloseTo(1, 0);
    expect(s.max).toBeCloseTo(1000, -1);
    expect(s.p50).toBeGreaterThanOrEqual(499);
    expect(s.p50).toBeLessThanOrEqual(501);
    expect(s.p95).toBeGreaterThanOrEqual(949);
    expect(s.p95).toBeLessThanOrEqual(951);
    expect(s.p99).toBeGreaterThanOrEqual(989);
    expect(s.p99).toBeLessThanOrEqual(991);
    expect(s.mean).toBeCloseTo(500.5, 0);
  });
});

describe('BroadcastMetrics Prometheus export', () => {
  it('writes parseable families with HELP, TYPE, counters, gauges and summaries', () => {
    const broker = new PubSubBroker<number>();
    const metrics = new BroadcastMetrics(broker);
    broker.subscribe('logs/#', () => undefined);
    broker.publish('logs/a', 1);
    const families = parsePrometheus(metrics.toPrometheus());
    expect(families.get('logcaster_published_total')).toMatchObject({ type: 'counter', samples: [{ value: 1 }] });
    expect(families.get('logcaster_subscribers')).toMatchObject({ type: 'gauge', samples: [{ labels: { pattern: 'logs/#' }, value: 1 }] });
    const summary = families.get('logcaster_delivery_start_seconds');
    expect(summary?.type).toBe('summary');
    const quantiles = summary?.samples.filter((s) => s.labels.quantile !== undefined).map((s) => s.labels.quantile);
    expect(quantiles).toEqual(['0.5', '0.95', '0.99', '0.999']);
    expect(summary?.samples.find((s) => s.name.endsWith('_count'))?.value).toBe(1);
    for (const family of families.values()) expect(family.help.length).toBeGreaterThan(0);
  });

  it('escapes backslashes, quotes and newlines in label values', () => {
    const broker = new PubSubBroker<number>();
    const metrics = new BroadcastMetrics(broker);
    const pattern = 'we"ird\\pat\ntern';
    broker.subscribe(pattern, () => undefined);
    broker.publish(pattern, 1);
    const text = metrics.toPrometheus();
    expect(text).toContain('pattern="we\\"ird\\\\pat\\ntern"');
    const delivered = parsePrometheus(text).get('logcaster_delivered_total');
    expect(delivered?.samples[0].labels.pattern).toBe(pattern);
  });

  it('uses the configured prefix and rejects an invalid one', () => {
    const broker = new PubSubBroker<number>();
    expect(parsePrometheus(new BroadcastMetrics(broker, { prefix: 'app_bus' }).toPrometheus()).has('app_bus_published_total')).toBe(true);
    expect(() => new BroadcastMetrics(broker, { prefix: '1bad' })).toThrow(TypeError);
    expect(() => new BroadcastMetrics(broker, { maxPatterns: 0 })).toThrow(RangeError);
  });
});

describe('BroadcastMetrics reports', () => {
  it('names the subscribers whose drops grew since the previous report', () => {
    const broker = new PubSubBroker<number>();
    const metrics = new BroadcastMetrics(broker);
    const slow = broker.subscribe('t', () => new Promise(() => undefined), { queue: { maxItems: 2, lowWaterItems: 1 } });
    broker.subscribe('t', () => undefined);
    for (let i = 0; i < 5; i++) broker.publish('t', i);
    const first = metrics.takeReport();
    expect(first.slowSubscribers).toEqual([{ id: slow.id, pattern: 't', dropped: 3, totalDropped: 3, pending: 2 }]);
    expect(metrics.takeReport().slowSubscribers).toEqual([]);
    broker.publish('t', 9);
    expect(metrics.takeReport().slowSubscribers).toMatchObject([{ id: slow.id, dropped: 1, totalDropped: 4 }]);
    broker.close();
  });

  it('emits report events on an unref()ed interval until stopped', async () => {
    const broker = new PubSubBroker<number>();
    const metrics = new BroadcastMetrics(broker);
    let reports = 0;
    metrics.on('report', () => reports++);
    vi.useFakeTimers();
    try {
      metrics.report(5);
      vi.advanceTimersByTime(40);
      expect(reports).toBe(8);
      metrics.stopReporting();
      vi.advanceTimersByTime(40);
      expect(reports).toBe(8);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
    expect(() => metrics.report(0)).toThrow(RangeError);
  });
});
