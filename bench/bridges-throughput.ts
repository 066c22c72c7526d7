// Cross-process broadcast through each engine, bridge against raw client: one Redis
// (RedisBridge vs ioredis), a 3-master Redis Cluster (RedisShardedBridge vs ioredis sharded
// Pub/Sub) and a 3-server NATS cluster (NatsBridge vs nats.js). The receiving node runs in a
// child process (on another server of a cluster); both contenders publish the same JSON on
// the same routes, topics `bench/<0..15>/load` (16 topics over the channels, or subjects).
// Measured, in alternating rounds: throughput at saturation (messages received per second)
// and publish → receive latency (P50/P99) at a steady 5,000 messages/s, after a full garbage
// collection on both sides (what the burst left behind would otherwise land in the P99).
// Prints medians and bridge/raw ratios (the machine is shared and noisy: quote the ratios).
//
// Usage: npx tsx bench/bridges-throughput.ts [redis|cluster|nats|all] [rounds]   (default: all 3)
import { fork, type ChildProcess } from 'node:child_process';
import { collectGarbage } from './lib/heap.js';
import { LatencyHistogram } from './lib/histogram.js';
import { bridgeSide, rawSide, startEngine, type EngineName, type Endpoints, type Side } from './lib/bridge-engines.js';

interface Msg {
  t: number;
  n: number;
  pad: string;
}
type Contender = 'bridge' | 'raw';
interface Report {
  count: number;
  seconds: number;
  p50: number;
  p99: number;
}

const now = (): number => performance.timeOrigin + performance.now();
const PAD = 'x'.repeat(40); // ~64-byte JSON payload
const TOPICS = Array.from({ length: 16 }, (_, i) => `bench/${i}/load`);
const BURST = 100_000;
const STEADY = 10_000;
const STEADY_PER_10MS = 50;

const sideOf = (contender: Contender, endpoints: Endpoints, server: number): Promise<Side<Msg>> =>
  contender === 'bridge' ? bridgeSide<Msg>(endpoints, server) : rawSide<Msg>(endpoints, server);

/** The receiving node: counts and times what arrives, reports on request. */
async function receiver(endpoints: Endpoints): Promise<void> {
  const sides = new Map<Contender, Side<Msg>>();
  let count = 0;
  let first = 0;
  let last = 0;
  let histogram = new LatencyHistogram();
  const onMessage = (m: Msg): void => {
    const t = now();
    if (count === 0) first = t;
    count++;
    last = t;
    histogram.record((t - m.t) * 1000);
  };
  for (const contender of ['bridge', 'raw'] as const) {
    const side = await sideOf(contender, endpoints, 1);
    await side.subscribe(onMessage);
    sides.set(contender, side);
  }
  process.send?.({ ready: true });
  process.on('message', (command: { reset?: boolean; report?: boolean; quit?: boolean; collect?: boolean }) => {
    if (command.collect) {
      collectGarbage();
      process.send?.({ collected: true });
    }
    if (command.reset) {
      count = 0;
      histogram = new LatencyHistogram();
      process.send?.({ reset: true });
    }
    if (command.report) {
      process.send?.({ count, seconds: (last - first) / 1000, p50: histogram.quantileMs(0.5), p99: histogram.quantileMs(0.99) });
    }
    if (command.quit) void Promise.all([...sides.values()].map((side) => side.close())).then(() => process.exit(0));
  });
}

const ask = <R>(child: ChildProcess, command: object): Promise<R> =>
  new Promise((resolve) => {
    child.once('message', (reply) => resolve(reply as R));
    child.send(command);
  });

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the receiver has `target` messages (or stops growing for 2 s). */
async function drained(child: ChildProcess, target: number): Promise<Report> {
  let previous = -1;
  let still = 0;
  for (;;) {
    await pause(200);
    const report = await ask<Report>(child, { report: true });
    if (report.count >= target) return report;
    still = report.count === previous ? still + 1 : 0;
    if (still >= 10) return report;
    previous = report.count;
  }
}

