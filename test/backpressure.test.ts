import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BackpressureManager, BoundedQueue, SlowConsumerError, type DropReason } from '../src/index.js';

/** Records a manager's events as readable strings. */
function record<T>(manager: BackpressureManager<T>): string[] {
  const events: string[] = [];
  manager.on('drop', (key, count, reason) => events.push(`drop ${key} ${count} ${reason}`));
  manager.on('pause', (key) => events.push(`pause ${key}`));
  manager.on('resume', (key) => events.push(`resume ${key}`));
  manager.on('overflow', (key, error) => events.push(`overflow ${key} ${error.code}`));
  return events;
}

describe('BackpressureManager queues', () => {
  it('opens queues from the defaults with per-key overrides, and returns the existing queue for a key', () => {
    const manager = new BackpressureManager<string>({ maxItems: 4, lowWaterItems: 1, maxBytes: 100 });
    const a = manager.open('a');
    const b = manager.open('b', { maxItems: 2, policy: 'drop-oldest', maxBytes: undefined });
    expect(manager.open('a', { maxItems: 50 })).toBe(a);
    expect(a).toBeInstanceOf(BoundedQueue);
    expect(manager.get('b')).toBe(b);
    expect(manager.get('c')).toBeUndefined();
    expect(manager.has('a')).toBe(true);
    expect([...manager.keys()]).toEqual(['a', 'b']);
    expect(manager.size).toBe(2);
    const stats = manager.statsByKey();
    expect(stats.get('a')).toMatchObject({ maxItems: 4, maxBytes: 100 });
    // An undefined override keeps the default.
    expect(stats.get('b')).toMatchObject({ maxItems: 2, maxBytes: 100 });
    for (const s of ['1', '2', '3']) manager.push('b', s);
    expect(manager.shift('b')).toBe('2');
    expect(manager.shift('nope')).toBeUndefined();
  });

  it('re-emits its queues’ events with their key', () => {
    const manager = new BackpressureManager<number>({ maxItems: 2, lowWaterItems: 0 });
    const events = record(manager);
    manager.open('fast');
    manager.open('slow', { policy: 'disconnect' });
    manager.push('fast', 1);
    manager.push('fast', 2);
    manager.push('fast', 3);
    manager.shift('fast');
    manager.shift('fast');
    manager.push('slow', 1);
    manager.push('slow', 2);
    manager.push('slow', 3);
    expect(events).toEqual([
      'pause fast',
      'drop fast 1 drop-newest',
      'resume fast',
      'pause slow',
      'drop slow 3 disconnect',
      'overflow slow ERR_SLOW_CONSUMER',
    ]);
    expect(manager.get('slow')?.closed).toBe(true);
    expect(manager.has('slow')).toBe(true);
  });

  it('hands the overflow listener the SlowConsumerError', () => {
    const manager = new BackpressureManager<string>({ maxBytes: 8, policy: 'disconnect' });
    const errors: SlowConsumerError[] = [];
    manager.on('overflow', (_key, error) => errors.push(error));
    manager.open('alice');
    manager.push('alice', '12345678');
    manager.push('alice', '9');
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toBe('queue overflowed: 8 bytes pending, hard bound 8 bytes');
  });

  it('reports stats per key and totals over all queues', () => {
    const manager = new BackpressureManager<string>({ maxItems: 2, lowWaterItems: 0, sizeOf: (s) => s.length });
    manager.open('a');
    manager.open('b');
    manager.push('a', 'xx');
    manager.push('a', 'yyy');
    manager.push('a', 'z');
    manager.push('b', 'w');
    expect(manager.stats()).toEqual({ queues: 2, pending: 3, pendingBytes: 6, dropped: 1, paused: 1 });
    expect(manager.statsByKey().get('a')).toMatchObject({ length: 2, bytes: 5, dropped: 1, paused: true });
    expect(manager.statsByKey().get('b')).toMatchObject({ length: 1, bytes: 1, dropped: 0, paused: false });
  });

  it('counts a push to an unknown key as a dropped item and emits it', () => {
    const manager = new BackpressureManager<number>();
    const events = record(manager);
    expect(manager.push('ghost', 1)).toBe(false);
    expect(manager.stats().dropped).toBe(1);
    expect(events).toEqual(['drop ghost 1 closed']);
    expect(manager.has('ghost')).toBe(false);
  });
});

