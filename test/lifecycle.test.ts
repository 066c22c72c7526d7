/**
 * One meaning of drain and close across classes, typed errors for closed things and for calls
 * the state does not allow, and disposal with `using` / `await using`.
 */
import { describe, expect, it } from 'vitest';
import {
  BackpressureManager,
  Batcher,
  BoundedQueue,
  BroadcastMetrics,
  ClosedError,
  InvalidStateError,
  LoadMonitor,
  PubSubBroker,
  TimeoutError,
} from '../src/index.js';

describe('drain and close', () => {
  it('rejects Batcher.drain with a TimeoutError saying how many items are pending', async () => {
    let release: () => void = () => undefined;
    const batcher = new Batcher<number>({ maxItems: 1, flush: () => new Promise<void>((resolve) => (release = resolve)) });
    batcher.add(1);
    batcher.add(2);
    const error = await batcher.drain({ timeoutMs: 10 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ code: 'ERR_TIMEOUT', operation: 'Batcher.drain', pending: 1 });
    release();
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await batcher.drain();
    expect(batcher.stats()).toMatchObject({ batches: 2, pending: 0 });
  });

  it('flushes on await using (close with drain)', async () => {
    const flushed: number[][] = [];
    {
      await using batcher = new Batcher<number>({ flush: (items) => void flushed.push(items) });
      batcher.add(1);
      batcher.add(2);
    }
    expect(flushed).toEqual([[1, 2]]);
  });

  it('refuses work on a closed object with one ClosedError naming the class and the operation', async () => {
    const broker = new PubSubBroker<number>();
    await broker.close();
    const batcher = new Batcher<number>({ flush: () => undefined });
    await batcher.close();
    const manager = new BackpressureManager<number>();
    manager.close();
    const errors: unknown[] = [];
    for (const act of [() => broker.publish('a', 1), () => broker.subscribe('a', () => undefined), () => batcher.add(1), () => manager.open('k')]) {
      try {
        act();
      } catch (error) {
        errors.push(error);
      }
    }
    expect(errors.every((e) => e instanceof ClosedError)).toBe(true);
    expect(errors.map((e) => [(e as ClosedError).target, (e as ClosedError).operation])).toEqual([
      ['PubSubBroker', 'publish'],
      ['PubSubBroker', 'subscribe'],
      ['Batcher', 'add'],
      ['BackpressureManager', 'open queue "k"'],
    ]);
    expect([broker.closed, batcher.closed, manager.closed]).toEqual([true, true, true]);
  });

  it('rejects a second next() on a stream before the first settled with an InvalidStateError', async () => {
    const broker = new PubSubBroker<number>();
    const stream = broker.stream('t');
    const first = stream.next();
    await expect(stream.next()).rejects.toBeInstanceOf(InvalidStateError);
    broker.publish('t', 1);
    await expect(first).resolves.toMatchObject({ done: false, value: { message: 1 } });
    await stream.return();
  });

  it('disposes every class that owns a timer or a queue with using', () => {
    let queue: BoundedQueue<number> | undefined;
    let manager: BackpressureManager<number> | undefined;
    let monitor: LoadMonitor | undefined;
    let metrics: BroadcastMetrics<number> | undefined;
    const broker = new PubSubBroker<number>();
    {
      using q = new BoundedQueue<number>();
      using m = new BackpressureManager<number>();
      using lm = new LoadMonitor({ sample: () => ({ cpu: 0, memory: 0 }) }).start();
      using bm = new BroadcastMetrics(broker).report(1000);
      q.push(1);
      m.open('a');
      [queue, manager, monitor, metrics] = [q, m, lm, bm];
    }
    expect(queue?.closed).toBe(true);
    expect(queue?.stats().droppedBy.closed).toBe(1);
    expect(manager?.closed).toBe(true);
    expect(metrics?.attached).toBe(false);
    // A stopped monitor can start again; disposal only stopped it.
    expect(monitor?.start()).toBe(monitor);
    monitor?.stop();
  });
});
