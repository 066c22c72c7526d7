/**
 * The one error policy: a failure goes to 'error' listeners, and with none it becomes a
 * coalesced 'LogcasterWarning' process warning. Never an exception out of publish, never silent.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventEmitter } from 'eventemitter3';
import { reportError } from '../src/errors.js';
import { Batcher, BoundedQueue, BroadcastMetrics, LoadMonitor, PubSubBroker, BackpressureManager } from '../src/index.js';
import { captureWarnings, type CapturedWarning, type WarningCapture } from './helpers/warnings.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

let warnings: WarningCapture;
beforeEach(() => {
  warnings = captureWarnings();
});
afterEach(() => {
  warnings.restore();
});

/** The LogcasterWarnings so far, after what is still running (a flush's promise) has settled. */
async function logcasterWarnings(): Promise<CapturedWarning[]> {
  await tick();
  await tick();
  return [...warnings.all];
}

describe('the error policy', () => {
  it('turns 50 throwing handlers with no error listener into one warning now and a count later, and publish returns', async () => {
    const broker = new PubSubBroker<number>();
    let ran = 0;
    for (let i = 0; i < 50; i++) {
      broker.subscribe('t', () => {
        ran++;
        throw new Error(`handler ${i} failed`);
      });
    }
    expect(broker.publish('t', 1)).toBe(50);
    expect(ran).toBe(50);
    expect(broker.stats().errors).toBe(50);
    const seen = await logcasterWarnings();
    expect(seen).toHaveLength(1);
    expect(seen[0].code).toBe('LOGCASTER_UNHEARD_ERROR');
    expect(seen[0].message).toMatch(/PubSubBroker: Error: handler 0 failed/);
  });

  it("sends errors to 'error' listeners instead of warning when someone listens", async () => {
    const broker = new PubSubBroker<number>();
    const heard: unknown[] = [];
    broker.on('error', (error) => heard.push(error));
    broker.subscribe('t', () => {
      throw new Error('heard');
    });
    broker.publish('t', 1);
    expect(heard).toHaveLength(1);
    expect(await logcasterWarnings()).toHaveLength(0);
  });

  it('reports an unheard Batcher flush error as a warning', async () => {
    const batcher = new Batcher<number>({
      maxItems: 1,
      flush: () => {
        throw new Error('disk full');
      },
    });
    batcher.add(1);
    await batcher.drain();
    const seen = await logcasterWarnings();
    expect(seen.map((w) => w.message)).toEqual([expect.stringMatching(/^Batcher: Error: disk full/)]);
    expect(batcher.stats()).toMatchObject({ errors: 1, failedItems: 1 });
  });

  it('reports a failing LoadMonitor source instead of throwing from its timer', async () => {
    const monitor = new LoadMonitor({
      intervalMs: 1,
      sample: () => {
        throw new Error('no /proc');
      },
    });
    monitor.start();
    const warning = await warnings.next();
    monitor.stop();
    expect(warning.message).toMatch(/^LoadMonitor: Error: no \/proc/);
  });

  it('reports an unheard queue overflow (BoundedQueue and BackpressureManager) as a warning', async () => {
    const queue = new BoundedQueue<number>({ maxItems: 1, policy: 'disconnect' });
    queue.push(1);
    queue.push(2);
    expect(queue.closed).toBe(true);
    const manager = new BackpressureManager<number>({ maxItems: 1, policy: 'disconnect' });
    manager.open('alice');
    manager.push('alice', 1);
    manager.push('alice', 2);
    const seen = await logcasterWarnings();
    expect(seen.map((w) => w.message.split(':')[0]).sort()).toEqual(['BackpressureManager', 'BoundedQueue']);
  });

  it('keeps delivering when a metrics sizeOf throws or returns NaN, and reports it on the metrics', () => {
    const broker = new PubSubBroker<string>();
    const metrics = new BroadcastMetrics(broker, {
      sizeOf: (message) => {
        if (message === 'bad') throw new Error('cannot size');
        return Number.NaN;
      },
    });
    const errors: unknown[] = [];
    metrics.on('error', (error) => errors.push(error));
    const got: string[] = [];
    broker.subscribe('t', (m) => void got.push(m));
    expect(broker.publish('t', 'bad')).toBe(1);
    expect(broker.publish('t', 'nan')).toBe(1);
    expect(got).toEqual(['bad', 'nan']);
    expect(errors.map(String)).toEqual(['Error: cannot size', expect.stringMatching(/RangeError: sizeOf must return a finite number >= 0 \(got NaN\)/)]);
    expect(metrics.stats().total.bytes).toBe(0);
  });

  it('never throws out of publish because of an observer, and reports the observer', () => {
    const broker = new PubSubBroker<number>();
    const errors: unknown[] = [];
    broker.on('error', (error) => errors.push(error));
    broker.observe({
      offered: () => {
        throw new Error('observer bug');
      },
      started: () => undefined,
      finished: () => undefined,
      dropped: () => undefined,
    });
    let got = 0;
    broker.subscribe('t', () => void got++);
    expect(broker.publish('t', 1)).toBe(1);
    expect(got).toBe(1);
    expect(errors.map(String)).toEqual(['Error: observer bug']);
  });

  it('warns on the console, and rethrows a throwing listener in a microtask, where there is no process (a browser bundle)', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const saved = Object.getOwnPropertyDescriptor(globalThis, 'process') as PropertyDescriptor;
    const emitter = new EventEmitter<{ error: (error: unknown) => void }>();
    const failure = new Error('no process here');
    const microtasks: (() => void)[] = [];
    const queue = vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((task) => void microtasks.push(task));
    let warned: unknown[][];
    try {
      Object.defineProperty(globalThis, 'process', { value: undefined, configurable: true, writable: true });
      reportError(emitter, 'BrowserSource', failure);
      emitter.on('error', () => {
        throw new Error('listener bug');
      });
      reportError(emitter, 'BrowserSource', failure);
      warned = [...warn.mock.calls];
    } finally {
      Object.defineProperty(globalThis, 'process', saved);
      queue.mockRestore();
      warn.mockRestore();
    }
    expect(warned).toEqual([['LogcasterWarning [LOGCASTER_UNHEARD_ERROR]: BrowserSource: Error: no process here (no listener; add one to handle these)', failure]]);
    expect(microtasks).toHaveLength(1);
    expect(() => microtasks[0]()).toThrowError('listener bug');
    expect(await logcasterWarnings()).toHaveLength(0);
  });
});
