import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Batcher, ClosedError } from '../src/index.js';
import { captureWarnings } from './helpers/warnings.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Lets queued microtasks (the flush pump) run. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('Batcher', () => {
  it('flushes when maxItems is reached', async () => {
    const batches: number[][] = [];
    const batcher = new Batcher<number>({ maxItems: 3, flush: (items) => void batches.push(items) });
    for (let i = 0; i < 7; i++) batcher.add(i);
    await settle();
    expect(batches).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    expect(batcher.pending).toBe(1);
  });

  it('flushes when maxBytes would be passed, starting the next batch with the item', async () => {
    const batches: string[][] = [];
    const batcher = new Batcher<string>({ maxBytes: 10, flush: (items) => void batches.push(items) });
    batcher.add('aaaa');
    batcher.add('bbbb');
    batcher.add('cccc'); // 12 bytes would pass 10
    await settle();
    expect(batches).toEqual([['aaaa', 'bbbb']]);
    batcher.add('dddddd'); // reaches 10 exactly
    await settle();
    expect(batches).toEqual([['aaaa', 'bbbb'], ['cccc', 'dddddd']]);
  });

  it('flushes an item bigger than maxBytes as a batch of one', async () => {
    const batches: string[][] = [];
    const batcher = new Batcher<string>({ maxBytes: 4, flush: (items) => void batches.push(items) });
    batcher.add('ab');
    batcher.add('much too long');
    await settle();
    expect(batches).toEqual([['ab'], ['much too long']]);
  });

  it('flushes maxDelayMs after the first item of a batch', async () => {
    const batches: number[][] = [];
    const batcher = new Batcher<number>({ maxDelayMs: 100, flush: (items) => void batches.push(items) });
    batcher.add(1);
    vi.advanceTimersByTime(60);
    batcher.add(2); // does not restart the clock
    vi.advanceTimersByTime(39);
    await settle();
    expect(batches).toEqual([]);
    vi.advanceTimersByTime(1);
    await settle();
    expect(batches).toEqual([[1, 2]]);
  });

  it('flushes at once for a high item, high before normal before low', async () => {
    const batches: string[][] = [];
    const batcher = new Batcher<string>({ flush: (items) => void batches.push(items) });
    batcher.add('low-1', 'low');
    batcher.add('normal-1');
    batcher.add('low-2', 'low');
    batcher.add('normal-2', 'normal');
    batcher.add('HIGH', 'high');
    await settle();
    expect(batches).toEqual([['HIGH', 'normal-1', 'normal-2', 'low-1', 'low-2']]);
  });

  it('orders numeric priorities highest first', async () => {
    const batches: string[][] = [];
    const batcher = new Batcher<string>({ flush: (items) => void batches.push(items) });
    batcher.add('p0', 0);
    batcher.add('p1.5', 1.5);
    batcher.add('p-3', -3);
    await batcher.drain();
    expect(batches).toEqual([['p1.5', 'p0', 'p-3']]);
    expect(() => batcher.add('x', 'urgent' as 'high')).toThrow(RangeError);
  });

  it('never overlaps flushes: items added during an async flush go to the next batch', async () => {
    let running = 0;
    let maxRunning = 0;
    const batches: number[][] = [];
    const releases: (() => void)[] = [];
    const batcher = new Batcher<number>({
      maxItems: 2,
      flush: async (items) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        batches.push(items);
        await new Promise<void>((resolve) => releases.push(resolve));
        running--;
      },
    });
    batcher.add(1);
    batcher.add(2); // sealed, flush starts
    await settle();
    batcher.add(3);
    batcher.add(4); // sealed, waits
    batcher.add(5);
    await settle();
    expect(batches).toEqual([[1, 2]]);
    releases.shift()?.();
    await settle();
    expect(batches).toEqual([
      [1, 2],
      [3, 4],
    ]);
    releases.shift()?.();
    const done = batcher.close({ drain: true });
    await settle();
    releases.shift()?.();
    await done;
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
    expect(maxRunning).toBe(1);
  });

  it('emits flush errors with the failed items and keeps going', async () => {
    const failures: [unknown, number[]][] = [];
    const flushed: number[][] = [];
    const batcher = new Batcher<number>({
      maxItems: 2,
      flush: (items) => {
        if (items.includes(1)) throw new Error('sync fail');
        if (items.includes(3)) return Promise.reject(new Error('async fail'));
        flushed.push(items);
      },
    });
    batcher.on('error', (error, items) => failures.push([(error as Error).message, items]));
    for (let i = 0; i < 6; i++) batcher.add(i);
    await batcher.drain();
    expect(failures).toEqual([
      ['sync fail', [0, 1]],
      ['async fail', [2, 3]],
    ]);
    expect(flushed).toEqual([[4, 5]]);
    expect(batcher.stats()).toEqual({ batches: 3, items: 6, errors: 2, failedItems: 4, pending: 0, dropped: 0 });
  });

  it('counts flush errors without throwing when nobody listens, and warns', async () => {
    using warnings = captureWarnings();
    const batcher = new Batcher<number>({
      flush: () => {
        throw new Error('nobody hears');
      },
    });
    batcher.add(1);
    await expect(batcher.drain()).resolves.toBeUndefined();
    expect(batcher.stats().errors).toBe(1);
    expect((await warnings.next()).message).toMatch(/^Batcher: Error: nobody hears/);
  });

  it("close() without drain discards what is pending, counts it as dropped and emits 'drop'", async () => {
    const batches: number[][] = [];
    const batcher = new Batcher<number>({ flush: (items) => void batches.push(items) });
    const drops: [number, string][] = [];
    batcher.on('drop', (count, reason) => drops.push([count, reason]));
    batcher.add(1);
    batcher.add(2);
    await batcher.close();
    await settle();
    expect(batches).toEqual([]);
    expect(batcher.stats()).toMatchObject({ dropped: 2, pending: 0, items: 0 });
    expect(drops).toEqual([[2, 'closed']]);
  });

  it('close({ drain: true }) flushes what remains, then refuses adds with a typed error', async () => {
    const batches: number[][] = [];
    const batcher = new Batcher<number>({ flush: (items) => void batches.push(items) });
    batcher.add(1);
    batcher.add(2);
    await batcher.close({ drain: true });
    expect(batches).toEqual([[1, 2]]);
    expect(batcher.closed).toBe(true);
    expect(() => batcher.add(3)).toThrow(ClosedError);
    try {
      batcher.add(3);
    } catch (error) {
      expect((error as ClosedError).code).toBe('ERR_CLOSED');
    }
    await expect(batcher.close()).resolves.toBeUndefined();
  });

  it('measures maxDelayMs from the first item of each batch', async () => {
    const batches: number[][] = [];
    const batcher = new Batcher<number>({ maxItems: 2, maxDelayMs: 50, flush: (items) => void batches.push(items) });
    batcher.add(1);
    vi.advanceTimersByTime(40);
    batcher.add(2); // full: flushes now, and the delay clock stops
    vi.advanceTimersByTime(30);
    batcher.add(3); // first item of the next batch
    vi.advanceTimersByTime(49);
    await settle();
    expect(batches).toEqual([[1, 2]]);
    vi.advanceTimersByTime(1);
    await settle();
    expect(batches).toEqual([[1, 2], [3]]);
  });

  it('sizes strings by UTF-8 bytes and Buffers by length by default', async () => {
    const batches: unknown[][] = [];
    const batcher = new Batcher<string | Buffer | { n: number }>({ maxBytes: 8, flush: (items) => void batches.push(items) });
    batcher.add('éé'); // 4 bytes in UTF-8, 2 characters
    batcher.add(Buffer.alloc(3));
    batcher.add({ n: 1 }); // 0 bytes
    await settle();
    expect(batches).toEqual([]);
    batcher.add('€'); // 3 bytes: 4 + 3 + 3 > 8
    await settle();
    expect(batches).toEqual([['éé', Buffer.alloc(3), { n: 1 }]]);
    expect(batcher.pending).toBe(1);
  });

  it('uses a custom sizeOf', async () => {
    const batches: number[][] = [];
    const batcher = new Batcher<number>({ maxBytes: 10, sizeOf: (n) => n, flush: (items) => void batches.push(items) });
    batcher.add(4);
    batcher.add(6); // reaches 10
    await settle();
    expect(batches).toEqual([[4, 6]]);
    expect(() => batcher.add(Number.NaN)).toThrow(/sizeOf.*NaN/);
  });

  it('close({ drain: true }) waits for a running flush and the rest, and refuses adds meanwhile', async () => {
    const batches: number[][] = [];
    let release: () => void = () => undefined;
    const batcher = new Batcher<number>({
      maxItems: 2,
      flush: async (items) => {
        batches.push(items);
        if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve));
      },
    });
    batcher.add(1);
    batcher.add(2);
    await settle();
    batcher.add(3);
    let closed = false;
    const closing = batcher.close({ drain: true }).then(() => (closed = true));
    expect(() => batcher.add(4)).toThrow(ClosedError);
    await settle();
    expect(closed).toBe(false);
    expect(batches).toEqual([[1, 2]]);
    release();
    await closing;
    expect(batches).toEqual([[1, 2], [3]]);
    expect(batcher.stats()).toMatchObject({ batches: 2, items: 3, pending: 0 });
  });

  it("emits 'flush' with each batch before handing it over", async () => {
    const events: string[] = [];
    const batcher = new Batcher<string>({ flush: (items) => void events.push(`flush ${items.join(',')}`) });
    batcher.on('flush', (items) => events.push(`event ${items.join(',')}`));
    batcher.add('a');
    batcher.add('b');
    await batcher.drain();
    expect(events).toEqual(['event a,b', 'flush a,b']);
  });

  it('keeps no timer holding the process open', () => {
    vi.useRealTimers();
    const holding = (): number => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
    const before = holding();
    const batcher = new Batcher<number>({ maxDelayMs: 60_000, flush: () => undefined });
    batcher.add(1);
    expect(holding()).toBe(before);
    return batcher.close();
  });

  it('rejects bad options naming the value', () => {
    const flush = (): void => undefined;
    expect(() => new Batcher({ flush, maxItems: 0 })).toThrow(/maxItems.*0/);
    expect(() => new Batcher({ flush, maxBytes: -5 })).toThrow(/maxBytes.*-5/);
    expect(() => new Batcher({ flush, maxDelayMs: NaN })).toThrow(/maxDelayMs.*NaN/);
    expect(() => new Batcher({ flush: 'nope' as unknown as () => void })).toThrow(TypeError);
  });
});