describe('takeDropReport', () => {
  it('lists only the keys whose drops grew since the previous call, with the increase', () => {
    const manager = new BackpressureManager<number>({ maxItems: 1, lowWaterItems: 0 });
    manager.open('a');
    manager.open('b');
    manager.open('c');
    for (let i = 0; i < 4; i++) manager.push('a', i);
    for (let i = 0; i < 2; i++) manager.push('b', i);
    manager.push('c', 0);
    expect(manager.takeDropReport()).toEqual(
      new Map([
        ['a', 3],
        ['b', 1],
      ]),
    );
    expect(manager.takeDropReport()).toEqual(new Map());
    manager.push('b', 9);
    expect(manager.takeDropReport()).toEqual(new Map([['b', 1]]));
  });

  it('does not consume the queues’ own takeDropped counters', () => {
    const manager = new BackpressureManager<number>({ maxItems: 1, lowWaterItems: 0 });
    const queue = manager.open('a');
    manager.push('a', 1);
    manager.push('a', 2);
    manager.takeDropReport();
    expect(queue.takeDropped()).toBe(1);
  });
});

describe('bounded memory', () => {
  it('refuses to open more than maxQueues queues with a RangeError naming the value', () => {
    const manager = new BackpressureManager<number>({ maxQueues: 2 });
    manager.open('a');
    manager.open('b');
    expect(() => manager.open('c')).toThrow(RangeError);
    expect(() => manager.open('c')).toThrow(/maxQueues \(2\)/);
    expect(manager.open('a')).toBe(manager.get('a'));
    manager.delete('a');
    expect(() => manager.open('c')).not.toThrow();
    expect(manager.size).toBe(2);
  });

  it('delete closes the queue, counts its pending items, stops listening and forgets it', () => {
    const manager = new BackpressureManager<number>();
    const events = record(manager);
    const queue = manager.open('a');
    manager.push('a', 1);
    manager.push('a', 2);
    expect(manager.delete('a')).toBe(true);
    expect(manager.delete('a')).toBe(false);
    expect(queue.closed).toBe(true);
    expect(queue.listenerCount('drop')).toBe(0);
    expect(queue.listenerCount('pause')).toBe(0);
    expect(queue.listenerCount('resume')).toBe(0);
    expect(queue.listenerCount('overflow')).toBe(0);
    expect(events).toEqual(['drop a 2 closed']);
    expect(manager.has('a')).toBe(false);
    // Drops of deleted queues stay in the totals: the counter never goes down.
    expect(manager.stats()).toEqual({ queues: 0, pending: 0, pendingBytes: 0, dropped: 2, paused: 0 });
    // A new queue under the same key starts fresh.
    expect(manager.open('a')).not.toBe(queue);
    expect(manager.statsByKey().get('a')?.pushed).toBe(0);
  });

  it('returns to size 0 after open/delete churn', () => {
    const manager = new BackpressureManager<number>({ maxItems: 3, lowWaterItems: 0, maxQueues: 10 });
    for (let round = 0; round < 1000; round++) {
      const key = `client-${round}`;
      manager.open(key);
      manager.push(key, round);
      if (round % 3 === 0) manager.takeDropReport();
      manager.delete(key);
    }
    expect(manager.size).toBe(0);
    expect([...manager.keys()]).toEqual([]);
    expect(manager.statsByKey().size).toBe(0);
    expect(manager.takeDropReport().size).toBe(0);
    expect(manager.stats()).toEqual({ queues: 0, pending: 0, pendingBytes: 0, dropped: 1000, paused: 0 });
  });

  it('close deletes every queue and refuses new ones', () => {
    const manager = new BackpressureManager<number>();
    const a = manager.open('a');
    manager.open('b');
    manager.push('a', 1);
    manager.close();
    manager.close();
    expect(manager.size).toBe(0);
    expect(a.closed).toBe(true);
    expect(() => manager.open('c')).toThrow(/closed/);
    expect(manager.push('a', 2)).toBe(false);
  });
});