interface Result {
  /** Messages received per second at saturation. */
  rate: number;
  /** Messages the publishing node handed over per second (its own side of the cost). */
  sendRate: number;
  p50: number;
  p99: number;
  lost: number;
}

async function measure(child: ChildProcess, side: Side<Msg>): Promise<Result> {
  await ask(child, { reset: true });
  const started = now();
  for (let n = 0; n < BURST; n++) {
    side.publish(TOPICS[n & 15], { t: now(), n, pad: PAD });
    if ((n & 1023) === 1023) await new Promise((resolve) => setImmediate(resolve));
  }
  const sendRate = BURST / ((now() - started) / 1000);
  const burst = await drained(child, BURST);
  collectGarbage();
  await ask(child, { collect: true });
  await ask(child, { reset: true });
  let n = 0;
  await new Promise<void>((done) => {
    const timer = setInterval(() => {
      for (let i = 0; i < STEADY_PER_10MS && n < STEADY; i++, n++) side.publish(TOPICS[n & 15], { t: now(), n, pad: PAD });
      if (n >= STEADY) {
        clearInterval(timer);
        done();
      }
    }, 10);
  });
  const steady = await drained(child, STEADY);
  return { rate: burst.count / burst.seconds, sendRate, p50: steady.p50, p99: steady.p99, lost: BURST - burst.count + STEADY - steady.count };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function run(engine: EngineName, rounds: number): Promise<void> {
  const { endpoints, stop } = await startEngine(engine);
  const child = fork(new URL(import.meta.url).pathname, ['receiver', JSON.stringify(endpoints)], { execArgv: ['--import', 'tsx'] });
  await new Promise((resolve) => child.once('message', resolve));
  const sides = new Map<Contender, Side<Msg>>();
  for (const contender of ['bridge', 'raw'] as const) sides.set(contender, await sideOf(contender, endpoints, 0));
  const results = new Map<Contender, Result[]>([
    ['bridge', []],
    ['raw', []],
  ]);
  for (let round = 0; round < rounds; round++) {
    const order: Contender[] = round % 2 === 0 ? ['bridge', 'raw'] : ['raw', 'bridge'];
    for (const contender of order) {
      const result = await measure(child, sides.get(contender) as Side<Msg>);
      results.get(contender)?.push(result);
      console.log(
        `  ${engine} round ${round + 1} ${contender.padEnd(6)} ${result.rate.toFixed(0).padStart(7)} msg/s (sent at ${result.sendRate.toFixed(0)}/s)  p50 ${result.p50.toFixed(2)} ms  p99 ${result.p99.toFixed(2)} ms${result.lost > 0 ? `  (${result.lost} not received)` : ''}`,
      );
    }
  }
  const summary = (contender: Contender) => {
    const list = results.get(contender) ?? [];
    return { rate: median(list.map((r) => r.rate)), p50: median(list.map((r) => r.p50)), p99: median(list.map((r) => r.p99)) };
  };
  const bridge = summary('bridge');
  const raw = summary('raw');
  console.log(
    `${engine.padEnd(8)} bridge ${bridge.rate.toFixed(0)} msg/s (p99 ${bridge.p99.toFixed(2)} ms) · raw ${raw.rate.toFixed(0)} msg/s (p99 ${raw.p99.toFixed(2)} ms) · bridge/raw ${(bridge.rate / raw.rate).toFixed(2)}× throughput, p99 ${(bridge.p99 / raw.p99).toFixed(2)}×`,
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.send({ quit: true });
  await Promise.race([exited, pause(3000)]);
  child.kill();
  for (const side of sides.values()) await side.close();
  await stop();
}

if (process.argv[2] === 'receiver') {
  await receiver(JSON.parse(process.argv[3]) as Endpoints);
} else {
  const which = process.argv[2] ?? 'all';
  const rounds = Number(process.argv[3] ?? 3);
  const engines: EngineName[] = which === 'all' ? ['redis', 'cluster', 'nats'] : [which as EngineName];
  for (const engine of engines) await run(engine, rounds);
  process.exit(0);
}
