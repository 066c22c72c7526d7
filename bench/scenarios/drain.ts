/**
 * Scenario: what `drain()` costs on top of the work it waits for.
 *
 * - N queued subscribers (distinct async handlers, `queue: true`) on one topic, one message
 *   each, at N = 1,000 and 16,000: the time from the publish until `await broker.drain()`
 *   resolves. Linear costs grow 16× from one to the other; a drain that rescans every
 *   subscription on every completion grows 256×.
 * - 10,000 queued subscribers × 10 messages each: `drain()` against the same queues left to
 *   empty by themselves (the handlers count their calls; nobody calls `drain()`), with the
 *   longest event-loop stall of each (`perf_hooks.monitorEventLoopDelay`).
 *
 * Each shape runs in several rounds, `drain()` and "by themselves" alternating on fresh
 * brokers, and the medians are reported.
 *
 * @module
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { PubSubBroker } from 'logcaster';
import { median, record } from '../lib/harness.js';
import type { Scenario } from '../lib/scenario.js';

const TOPIC = 'logs/payments-3/ERROR/db1';
const ROUNDS = 5;

interface Run {
  /** From the first publish until everything was handled (or `drain()` resolved). */
  ms: number;
  /** The longest event-loop stall meanwhile. */
  stallMs: number;
}

/** The medians of several runs, and the range of their times (for the spread). */
interface Summary extends Run {
  range: string;
}

/**
 * Publishes `messages` messages to `subscribers` queued subscribers and waits, with
 * `drain()` or for the handlers to have seen every message.
 */
async function run(subscribers: number, messages: number, wait: 'drain' | 'handlers'): Promise<Run> {
  const broker = new PubSubBroker<number>();
  const target = subscribers * messages;
  let handled = 0;
  let allHandled: () => void = () => undefined;
  const everything = new Promise<void>((resolve) => (allHandled = resolve));
  for (let i = 0; i < subscribers; i++) {
    broker.subscribe(
      TOPIC,
      async () => {
        if (++handled === target) allHandled();
      },
      { queue: true },
    );
  }
  const stalls = monitorEventLoopDelay({ resolution: 5 });
  stalls.enable();
  const started = performance.now();
  for (let n = 0; n < messages; n++) broker.publish(TOPIC, n);
  await (wait === 'drain' ? broker.drain() : everything);
  const ms = performance.now() - started;
  stalls.disable();
  if (handled !== target) throw new Error(`${wait}: ${handled} of ${target} messages handled`);
  await broker.close();
  return { ms, stallMs: stalls.max / 1e6 };
}

/** `ROUNDS` rounds of each wait, alternating; the median time and stall of each. */
async function rounds(subscribers: number, messages: number): Promise<Record<'drain' | 'handlers', Summary>> {
  const runs: Record<'drain' | 'handlers', Run[]> = { drain: [], handlers: [] };
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? (['drain', 'handlers'] as const) : (['handlers', 'drain'] as const);
    for (const wait of order) runs[wait].push(await run(subscribers, messages, wait));
  }
  const summary = (list: Run[]): Summary => {
    const times = list.map((x) => x.ms);
    const range = `${Math.min(...times).toFixed(0)}–${Math.max(...times).toFixed(0)} ms`;
    return { ms: median(times), stallMs: median(list.map((x) => x.stallMs)), range };
  };
  return { drain: summary(runs.drain), handlers: summary(runs.handlers) };
}

const BY_THEMSELVES = 'queues emptying by themselves';

const scenario: Scenario = {
  name: 'drain',
  title: 'drain(): the cost of waiting for queued subscribers, against the work itself',
  async run(ctx) {
    const small = await rounds(1_000, 1);
    const large = await rounds(16_000, 1);
    ctx.group(
      record('drain() of N queued subscribers, one message each (async handlers)', 'ms', false, undefined, [
        { name: '1,000 subscribers', value: small.drain.ms, samples: ROUNDS },
        { name: '16,000 subscribers', value: large.drain.ms, samples: ROUNDS },
        { name: `1,000, ${BY_THEMSELVES}`, value: small.handlers.ms, samples: ROUNDS },
        { name: `16,000, ${BY_THEMSELVES}`, value: large.handlers.ms, samples: ROUNDS },
      ]),
    );
    ctx.note(`spread over ${ROUNDS} rounds: drain() ${small.drain.range} (1,000), ${large.drain.range} (16,000)`);
    ctx.target('drain() of 16,000 queued subscribers', large.drain.ms, 'at-most', 3_000, 'ms');
    ctx.target('drain() 16,000 vs 1,000 subscribers (linear: 16×)', large.drain.ms / small.drain.ms, 'at-most', 40);

    const wide = await rounds(10_000, 10);
    ctx.group(
      record('10,000 queued subscribers × 10 messages: until everything is handled', 'ms', false, 'drain()', [
        { name: 'drain()', value: wide.drain.ms, samples: ROUNDS },
        { name: BY_THEMSELVES, value: wide.handlers.ms, samples: ROUNDS },
      ]),
    );
    ctx.group(
      record('10,000 queued subscribers × 10 messages: longest event-loop stall', 'ms', false, 'drain()', [
        { name: 'drain()', value: wide.drain.stallMs, samples: ROUNDS },
        { name: BY_THEMSELVES, value: wide.handlers.stallMs, samples: ROUNDS },
      ]),
    );
    ctx.note(`spread over ${ROUNDS} rounds: drain() ${wide.drain.range}, by themselves ${wide.handlers.range}`);
    // "About the time the queues take to empty": what drain() adds must stay small.
    ctx.target('drain() vs queues emptying by themselves, 10,000 × 10', wide.drain.ms / wide.handlers.ms, 'at-most', 1.5);
  },
};

export default scenario;