describe('BackpressureManager options', () => {
  it('rejects a bad maxQueues with a RangeError naming the value', () => {
    expect(() => new BackpressureManager({ maxQueues: -1 })).toThrow(/maxQueues must be .*-1/);
    expect(() => new BackpressureManager({ maxQueues: 1.5 })).toThrow(RangeError);
  });

  it('validates the queue defaults in the constructor, and overrides in open', () => {
    expect(() => new BackpressureManager({ maxItems: 0 })).toThrow(/maxItems .*0/);
    const manager = new BackpressureManager<number>({ lowWaterItems: 50 });
    expect(() => manager.open('a', { maxItems: 10 })).toThrow(/got 10 < 50/);
    expect(manager.size).toBe(0);
  });
});

describe('BackpressureManager totals against its queues', () => {
  type Op =
    | { kind: 'open'; key: number }
    | { kind: 'push'; key: number }
    | { kind: 'shift'; key: number }
    | { kind: 'delete'; key: number }
    | { kind: 'report' };
  const key = fc.integer({ min: 0, max: 4 });
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('open' as const), key }),
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('push' as const), key }) },
    fc.record({ kind: fc.constant('shift' as const), key }),
    fc.record({ kind: fc.constant('delete' as const), key }),
    fc.record({ kind: fc.constant('report' as const) }),
  );

  it('keeps totals equal to the sum of its queues, and reports every drop of a live queue exactly once', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
        const manager = new BackpressureManager<number>({ maxItems: 3, lowWaterItems: 1, maxQueues: 3 });
        const emitted: Record<DropReason, number> = {
          'drop-newest': 0,
          'drop-oldest': 0,
          'drop-lowest-priority': 0,
          disconnect: 0,
          closed: 0,
        };
        manager.on('drop', (_key, count, reason) => (emitted[reason] += count));
        // What the report should say: drops per key since the key was last reported.
        const baseline = new Map<string, number>();
        let reported = 0;
        let lost = 0; // drops of queues deleted before being reported, and pushes to unknown keys
        let lastDropped = 0;
        const takeReport = (): void => {
          const report = manager.takeDropReport();
          for (const [name, queue] of manager.statsByKey()) {
            const growth = queue.dropped - (baseline.get(name) ?? 0);
            expect(report.get(name)).toBe(growth > 0 ? growth : undefined);
            baseline.set(name, queue.dropped);
          }
          for (const count of report.values()) reported += count;
        };
        for (const op of ops) {
          const name = op.kind === 'report' ? '' : `k${op.key}`;
          if (op.kind === 'open') {
            if (!manager.has(name) && manager.size >= 3) expect(() => manager.open(name)).toThrow(RangeError);
            else manager.open(name);
          } else if (op.kind === 'push') {
            if (!manager.has(name)) lost++;
            manager.push(name, 0);
          } else if (op.kind === 'shift') {
            manager.shift(name);
          } else if (op.kind === 'delete') {
            const queue = manager.get(name);
            manager.delete(name);
            if (queue !== undefined) lost += queue.dropped - (baseline.get(name) ?? 0);
            baseline.delete(name);
          } else {
            takeReport();
          }
          const totals = manager.stats();
          const stats = [...manager.statsByKey().values()];
          expect(totals.queues).toBe(manager.size);
          expect(manager.size).toBeLessThanOrEqual(3);
          expect(totals.pending).toBe(stats.reduce((sum, s) => sum + s.length, 0));
          expect(totals.paused).toBe(stats.filter((s) => s.paused).length);
          expect(totals.dropped).toBeGreaterThanOrEqual(lastDropped);
          lastDropped = totals.dropped;
          expect(totals.dropped).toBe(Object.values(emitted).reduce((sum, n) => sum + n, 0));
        }
        takeReport();
        expect(reported + lost).toBe(manager.stats().dropped);
      }),
      { numRuns: 100 },
    );
  });
});
