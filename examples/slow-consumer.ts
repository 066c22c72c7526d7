// A slow consumer on a bounded queue: its drops are counted, the fast consumer is unaffected.
//
// Shows: the `queue` option of `subscribe` puts a bounded queue in front of a handler, so
// `publish` only enqueues and each handler drains its own queue at its own pace. A full
// queue applies its policy (here 'drop-oldest': keep the newest messages), and every drop is
// counted (`subscription.dropped`, `broker.stats().dropped`) and announced ('drop' events).
//
// Watch: `fast` receives all 200 messages and drops none; `slow` receives only some, its
// dropped count makes up the rest, and its last message is #199 (drop-oldest keeps the newest).
//
// Run: npm run example -- slow-consumer   (or: npx tsx examples/slow-consumer.ts)

import { setTimeout as sleep } from 'node:timers/promises';
import { PubSubBroker } from 'logcaster';

const TOTAL = 200;
const broker = new PubSubBroker<number>();
broker.on('error', (error, topic) => console.error(`handler failed on ${topic}:`, error));

let fastReceived = 0;
const fast = broker.subscribe('ticks/#', () => void fastReceived++, { queue: true });

let slowReceived = 0;
let slowLast = -1;
const slow = broker.subscribe(
  'ticks/#',
  async (n) => {
    await sleep(5); // a handler that takes 5 ms per message: far slower than the producer
    slowReceived++;
    slowLast = n;
  },
  { queue: { maxItems: 20, lowWaterItems: 5, policy: 'drop-oldest' } },
);

const dropEvents = new Map<number, number>();
broker.on('drop', (sub, count) => dropEvents.set(sub.id, (dropEvents.get(sub.id) ?? 0) + count));

// Four bursts of 50, 20 ms apart: each burst overfills the slow queue, never the fast one.
for (let n = 0; n < TOTAL; n++) {
  broker.publish(`ticks/${n % 4}`, n);
  if (n % 50 === 49) {
    console.log(`after #${n}: fast pending ${fast.pending}, slow pending ${slow.pending}, slow dropped ${slow.dropped}`);
    await sleep(20);
  }
}

// Wait until every message is accounted for: handled or dropped.
const deadline = Date.now() + 5000;
while (fastReceived + fast.dropped < TOTAL || slowReceived + slow.dropped < TOTAL) {
  if (Date.now() > deadline) throw new Error('the queues did not drain within 5 s');
  await sleep(10);
}

console.log(`fast: received ${fastReceived} of ${TOTAL}, dropped ${fast.dropped}`);
console.log(`slow: received ${slowReceived} of ${TOTAL}, dropped ${slow.dropped}, last message #${slowLast}`);
console.log(`'drop' events: fast ${dropEvents.get(fast.id) ?? 0}, slow ${dropEvents.get(slow.id) ?? 0}`);
console.log(`broker.stats().dropped: ${broker.stats().dropped}`);
await broker.close();
