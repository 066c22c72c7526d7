/**
 * Queued subscribers against a reference model: the light queue the default options get and
 * the full BoundedQueue (forced here with a byte bound no message reaches) must deliver,
 * drop and count exactly like a plain array with the same bound and policy.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PubSubBroker } from '../src/index.js';
import { DrainScheduler } from '../src/broker/drain-scheduler.js';
import { DeliveryRing } from '../src/broker/delivery-ring.js';
import { PendingWork } from '../src/broker/pending-work.js';
import { BoundedQueue } from '../src/flow/bounded-queue.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Handler calls per subscriber per turn (the consumer's batch). */
const BATCH = 256;

type Op = { kind: 'publish'; count: number } | { kind: 'turn' } | { kind: 'end' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('publish' as const), count: fc.integer({ min: 1, max: 300 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('turn' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('end' as const) }) },
);

interface Model {
  queue: number[];
  got: number[];
  dropped: Record<string, number>;
  ended: boolean;
}

function modelPublish(model: Model, n: number, maxItems: number, dropOldest: boolean): void {
  const drop = (reason: string): void => void (model.dropped[reason] = (model.dropped[reason] ?? 0) + 1);
  if (model.ended) return; // an ended subscription is not offered anything
  if (model.queue.length < maxItems) model.queue.push(n);
  else if (dropOldest) {
    model.queue.shift();
    model.queue.push(n);
    drop('drop-oldest');
  } else drop('drop-newest');
}

describe('queued subscribers against a reference model', () => {
  for (const light of [true, false]) {
    for (const policy of ['drop-newest', 'drop-oldest'] as const) {
      it(`delivers, drops and counts like an array bounded in items (${light ? 'light' : 'full'} queue, ${policy})`, async () => {
        await fc.assert(
          fc.asyncProperty(fc.integer({ min: 1, max: 600 }), fc.array(opArb, { maxLength: 25 }), async (maxItems, ops) => {
            const broker = new PubSubBroker<number>();
            const got: number[] = [];
            const dropped: Record<string, number> = {};
            broker.on('drop', (_sub, count, reason) => void (dropped[reason] = (dropped[reason] ?? 0) + count));
            const queue = light ? { maxItems, lowWaterItems: 0, policy } : { maxItems, lowWaterItems: 0, policy, maxBytes: 1e12 };
            const sub = broker.subscribe('t', (n) => void got.push(n), { queue });
            const model: Model = { queue: [], got: [], dropped: {}, ended: false };
            let next = 0;
            for (const op of ops) {
              if (op.kind === 'publish') {
                for (let i = 0; i < op.count; i++) {
                  broker.publish('t', next);
                  modelPublish(model, next++, maxItems, policy === 'drop-oldest');
                }
              } else if (op.kind === 'turn') {
                await tick();
                model.got.push(...model.queue.splice(0, BATCH));
              } else {
                sub.unsubscribe();
                if (!model.ended && model.queue.length > 0) model.dropped.closed = (model.dropped.closed ?? 0) + model.queue.length;
                model.queue = [];
                model.ended = true;
              }
              expect(got).toEqual(model.got);
              expect(sub.pending).toBe(model.queue.length);
              expect(dropped).toEqual(model.dropped);
              const total = Object.values(model.dropped).reduce((a, b) => a + b, 0);
              expect(sub.dropped).toBe(total);
              expect(broker.stats()).toMatchObject({ dropped: total, pending: model.queue.length, delivered: model.got.length });
            }
            broker.close();
          }),
          { numRuns: 60 },
        );
      });
    }
  }
});

describe('DeliveryRing, the light subscriber queue', () => {
  type RingOp = { kind: 'push' } | { kind: 'shift'; count: number } | { kind: 'close' };
  const ringOpArb: fc.Arbitrary<RingOp> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('push' as const) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('shift' as const), count: fc.integer({ min: 1, max: 40 }) }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'close' as const }) },
  );

  for (const policy of ['drop-newest', 'drop-oldest'] as const) {
    it(`keeps the same items, drops and stats as a BoundedQueue with the same bound (${policy})`, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 70 }).chain((maxItems) =>
            fc.tuple(fc.constant(maxItems), fc.integer({ min: 0, max: maxItems }), fc.array(ringOpArb, { maxLength: 300 })),
          ),
          ([maxItems, lowWaterItems, ops]) => {
            const ringDrops: [number, string][] = [];
            let fills = 0;
            const pending = new PendingWork();
            const ring = new DeliveryRing<number>(
              maxItems,
              lowWaterItems,
              policy === 'drop-oldest',
              {
                dropped: (count, reason) => void ringDrops.push([count, reason]),
                filled: () => void fills++,
              },
              pending,
            );
            const queue = new BoundedQueue<{ topic: string; message: number; publishedAt: number }>({ maxItems, lowWaterItems, policy });
            const queueDrops: [number, string][] = [];
            queue.on('drop', (count, reason) => void queueDrops.push([count, reason]));
            let next = 0;
            let emptyBefore = 0;
            for (const op of ops) {
              if (op.kind === 'push') {
                const delivery = { topic: 't', message: next++, publishedAt: Number.NaN };
                if (ring.length === 0 && !ring.closed) emptyBefore++;
                expect(ring.push(delivery)).toBe(queue.push(delivery));
              } else if (op.kind === 'shift') {
                for (let i = 0; i < op.count; i++) {
                  const shifted = ring.shift();
                  expect(shifted?.message).toBe(queue.shift()?.message);
                  // What a consumer does once it has handled a delivery it took out.
                  if (shifted !== undefined) pending.settle(1);
                }
              } else {
                ring.close();
                queue.close();
              }
              expect(ring.stats()).toEqual(queue.stats());
              expect(ring.length).toBe(queue.length);
              expect(ring.dropped).toBe(queue.dropped);
              expect(ringDrops).toEqual(queueDrops);
              // The broker's pending count follows the ring: taken in, handed out, dropped.
              expect(pending.count).toBe(ring.length);
            }
            // Told once per fill from empty, never per push.
            expect(fills).toBe(emptyBefore);
          },
        ),
        { numRuns: 200 },
      );
    });
  }
});

describe('DrainScheduler', () => {
  it('runs every scheduled consumer in one turn, and what they schedule in the next', async () => {
    const scheduler = new DrainScheduler();
    const log: string[] = [];
    const again = { drain: () => void log.push('again') };
    scheduler.add({ drain: () => void log.push('a') });
    scheduler.add({
      drain: () => {
        log.push('b');
        scheduler.add(again);
      },
    });
    expect(log).toEqual([]);
    await tick();
    expect(log).toEqual(['a', 'b']);
    await tick();
    expect(log).toEqual(['a', 'b', 'again']);
  });

  it('keeps the rest of a turn for the next one when a drain throws', async () => {
    const scheduler = new DrainScheduler();
    const log: string[] = [];
    const thrown: unknown[] = [];
    const onUncaught = (error: unknown): void => void thrown.push(error);
    const listeners = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', onUncaught);
    try {
      scheduler.add({
        drain: () => {
          throw new Error('boom');
        },
      });
      scheduler.add({ drain: () => void log.push('after') });
      await tick();
      await tick();
    } finally {
      process.off('uncaughtException', onUncaught);
      for (const listener of listeners) process.on('uncaughtException', listener);
    }
    expect(thrown).toHaveLength(1);
    expect(log).toEqual(['after']);
  });
});
