/**
 * drain() costs O(1) per settled message, measured without a clock: every read of a
 * subscription's or a queue's fill level (the getters a rescan of the subscriptions would go
 * through) is counted while N queued subscribers settle their messages and drain() waits.
 * A count is deterministic, so this cannot flake under load; the bench (`npm run bench --
 * drain`) reports the times.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PubSubBroker } from '../src/index.js';
import { DeliveryRing } from '../src/broker/delivery-ring.js';
import { QueuedStream } from '../src/broker/message-stream.js';
import { QueuedConsumer } from '../src/broker/queued-consumer.js';
import { SubscriptionRecord } from '../src/broker/subscription.js';
import { SubscriptionRegistry } from '../src/broker/subscription-registry.js';

/** Reads of the instrumented getters, and records yielded by a walk over the registry. */
const reads = { count: 0 };
const restores: (() => void)[] = [];

function countGetters(prototype: object, names: string[]): void {
  for (const name of names) {
    const descriptor = Object.getOwnPropertyDescriptor(prototype, name);
    const get = descriptor?.get;
    if (descriptor === undefined || get === undefined) throw new Error(`no getter ${name}`);
    Object.defineProperty(prototype, name, {
      ...descriptor,
      get(this: unknown) {
        reads.count++;
        return get.call(this);
      },
    });
    restores.push(() => Object.defineProperty(prototype, name, descriptor));
  }
}

function countRegistryWalks(): void {
  // `records` is protected: reached here through the prototype, as a rescan would use it.
  const prototype = SubscriptionRegistry.prototype as unknown as { records: (this: unknown) => Iterable<unknown> };
  const records = prototype.records;
  prototype.records = function* (this: unknown) {
    for (const record of records.call(this)) {
      reads.count++;
      yield record;
    }
  };
  restores.push(() => void (prototype.records = records));
}

function instrument(): void {
  reads.count = 0;
  countGetters(QueuedConsumer.prototype, ['queued', 'pending']);
  countGetters(QueuedStream.prototype, ['queued', 'pending']);
  countGetters(DeliveryRing.prototype, ['length']);
  countGetters(SubscriptionRecord.prototype, ['pending', 'active', 'dropped']);
  countRegistryWalks();
}

afterEach(() => {
  for (const restore of restores.splice(0).reverse()) restore();
});

/**
 * Subscribes `subscribers` queued handlers, publishes `messages` messages, and counts the
 * reads from the publish until drain() resolves.
 */
async function readsPerDrain(subscribers: number, messages: number, handler: () => unknown): Promise<number> {
  const broker = new PubSubBroker<number>();
  let handled = 0;
  for (let i = 0; i < subscribers; i++) {
    broker.subscribe(
      't',
      () => {
        handled++;
        return handler();
      },
      { queue: true },
    );
  }
  instrument();
  for (let n = 0; n < messages; n++) broker.publish('t', n);
  await broker.drain();
  const counted = reads.count;
  for (const restore of restores.splice(0).reverse()) restore();
  expect(handled).toBe(subscribers * messages);
  expect(broker.stats()).toMatchObject({ pending: 0, delivered: subscribers * messages });
  await broker.close();
  return counted;
}

describe('drain() cost', () => {
  for (const [kind, handler] of [
    ['async', async () => undefined],
    ['sync', () => undefined],
  ] as const) {
    it(`reads a bounded number of fill levels per settled message, whatever the number of subscribers (${kind} handlers)`, async () => {
      const small = await readsPerDrain(500, 2, handler);
      const large = await readsPerDrain(4_000, 2, handler);
      // A rescan of every subscription per completion reads N levels per message: 4,000 here.
      expect(large / (4_000 * 2)).toBeLessThanOrEqual(8);
      // 8× the messages: linear work grows 8×, a rescan per completion 64×.
      expect(large / small).toBeLessThanOrEqual(10);
    });
  }

  it('keeps stats().pending equal to what the subscriptions hold while streams and queues are read', async () => {
    const broker = new PubSubBroker<number>();
    broker.on('error', () => undefined); // the 'disconnect' subscribers overflow
    // The light ring and the full BoundedQueue, under every policy that drops from inside.
    const queues = [
      true,
      { maxItems: 3, lowWaterItems: 0, policy: 'drop-oldest' as const },
      { maxItems: 3, lowWaterItems: 0, maxBytes: 1e12 },
      { maxItems: 3, lowWaterItems: 0, policy: 'drop-lowest-priority' as const, priorityOf: (n: number) => n % 3 },
      { maxItems: 4, lowWaterItems: 0, policy: 'disconnect' as const },
    ];
    const subs = Array.from({ length: 50 }, (_, i) => broker.subscribe('t', () => undefined, { queue: queues[i % queues.length] }));
    const stream = broker.stream('t', { maxItems: 4 });
    const held = (): number => subs.reduce((sum, sub) => sum + sub.pending, 0) + stream.pending;
    for (let round = 0; round < 5; round++) {
      for (let n = 0; n < 6; n++) broker.publish('t', n);
      expect(broker.stats().pending).toBe(held());
      subs[round].unsubscribe();
      expect(broker.stats().pending).toBe(held());
      await stream.next();
      expect(broker.stats().pending).toBe(held());
      await new Promise((resolve) => setImmediate(resolve));
      expect(broker.stats().pending).toBe(held());
    }
    const s = broker.stats();
    expect(s.offered).toBe(s.delivered + s.errors + s.dropped + s.pending);
    expect(s.slowConsumers).toBeGreaterThan(0);
    await broker.close();
    expect(broker.stats().pending).toBe(0);
  });
});
