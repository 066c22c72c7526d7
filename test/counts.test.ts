/**
 * One source of truth: the broker counts every offer once, as delivered, errors, dropped or
 * pending, and BroadcastMetrics reads its totals from the broker.
 */
import { describe, expect, it } from 'vitest';
import type { BrokerStats, MetricsStats } from '../src/adapter.js';
import { BroadcastMetrics, PubSubBroker } from '../src/index.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function balance(stats: Pick<BrokerStats, 'delivered' | 'dropped' | 'pending' | 'errors'>): number {
  return stats.delivered + stats.dropped + stats.pending + stats.errors;
}

function patternSum(stats: MetricsStats, field: 'offered' | 'delivered' | 'errors' | 'dropped' | 'pending'): number {
  return stats.patterns.reduce((sum, row) => sum + row[field], 0);
}

describe('counts that are true', () => {
  it('publishes to plain, queued, grouped, throwing and ended subscribers and both sides balance', async () => {
    const broker = new PubSubBroker<number>();
    broker.on('error', () => undefined);
    const metrics = new BroadcastMetrics(broker, { sampleEvery: 1 });
    broker.subscribe('logs/#', () => undefined); // plain
    broker.subscribe('logs/*/INFO', () => {
      throw new Error('always'); // throwing
    });
    broker.subscribe('logs/#', () => undefined, { queue: { maxItems: 3, lowWaterItems: 0 } }); // queued, drops
    broker.subscribe('logs/api/INFO', () => undefined, { group: 'g' }); // grouped: one offer per publish
    broker.subscribe('logs/api/INFO', () => Promise.resolve(), { group: 'g', queue: true });
    broker.subscribe('logs/#', async () => undefined); // async plain: pending until it settles
    const ended = broker.subscribe('logs/#', () => undefined);
    ended.unsubscribe(); // ended: matches nothing any more
    const matches = 5; // plain, throwing, queued, the group, async
    const published = 10;
    for (let i = 0; i < published; i++) broker.publish('logs/api/INFO', i);

    const check = (): void => {
      const stats = broker.stats();
      expect(stats.published).toBe(published);
      expect(stats.offered).toBe(published * matches);
      expect(balance(stats)).toBe(published * matches);
      const total = metrics.stats().total;
      expect(total).toMatchObject({
        published: stats.published,
        offered: stats.offered,
        delivered: stats.delivered,
        errors: stats.errors,
        dropped: stats.dropped,
        pending: stats.pending,
      });
      expect(balance(total)).toBe(published * matches);
      const rows = metrics.stats();
      for (const field of ['offered', 'delivered', 'errors', 'dropped'] as const) {
        expect(patternSum(rows, field)).toBe(total[field]);
      }
    };
    // Right after publishing: queued and async deliveries are still pending.
    expect(broker.stats().pending).toBeGreaterThan(0);
    check();
    await broker.drain();
    await tick();
    check();
    const stats = broker.stats();
    expect(stats).toMatchObject({ errors: published, dropped: published - 3, pending: 0 });
    expect(stats.delivered).toBe(published * matches - published - (published - 3));
  });

  it('no longer counts a message as delivered before any handler ran', () => {
    const broker = new PubSubBroker<number>();
    broker.subscribe('t', () => undefined, { queue: true });
    for (let i = 0; i < 5; i++) broker.publish('t', i);
    expect(broker.stats()).toMatchObject({ offered: 5, delivered: 0, pending: 5 });
  });

  it('lets several metrics watch one broker, each with its own counts', () => {
    const broker = new PubSubBroker<number>();
    const first = new BroadcastMetrics(broker);
    broker.subscribe('t', () => undefined);
    broker.publish('t', 1);
    const second = new BroadcastMetrics(broker);
    broker.publish('t', 2);
    expect(first.stats().total.delivered).toBe(2);
    expect(second.stats().total.delivered).toBe(1);
    expect(first.stats().patterns[0].delivered).toBe(2);
    expect(second.stats().patterns[0].delivered).toBe(1);
    second.close();
    broker.publish('t', 3);
    expect(first.stats().total.delivered).toBe(3);
    expect(second.stats().total.delivered).toBe(1);
  });
});

describe('a re-entrant publish storm', () => {
  it('stops two self-re-publishing handlers at the depth or work limit with one report per top-level publish', () => {
    const broker = new PubSubBroker<number>({ maxPublishDepth: 20, maxPublishWork: 1000 });
    const errors: unknown[] = [];
    broker.on('error', (error) => errors.push(error));
    let calls = 0;
    for (let i = 0; i < 2; i++) {
      broker.subscribe('storm', (n, topic) => {
        calls++;
        broker.publish(topic, n + 1);
      });
    }
    broker.publish('storm', 0);
    expect(calls).toBeLessThanOrEqual(1000);
    expect(errors).toHaveLength(1);
    expect(broker.stats().refused).toBeGreaterThan(1);
  });

  it('stops two self-re-publishing handlers at the work budget and reports it once', () => {
    const broker = new PubSubBroker<number>({ maxPublishDepth: 1000, maxPublishWork: 200 });
    const errors: unknown[] = [];
    broker.on('error', (error) => errors.push(error));
    let calls = 0;
    // Each handler re-publishes its own topic, which both match: 2^21 - 2 calls unbounded.
    broker.subscribe('storm/#', (n, topic) => {
      calls++;
      broker.publish(topic, n + 1);
    });
    broker.subscribe('storm/a', (n, topic) => {
      calls++;
      broker.publish(topic, n + 1);
    });
    broker.publish('storm/a', 0);
    expect(calls).toBeLessThanOrEqual(200);
    expect(calls).toBeGreaterThan(190);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'ERR_PUBLISH_WORK', limit: 200, topic: 'storm/a' });
    expect(broker.stats().refused).toBeGreaterThan(0);
    // The next top-level publish gets a fresh budget.
    calls = 0;
    broker.publish('storm/a', 0);
    expect(calls).toBeGreaterThan(190);
    expect(errors).toHaveLength(2);
  });

  it('bounds the storm by default (100,000 calls), far below the 2,097,150 of depth 20 alone', () => {
    const broker = new PubSubBroker<number>({ maxPublishDepth: 20 });
    broker.on('error', () => undefined);
    let calls = 0;
    broker.subscribe('s', (n) => {
      calls++;
      broker.publish('s', n);
    });
    broker.subscribe('s', (n) => {
      calls++;
      broker.publish('s', n);
    });
    broker.publish('s', 0);
    expect(calls).toBeLessThanOrEqual(100_000);
  });

  it('never refuses the top-level publish, however large its fan-out', () => {
    const broker = new PubSubBroker<number>({ maxPublishWork: 10 });
    let calls = 0;
    for (let i = 0; i < 50; i++) broker.subscribe('t', () => void calls++);
    expect(broker.publish('t', 1)).toBe(50);
    expect(calls).toBe(50);
  });
});
