import { describe, expect, it } from 'vitest';
import { PubSubBroker, SlowConsumerError, type UnsubscribeReason } from '../src/index.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const until = async (done: () => boolean, turns = 1000): Promise<void> => {
  for (let i = 0; i < turns && !done(); i++) await tick();
  if (!done()) throw new Error('condition not reached');
};

describe('PubSubBroker with a queued subscriber', () => {
  it('enqueues on publish and calls the handler later, in order', async () => {
    const broker = new PubSubBroker<number>();
    const got: number[] = [];
    broker.subscribe('t', (n) => void got.push(n), { queue: true });
    expect(broker.publish('t', 1)).toBe(1);
    expect(broker.publish('t', 2)).toBe(1);
    expect(got).toEqual([]);
    await until(() => got.length === 2);
    expect(got).toEqual([1, 2]);
  });

  it('awaits an async handler one message at a time by default', async () => {
    const broker = new PubSubBroker<number>();
    let running = 0;
    let maxRunning = 0;
    const got: number[] = [];
    broker.subscribe(
      't',
      async (n) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await tick();
        got.push(n);
        running--;
      },
      { queue: true },
    );
    for (let i = 0; i < 10; i++) broker.publish('t', i);
    await until(() => got.length === 10);
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(maxRunning).toBe(1);
  });

  it('runs up to `concurrency` async handler calls at once', async () => {
    const broker = new PubSubBroker<number>();
    let running = 0;
    let maxRunning = 0;
    let done = 0;
    broker.subscribe(
      't',
      async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await tick();
        await tick();
        running--;
        done++;
      },
      { queue: { concurrency: 3 } },
    );
    for (let i = 0; i < 12; i++) broker.publish('t', i);
    await until(() => done === 12);
    expect(maxRunning).toBe(3);
  });

  it('reports handler throws and rejections as error events and keeps draining', async () => {
    const broker = new PubSubBroker<number>();
    const errors: unknown[] = [];
    broker.on('error', (error, topic, sub) => errors.push([error instanceof Error ? error.message : error, topic, sub?.pattern]));
    const got: number[] = [];
    broker.subscribe(
      't/#',
      async (n) => {
        if (n === 1) throw new Error('sync-ish');
        if (n === 2) return Promise.reject(new Error('async'));
        got.push(n);
      },
      { queue: true },
    );
    broker.subscribe(
      't/#',
      (n) => {
        if (n === 0) throw new Error('plain');
      },
      { queue: true },
    );
    for (let i = 0; i < 4; i++) broker.publish('t/x', i);
    await until(() => got.length === 2 && errors.length === 3);
    expect(got).toEqual([0, 3]);
    expect(errors).toEqual(
      expect.arrayContaining([
        ['sync-ish', 't/x', 't/#'],
        ['async', 't/x', 't/#'],
        ['plain', 't/x', 't/#'],
      ]),
    );
    expect(broker.stats().errors).toBe(3);
  });

  it('drops the newest message once the queue is full, counting and announcing each drop', async () => {
    const broker = new PubSubBroker<number>();
    const got: number[] = [];
    const sub = broker.subscribe('t', (n) => void got.push(n), { queue: { maxItems: 3, lowWaterItems: 1 } });
    const drops: [number, string][] = [];
    broker.on('drop', (s, count, reason) => {
      expect(s).toBe(sub);
      drops.push([count, reason]);
    });
    const taken = [1, 2, 3, 4, 5].map((n) => broker.publish('t', n));
    expect(taken).toEqual([1, 1, 1, 0, 0]);
    expect(sub.pending).toBe(3);
    expect(sub.dropped).toBe(2);
    expect(drops).toEqual([
      [1, 'drop-newest'],
      [1, 'drop-newest'],
    ]);
    await until(() => got.length === 3);
    expect(got).toEqual([1, 2, 3]);
    expect(broker.stats()).toMatchObject({ dropped: 2, pending: 0 });
  });

  it('keeps the newest messages under drop-oldest', async () => {
    const broker = new PubSubBroker<number>();
    const got: number[] = [];
    broker.subscribe('t', (n) => void got.push(n), { queue: { maxItems: 3, lowWaterItems: 1, policy: 'drop-oldest' } });
    for (let n = 1; n <= 6; n++) broker.publish('t', n);
    await until(() => got.length === 3);
    expect(got).toEqual([4, 5, 6]);
  });

  it('drops low-priority messages first when the queue is full', async () => {
    const broker = new PubSubBroker<{ level: number; id: number }>();
    const got: number[] = [];
    broker.subscribe('t', (m) => void got.push(m.id), {
      queue: { maxItems: 3, lowWaterItems: 1, policy: 'drop-lowest-priority', priorityOf: (m) => m.level },
    });
    broker.publish('t', { level: 0, id: 1 });
    broker.publish('t', { level: 2, id: 2 });
    broker.publish('t', { level: 0, id: 3 });
    broker.publish('t', { level: 2, id: 4 }); // evicts 1, the oldest of the lowest
    broker.publish('t', { level: 0, id: 5 }); // lowest itself: dropped
    await until(() => got.length === 3);
    expect(got).toEqual([2, 3, 4]);
  });

  it('bounds the queue in bytes with the message sizes', async () => {
    const broker = new PubSubBroker<string>();
    const sub = broker.subscribe('t', () => undefined, { queue: { maxBytes: 10, maxItems: 100, lowWaterItems: 1 } });
    expect(broker.publish('t', 'aaaa')).toBe(1);
    expect(broker.publish('t', 'bbbb')).toBe(1);
    expect(broker.publish('t', 'cccc')).toBe(0); // 12 bytes would exceed 10
    expect(sub.pending).toBe(2);
    expect(sub.dropped).toBe(1);
    broker.close();
  });

  it('ends a subscriber that overflows under the disconnect policy with a SlowConsumerError', async () => {
    const broker = new PubSubBroker<number>();
    const ended: UnsubscribeReason[] = [];
    const errors: unknown[] = [];
    broker.on('unsubscribe', (_sub, reason) => ended.push(reason));
    broker.on('error', (error) => errors.push(error));
    const fast: number[] = [];
    broker.subscribe('t', (n) => void fast.push(n));
    const slow = broker.subscribe('t', () => new Promise(() => undefined), {
      queue: { maxItems: 2, lowWaterItems: 1, policy: 'disconnect' },
    });
    for (let n = 0; n < 5; n++) broker.publish('t', n);
    expect(slow.active).toBe(false);
    expect(ended).toEqual(['slow-consumer']);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(SlowConsumerError);
    expect((errors[0] as SlowConsumerError).code).toBe('ERR_SLOW_CONSUMER');
    expect(fast).toEqual([0, 1, 2, 3, 4]);
    expect(broker.stats().subscriptions).toBe(1);
  });

  it('keeps a never-reading subscriber within its bound over 1,000,000 publishes while a fast one gets all', () => {
    const broker = new PubSubBroker<number>();
    let fast = 0;
    broker.subscribe('logs/#', () => {
      fast++;
    });
    // The handler never settles, so after the first message nothing more is ever taken.
    const stuck = broker.subscribe('logs/#', () => new Promise(() => undefined), {
      queue: { maxItems: 1000, lowWaterItems: 100 },
    });
    const heapBefore = process.memoryUsage().heapUsed;
    const total = 1_000_000;
    for (let i = 0; i < total; i++) broker.publish('logs/api/INFO', i);
    expect(fast).toBe(total);
    expect(stuck.pending).toBe(1000);
    expect(stuck.dropped).toBe(total - 1000);
    const stats = broker.stats();
    expect(stats.offered).toBe(total * 2);
    expect(stats.delivered + stats.dropped + stats.pending + stats.errors).toBe(total * 2);
    // 1,000 queued deliveries are a few hundred KiB; a leak of 1M would be tens of MiB.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(32 * 1024 * 1024);
    broker.close();
  });

  it('discards and counts what is pending when the subscription ends', async () => {
    const broker = new PubSubBroker<number>();
    const got: number[] = [];
    const sub = broker.subscribe('t', (n) => void got.push(n), { queue: true });
    broker.publish('t', 1);
    broker.publish('t', 2);
    sub.unsubscribe();
    await tick();
    await tick();
    expect(got).toEqual([]);
    expect(sub.dropped).toBe(2);
    expect(broker.stats()).toMatchObject({ dropped: 2, pending: 0, subscriptions: 0 });
  });

  it('rejects a bad concurrency with a RangeError naming the value', () => {
    const broker = new PubSubBroker<number>();
    expect(() => broker.subscribe('t', () => undefined, { queue: { concurrency: 0 } })).toThrow(/concurrency.*0/);
    expect(broker.stats().subscriptions).toBe(0);
  });
});
