/**
 * Scenario: the queued paths against what a user would write by hand.
 *
 * - 1,000 queued subscribers on one topic (`subscribe(…, { queue: true })`), bursts of 100
 *   publishes drained on the event loop, against per-subscriber arrays (and denques) drained
 *   by `setImmediate`, with the handler called directly;
 * - `broker.stream()` read with `for await`, against `events.on()` on an EventEmitter;
 * - `Batcher.add` of log lines, against a hand-rolled batch (an array, a byte count, a
 *   microtask flush).
 *
 * @module
 */
import { EventEmitter, on } from 'node:events';
import Denque from 'denque';
import { Batcher, PubSubBroker } from 'logcaster';
import { compare, compareAsync, type AsyncContender, type Contender } from '../lib/harness.js';
import type { Scenario } from '../lib/scenario.js';

const TOPIC = 'logs/payments-3/ERROR/db1';
const SUBSCRIBERS = 1_000;
const BURST = 100;

/** Resolves once `counter.hits` reaches `target`; checked by the handlers themselves. */
interface Waiter {
  hits: number;
  target: number;
  done: (() => void) | undefined;
}

const reached = (waiter: Waiter): Promise<void> =>
  waiter.hits >= waiter.target ? Promise.resolve() : new Promise((resolve) => (waiter.done = resolve));

function hit(waiter: Waiter): void {
  if (++waiter.hits === waiter.target && waiter.done !== undefined) {
    const done = waiter.done;
    waiter.done = undefined;
    done();
  }
}

function queuedBroker(): AsyncContender & { close(): void } {
  const broker = new PubSubBroker<number>();
  const waiter: Waiter = { hits: 0, target: 0, done: undefined };
  for (let i = 0; i < SUBSCRIBERS; i++) broker.subscribe(TOPIC, () => hit(waiter), { queue: true });
  return {
    name: 'logcaster',
    async run() {
      waiter.target = waiter.hits + BURST * SUBSCRIBERS;
      for (let n = 0; n < BURST; n++) broker.publish(TOPIC, n);
      await reached(waiter);
      return BURST;
    },
    close: () => broker.close(),
  };
}

/** Per subscriber: an array and a flag; a publish pushes and schedules one drain. */
function handArray(): AsyncContender {
  const waiter: Waiter = { hits: 0, target: 0, done: undefined };
  const subs = Array.from({ length: SUBSCRIBERS }, () => {
    const sub = {
      queue: [] as number[],
      scheduled: false,
      handler: (_message: number): void => hit(waiter),
      drain: (): void => {
        sub.scheduled = false;
        const queue = sub.queue;
        for (let i = 0; i < queue.length; i++) sub.handler(queue[i]);
        queue.length = 0;
      },
    };
    return sub;
  });
  return {
    name: 'array + setImmediate',
    async run() {
      waiter.target = waiter.hits + BURST * SUBSCRIBERS;
      for (let n = 0; n < BURST; n++) {
        for (let i = 0; i < subs.length; i++) {
          const sub = subs[i];
          sub.queue.push(n);
          if (!sub.scheduled) {
            sub.scheduled = true;
            setImmediate(sub.drain);
          }
        }
      }
      await reached(waiter);
      return BURST;
    },
  };
}

/** Same as {@link handArray} on denque. */
function handDenque(): AsyncContender {
  const waiter: Waiter = { hits: 0, target: 0, done: undefined };
  const subs = Array.from({ length: SUBSCRIBERS }, () => {
    const sub = {
      queue: new Denque<number>(),
      scheduled: false,
      handler: (_message: number): void => hit(waiter),
      drain: (): void => {
        sub.scheduled = false;
        for (let m = sub.queue.shift(); m !== undefined; m = sub.queue.shift()) sub.handler(m);
      },
    };
    return sub;
  });
  return {
    name: 'denque + setImmediate',
    async run() {
      waiter.target = waiter.hits + BURST * SUBSCRIBERS;
      for (let n = 0; n < BURST; n++) {
        for (let i = 0; i < subs.length; i++) {
          const sub = subs[i];
          sub.queue.push(n);
          if (!sub.scheduled) {
            sub.scheduled = true;
            setImmediate(sub.drain);
          }
        }
      }
      await reached(waiter);
      return BURST;
    },
  };
}

