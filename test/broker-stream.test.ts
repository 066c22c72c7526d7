import { describe, expect, it } from 'vitest';
import { PubSubBroker, SlowConsumerError } from '../src/index.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('PubSubBroker.stream', () => {
  it('yields topic and message in publish order with for await', async () => {
    const broker = new PubSubBroker<string>();
    const stream = broker.stream('logs/#');
    broker.publish('logs/a', 'one');
    broker.publish('other', 'skip');
    broker.publish('logs/b', 'two');
    const got: string[] = [];
    for await (const { topic, message } of stream) {
      got.push(`${topic}:${message}`);
      if (got.length === 2) break;
    }
    expect(got).toEqual(['logs/a:one', 'logs/b:two']);
  });

  it('ends the subscription when the loop is left with break', async () => {
    const broker = new PubSubBroker<number>();
    const stream = broker.stream('t');
    broker.publish('t', 1);
    for await (const _ of stream) break;
    expect(stream.subscription.active).toBe(false);
    expect(broker.stats().subscriptions).toBe(0);
    expect(broker.publish('t', 2)).toBe(0);
  });

  it('resolves a waiting next() as soon as a message is published', async () => {
    const broker = new PubSubBroker<number>();
    const stream = broker.stream('t');
    const next = stream.next();
    broker.publish('t', 7);
    await expect(next).resolves.toMatchObject({ done: false, value: { topic: 't', message: 7 } });
    await stream.return();
  });

  it('keeps publish order and counts when a burst arrives while a read waits, with the light and the full queue', async () => {
    for (const options of [{}, { maxBytes: 1e9 }]) {
      const broker = new PubSubBroker<number>();
      const stream = broker.stream('t', options);
      const first = stream.next();
      for (let n = 1; n <= 5; n++) expect(broker.publish('t', n)).toBe(1);
      const got = [(await first).value?.message];
      for (let n = 2; n <= 5; n++) got.push((await stream.next()).value?.message);
      expect(got).toEqual([1, 2, 3, 4, 5]);
      expect(stream.pending).toBe(0);
      expect(broker.stats()).toMatchObject({ offered: 5, delivered: 5, dropped: 0, pending: 0 });
      await stream.return();
    }
  });

  it('finishes the loop when its signal is aborted', async () => {
    const broker = new PubSubBroker<number>();
    const controller = new AbortController();
    const stream = broker.stream('t', { signal: controller.signal });
    const got: number[] = [];
    const loop = (async () => {
      for await (const { message } of stream) got.push(message);
    })();
    broker.publish('t', 1);
    await tick();
    controller.abort();
    await loop;
    expect(got).toEqual([1]);
    expect(stream.subscription.active).toBe(false);
  });

  it('is empty when made with an already aborted signal', async () => {
    const broker = new PubSubBroker<number>();
    const stream = broker.stream('t', { signal: AbortSignal.abort() });
    expect(broker.publish('t', 1)).toBe(0);
    await expect(stream.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('finishes when the broker closes', async () => {
    const broker = new PubSubBroker<number>();
    const stream = broker.stream('t');
    const next = stream.next();
    broker.close();
    await expect(next).resolves.toEqual({ value: undefined, done: true });
  });

  it('holds messages in a bounded queue while the loop body is busy', async () => {
    const broker = new PubSubBroker<number>();
    const stream = broker.stream('t', { maxItems: 3, lowWaterItems: 1, policy: 'drop-oldest' });
    for (let n = 1; n <= 10; n++) broker.publish('t', n);
    expect(stream.pending).toBe(3);
    expect(stream.dropped).toBe(7);
    const got: number[] = [];
    for await (const { message } of stream) {
      got.push(message);
      if (got.length === 3) break;
    }
    expect(got).toEqual([8, 9, 10]);
  });

  it('throws a SlowConsumerError from the loop when the disconnect policy fires', async () => {
    const broker = new PubSubBroker<number>();
    broker.on('error', () => undefined);
    const stream = broker.stream('t', { maxItems: 2, lowWaterItems: 1, policy: 'disconnect' });
    for (let n = 0; n < 5; n++) broker.publish('t', n);
    const loop = async (): Promise<void> => {
      for await (const _ of stream) {
        // nothing to do
      }
    };
    await expect(loop()).rejects.toBeInstanceOf(SlowConsumerError);
    expect(stream.subscription.active).toBe(false);
  });

  it('ends with await using', async () => {
    const broker = new PubSubBroker<number>();
    let sub;
    {
      await using stream = broker.stream('t');
      sub = stream.subscription;
      expect(sub.active).toBe(true);
    }
    expect(sub.active).toBe(false);
  });
});
