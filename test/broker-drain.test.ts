import { describe, expect, it } from 'vitest';
import { ClosedError, PubSubBroker, TimeoutError } from '../src/index.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('PubSubBroker.drain', () => {
  it('resolves at once when nothing is pending', async () => {
    const broker = new PubSubBroker<number>();
    broker.subscribe('t', () => undefined);
    broker.publish('t', 1);
    await expect(broker.drain()).resolves.toBeUndefined();
  });

  it('resolves only after a slow async queued subscriber has handled the last message', async () => {
    const broker = new PubSubBroker<number>();
    const handled: number[] = [];
    broker.subscribe(
      't',
      async (n) => {
        await sleep(2);
        handled.push(n);
      },
      { queue: true },
    );
    for (let i = 0; i < 5; i++) broker.publish('t', i);
    expect(broker.stats().pending).toBe(5);
    await broker.drain();
    expect(handled).toEqual([0, 1, 2, 3, 4]);
    expect(broker.stats()).toMatchObject({ pending: 0, delivered: 5 });
  });

  it('waits for async plain handlers to settle too', async () => {
    const broker = new PubSubBroker<number>();
    let settled = 0;
    broker.subscribe('t', async () => {
      await sleep(5);
      settled++;
    });
    broker.publish('t', 1);
    expect(broker.stats()).toMatchObject({ pending: 1, delivered: 0 });
    await broker.drain();
    expect(settled).toBe(1);
    expect(broker.stats()).toMatchObject({ pending: 0, delivered: 1 });
  });

  it('rejects with a TimeoutError that says what is still pending', async () => {
    const broker = new PubSubBroker<number>();
    broker.subscribe('t', () => new Promise(() => undefined), { queue: true });
    broker.publish('t', 1);
    broker.publish('t', 2);
    const error = await broker.drain({ timeoutMs: 20 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ code: 'ERR_TIMEOUT', operation: 'drain', timeoutMs: 20, pending: 2 });
    expect(String(error)).toMatch(/2 messages still pending/);
    await broker.close();
  });

  it('counts a stream as drained once its loop has read everything', async () => {
    const broker = new PubSubBroker<number>();
    const stream = broker.stream('t');
    broker.publish('t', 1);
    let drained = false;
    const waiting = broker.drain().then(() => (drained = true));
    await sleep(5);
    expect(drained).toBe(false);
    await stream.next();
    await waiting;
    expect(drained).toBe(true);
  });

  it('refuses a bad timeoutMs with a RangeError naming it', async () => {
    await expect(new PubSubBroker().drain({ timeoutMs: -1 })).rejects.toThrow(/timeoutMs.*-1/);
  });
});

describe('PubSubBroker.close', () => {
  it('handles 100 of 100 queued messages with close({ drain: true })', async () => {
    const broker = new PubSubBroker<number>();
    let handled = 0;
    broker.subscribe(
      't',
      async () => {
        await sleep(0);
        handled++;
      },
      { queue: { maxItems: 100 } },
    );
    for (let i = 0; i < 100; i++) broker.publish('t', i);
    const closing = broker.close({ drain: true });
    expect(() => broker.publish('t', 101)).toThrowError(ClosedError);
    await closing;
    expect(handled).toBe(100);
    expect(broker.stats()).toMatchObject({ delivered: 100, dropped: 0, subscriptions: 0 });
  });

  it('drops (and counts) what is queued with a plain close()', async () => {
    const broker = new PubSubBroker<number>();
    let handled = 0;
    broker.subscribe('t', () => void handled++, { queue: true });
    for (let i = 0; i < 100; i++) broker.publish('t', i);
    await broker.close();
    await sleep(5);
    expect(handled).toBe(0);
    expect(broker.stats()).toMatchObject({ dropped: 100, pending: 0 });
  });

  it('closes anyway and rejects with the TimeoutError when draining takes too long', async () => {
    const broker = new PubSubBroker<number>();
    const sub = broker.subscribe('t', () => new Promise(() => undefined), { queue: true });
    broker.publish('t', 1);
    broker.publish('t', 2);
    await expect(broker.close({ drain: true, timeoutMs: 10 })).rejects.toBeInstanceOf(TimeoutError);
    expect(sub.active).toBe(false);
    expect(broker.stats().dropped).toBe(1);
  });

  it('lets await using drain and close the broker', async () => {
    let handled = 0;
    {
      await using broker = new PubSubBroker<number>();
      broker.subscribe('t', () => void handled++, { queue: true });
      broker.publish('t', 1);
    }
    expect(handled).toBe(1);
  });
});

describe('PubSubBroker.nextMessage', () => {
  it('resolves with the next matching message and leaves no subscription behind', async () => {
    const broker = new PubSubBroker<string>();
    const next = broker.nextMessage('logs/*/ERROR');
    broker.publish('logs/api/INFO', 'no');
    broker.publish('logs/api/ERROR', 'yes');
    await expect(next).resolves.toEqual({ topic: 'logs/api/ERROR', message: 'yes' });
    expect(broker.stats().subscriptions).toBe(0);
  });

  it('rejects with a TimeoutError after timeoutMs', async () => {
    const broker = new PubSubBroker<string>();
    await expect(broker.nextMessage('t', { timeoutMs: 5 })).rejects.toMatchObject({ code: 'ERR_TIMEOUT', operation: 'nextMessage' });
    expect(broker.stats().subscriptions).toBe(0);
  });

  it('rejects with the abort reason when its signal aborts', async () => {
    const broker = new PubSubBroker<string>();
    const controller = new AbortController();
    const next = broker.nextMessage('t', { signal: controller.signal });
    controller.abort(new Error('user left'));
    await expect(next).rejects.toThrow('user left');
    expect(broker.stats().subscriptions).toBe(0);
  });

  it('rejects with a ClosedError when the broker closes first', async () => {
    const broker = new PubSubBroker<string>();
    const next = broker.nextMessage('t');
    await broker.close();
    await expect(next).rejects.toBeInstanceOf(ClosedError);
  });

  it("does not replace the emitter's own once()", () => {
    const broker = new PubSubBroker<string>();
    let subscribed = 0;
    broker.once('subscribe', () => void subscribed++);
    broker.subscribe('a', () => undefined);
    broker.subscribe('b', () => undefined);
    expect(subscribed).toBe(1);
  });
});

describe('PubSubBroker.publishChunked', () => {
  it('resolves once every chunk is handed out, and drain() waits for the handlers', async () => {
    const broker = new PubSubBroker<number>();
    let settled = 0;
    for (let i = 0; i < 250; i++) {
      broker.subscribe('t', async () => {
        await sleep(1);
        settled++;
      });
    }
    await expect(broker.publishChunked('t', 1, { chunkSize: 100 })).resolves.toBe(250);
    expect(settled).toBeLessThan(250);
    await broker.drain();
    expect(settled).toBe(250);
  });
});