function streamContender(burst: number): AsyncContender & { close(): void } {
  const broker = new PubSubBroker<number>();
  const waiter: Waiter = { hits: 0, target: 0, done: undefined };
  void (async () => {
    for await (const _delivery of broker.stream(TOPIC, { maxItems: 10_000 })) hit(waiter);
  })();
  return {
    name: 'logcaster stream()',
    async run() {
      waiter.target = waiter.hits + burst;
      for (let n = 0; n < burst; n++) broker.publish(TOPIC, n);
      await reached(waiter);
      return burst;
    },
    close: () => broker.close(),
  };
}

function eventsOnContender(burst: number): AsyncContender & { close(): void } {
  const emitter = new EventEmitter();
  const controller = new AbortController();
  const waiter: Waiter = { hits: 0, target: 0, done: undefined };
  void (async () => {
    try {
      for await (const _args of on(emitter, TOPIC, { signal: controller.signal })) hit(waiter);
    } catch {
      // aborted at the end
    }
  })();
  return {
    name: 'events.on()',
    async run() {
      waiter.target = waiter.hits + burst;
      for (let n = 0; n < burst; n++) emitter.emit(TOPIC, n);
      await reached(waiter);
      return burst;
    },
    close: () => controller.abort(),
  };
}

const LINES = Array.from({ length: 1024 }, (_, i) => `2026-11-29T20:00:00.000Z INFO payments-3 db1 request ${i} served in ${i % 97} ms\n`);

function batcherContender(): Contender {
  let flushed = 0;
  const batcher = new Batcher<string>({ maxItems: 100, flush: (items) => void (flushed += items.length) });
  return {
    name: 'logcaster',
    run(ops) {
      for (let n = 0; n < ops; n++) batcher.add(LINES[n & 1023]);
      return flushed;
    },
  };
}

/** What a careful user writes: an array, a UTF-8 byte count, a microtask flush. */
function handBatch(): Contender {
  let flushed = 0;
  let items: string[] = [];
  let bytes = 0;
  const sealed: string[][] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    for (const batch of sealed) flushed += batch.length;
    sealed.length = 0;
  };
  return {
    name: 'hand-rolled batch',
    run(ops) {
      for (let n = 0; n < ops; n++) {
        const line = LINES[n & 1023];
        items.push(line);
        bytes += Buffer.byteLength(line);
        if (items.length >= 100 || bytes >= 65_536) {
          sealed.push(items);
          items = [];
          bytes = 0;
          if (!scheduled) {
            scheduled = true;
            queueMicrotask(flush);
          }
        }
      }
      return flushed;
    },
  };
}

const scenario: Scenario = {
  name: 'queued',
  title: 'Queued paths: queued subscribers, stream(), Batcher vs hand-rolled',
  async run(ctx) {
    const ours = queuedBroker();
    const queued = await compareAsync({
      group: `${SUBSCRIBERS.toLocaleString('en-US')} queued subscribers on one topic, bursts of ${BURST} publishes`,
      unit: 'deliveries/s',
      subject: 'logcaster',
      unitsPerRun: BURST * SUBSCRIBERS,
      contenders: [ours, handArray(), handDenque()],
    });
    ours.close();
    ctx.group(queued);
    ctx.target('queued subscribers vs array + setImmediate', queued.ratios['array + setImmediate'], 'at-least', 0.9);
    ctx.target('queued subscribers vs denque + setImmediate', queued.ratios['denque + setImmediate'], 'at-least', 0.9);

    for (const burst of [100, 1_000]) {
      const stream = streamContender(burst);
      const events = eventsOnContender(burst);
      const result = await compareAsync({
        group: `one stream, bursts of ${burst.toLocaleString('en-US')} messages read with for await`,
        unit: 'messages/s',
        subject: 'logcaster stream()',
        unitsPerRun: burst,
        contenders: [stream, events],
      });
      stream.close();
      events.close();
      ctx.group(result);
      ctx.target(`stream() vs events.on() at bursts of ${burst}`, result.ratios['events.on()'], 'at-least', 0.9);
    }

    const batch = await compare({
      group: 'Batcher.add of ~80-byte log lines (batches of 100)',
      unit: 'adds/s',
      subject: 'logcaster',
      contenders: [batcherContender(), handBatch()],
    });
    ctx.group(batch);
    ctx.target('Batcher.add vs a hand-rolled batch', batch.ratios['hand-rolled batch'], 'at-least', 0.9);
  },
};

export default scenario;
