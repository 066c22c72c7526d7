// `for await` over `broker.stream()`, with backpressure.
//
// Shows: `broker.stream(pattern, queueOptions)` turns a subscription into an async iterator.
// Messages published while the loop body is busy wait in the stream's bounded queue. The
// queue pauses at its high-water mark (8 here) and resumes once drained to its low-water
// mark (2): a producer that holds off while the queue is paused loses nothing. Leaving the
// loop (`break`) ends the subscription.
//
// Watch: the producer pauses each time 8 jobs are pending and resumes at 2; the consumer
// handles all 40 jobs in order; the stream reports 0 dropped and the subscription has ended.
//
// Run: npm run example -- stream   (or: npx tsx examples/stream.ts)

import { setTimeout as sleep } from 'node:timers/promises';
import { PubSubBroker } from 'logcaster';

interface Job {
  n: number;
  last: boolean;
}

const TOTAL = 40;
const broker = new PubSubBroker<Job>();
const jobs = broker.stream('jobs/#', { maxItems: 8, lowWaterItems: 2 });

async function produce(): Promise<void> {
  for (let n = 0; n < TOTAL; n++) {
    if (jobs.stats().paused) {
      console.log(`producer: ${jobs.pending} pending, queue paused -> holding off`);
      // The stream has no 'resume' event, so poll its state between short sleeps.
      while (jobs.stats().paused) await sleep(2);
      console.log(`producer: ${jobs.pending} pending, queue resumed -> publishing again`);
    }
    broker.publish(`jobs/resize/${n}`, { n, last: n === TOTAL - 1 });
  }
}

async function consume(): Promise<number[]> {
  const seen: number[] = [];
  for await (const { topic, message } of jobs) {
    await sleep(3); // each job takes a few milliseconds: slower than the producer
    seen.push(message.n);
    if (message.n % 10 === 9) console.log(`consumer: done ${topic}`);
    if (message.last) break; // leaving the loop ends the stream and its subscription
  }
  return seen;
}

const [, seen] = await Promise.all([produce(), consume()]);
const inOrder = seen.every((n, i) => n === i);
const { pauses, resumes } = jobs.stats();
console.log(`consumed ${seen.length} of ${TOTAL} jobs, in order: ${inOrder}`);
console.log(`queue paused ${pauses} times, resumed ${resumes} times, dropped ${jobs.dropped}`);
console.log(`subscription active after the loop: ${jobs.subscription.active}`);
await broker.close();
