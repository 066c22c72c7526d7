/**
 * Scenario 5, queues: `BoundedQueue` push/shift (bounds, counters, pause/resume marks)
 * against the structures it would replace: a plain array and denque (which it was built on until its own ring replaced it).
 *
 * Two shapes: steady (a subscriber keeping up: about 100 items queued, one in, one out) and
 * burst (1,000 items arrive at once, then the consumer drains them all).
 *
 * @module
 */
import Denque from 'denque';
import { BoundedQueue } from 'logcaster';
import { compare, type Contender } from '../lib/harness.js';
import type { Scenario } from '../lib/scenario.js';

interface Item {
  seq: number;
}

const STEADY_DEPTH = 100;
const BURST = 1_000;

function makeItems(count: number): Item[] {
  return Array.from({ length: count }, (_, seq) => ({ seq }));
}

// One loop per structure (not a helper over a `Fifo` interface): a shared loop would see
// three receiver types and make every push and shift a polymorphic call.

/** One operation: one push and one shift, on a queue holding about STEADY_DEPTH items. */
function steadyBounded(queue: BoundedQueue<Item>, items: readonly Item[]): Contender {
  for (let i = 0; i < STEADY_DEPTH; i++) queue.push(items[i]);
  let cursor = STEADY_DEPTH;
  return {
    name: 'logcaster',
    run(ops) {
      let sum = 0;
      let c = cursor;
      for (let n = 0; n < ops; n++) {
        queue.push(items[c]);
        if (++c === items.length) c = 0;
        sum += queue.shift()?.seq ?? 0;
      }
      cursor = c;
      return sum;
    },
  };
}

function steadyArray(queue: Item[], items: readonly Item[]): Contender {
  for (let i = 0; i < STEADY_DEPTH; i++) queue.push(items[i]);
  let cursor = STEADY_DEPTH;
  return {
    name: 'array',
    run(ops) {
      let sum = 0;
      let c = cursor;
      for (let n = 0; n < ops; n++) {
        queue.push(items[c]);
        if (++c === items.length) c = 0;
        sum += queue.shift()?.seq ?? 0;
      }
      cursor = c;
      return sum;
    },
  };
}

function steadyDenque(queue: Denque<Item>, items: readonly Item[]): Contender {
  for (let i = 0; i < STEADY_DEPTH; i++) queue.push(items[i]);
  let cursor = STEADY_DEPTH;
  return {
    name: 'denque',
    run(ops) {
      let sum = 0;
      let c = cursor;
      for (let n = 0; n < ops; n++) {
        queue.push(items[c]);
        if (++c === items.length) c = 0;
        sum += queue.shift()?.seq ?? 0;
      }
      cursor = c;
      return sum;
    },
  };
}

/** One operation: BURST pushes, then BURST shifts. */
function burstBounded(queue: BoundedQueue<Item>, items: readonly Item[]): Contender {
  return {
    name: 'logcaster',
    run(ops) {
      let sum = 0;
      for (let n = 0; n < ops; n++) {
        for (let i = 0; i < BURST; i++) queue.push(items[i]);
        for (let i = 0; i < BURST; i++) sum += queue.shift()?.seq ?? 0;
      }
      return sum;
    },
  };
}

function burstArray(queue: Item[], items: readonly Item[]): Contender {
  return {
    name: 'array',
    run(ops) {
      let sum = 0;
      for (let n = 0; n < ops; n++) {
        for (let i = 0; i < BURST; i++) queue.push(items[i]);
        for (let i = 0; i < BURST; i++) sum += queue.shift()?.seq ?? 0;
      }
      return sum;
    },
  };
}

function burstDenque(queue: Denque<Item>, items: readonly Item[]): Contender {
  return {
    name: 'denque',
    run(ops) {
      let sum = 0;
      for (let n = 0; n < ops; n++) {
        for (let i = 0; i < BURST; i++) queue.push(items[i]);
        for (let i = 0; i < BURST; i++) sum += queue.shift()?.seq ?? 0;
      }
      return sum;
    },
  };
}

const scenario: Scenario = {
  name: 'queues',
  title: 'Queues: BoundedQueue vs a plain array and denque',
  async run(ctx) {
    const items = makeItems(4_096);
    const options = { maxItems: 10_000, lowWaterItems: 100 };
    ctx.group(
      await compare({
        group: `steady: ${STEADY_DEPTH} items queued, push one, shift one`,
        unit: 'push+shift/s',
        subject: 'logcaster',
        contenders: [
          steadyBounded(new BoundedQueue<Item>(options), items),
          steadyArray([], items),
          steadyDenque(new Denque<Item>(), items),
        ],
      }),
    );
    ctx.group(
      await compare({
        group: `burst: push ${BURST.toLocaleString('en-US')}, then drain them`,
        unit: 'push+shift/s',
        subject: 'logcaster',
        unitsPerOp: BURST,
        contenders: [
          burstBounded(new BoundedQueue<Item>(options), items),
          burstArray([], items),
          burstDenque(new Denque<Item>(), items),
        ],
      }),
    );
  },
};

export default scenario;
