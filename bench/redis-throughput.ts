// Cross-node throughput and latency of the Redis bridges (two processes, one Redis).
// Usage: npx tsx bench/redis-throughput.ts [pubsub|stream]
import { fork } from 'node:child_process';
import { Redis } from 'ioredis';
import { PubSubBroker } from 'logcaster';
import { RedisBridge, RedisStreamBridge } from 'logcaster/redis';
import { startRedisServer } from '../test/helpers/redis-server.js';

interface Msg { t: number; n: number; pad: string }
const mode = process.argv[2] ?? 'pubsub';
const now = (): number => performance.timeOrigin + performance.now();
const PAD = 'x'.repeat(40); // ~64-byte JSON payload

const makeBridge = (port: number, broker: PubSubBroker<Msg>) => {
  const publisher = new Redis(port, '127.0.0.1');
  const other = publisher.duplicate();
  const bridge = mode === 'stream'
    ? new RedisStreamBridge(broker, { publisher, reader: other, maxLen: 1_000_000 })
    : new RedisBridge(broker, { publisher, subscriber: other, outbox: { maxItems: 1_000_000 } });
  return { bridge, publisher, other };
};

if (process.argv[3] === 'receiver') {
  const port = Number(process.argv[4]);
  const broker = new PubSubBroker<Msg>();
  const { bridge } = makeBridge(port, broker);
  let count = 0; let first = 0; let last = 0; let lat: number[] = [];
  broker.subscribe('bench/load/#', (m) => {
    const t = now();
    if (count === 0) first = t;
    count++; last = t;
    lat.push(t - m.t);
  });
  await bridge.ready();
  process.send?.({ ready: true });
  process.on('message', (cmd: { report?: boolean; reset?: boolean }) => {
    if (cmd.reset) { count = 0; lat = []; }
    if (cmd.report) {
      lat.sort((a, b) => a - b);
      const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN;
      process.send?.({ count, seconds: (last - first) / 1000, p50: q(0.5), p99: q(0.99), max: lat.at(-1), stats: bridge.stats() });
    }
  });
} else {
  const server = await startRedisServer();
  const child = fork(new URL(import.meta.url).pathname, [mode, 'receiver', String(server.port)], { execArgv: ['--import', 'tsx'] });
  const ask = <R>(msg: object): Promise<R> => new Promise((resolve) => { child.once('message', (m) => resolve(m as R)); child.send(msg); });
  await new Promise((resolve) => child.once('message', resolve));
  const broker = new PubSubBroker<Msg>();
  const { bridge, publisher, other } = makeBridge(server.port, broker);
  await new Promise((r) => setTimeout(r, 200));

  // 1. Throughput: 200k messages as fast as the publisher takes them (yield every 1000).
  const N = 200_000;
  const t0 = now();
  for (let n = 0; n < N; n++) {
    bridge.publish(`bench/load/${n % 16}`, { t: now(), n, pad: PAD });
    if (n % 1000 === 999) await new Promise((r) => setImmediate(r));
  }
  const sendSeconds = (now() - t0) / 1000;
  let r: { count: number; seconds: number; p50: number; p99: number; max: number };
  for (;;) { await new Promise((res) => setTimeout(res, 200)); r = await ask({ report: true }); if (r.count >= N) break; }
  console.log(`${mode} throughput: ${N} msgs published in ${sendSeconds.toFixed(2)} s, received in ${r.seconds.toFixed(2)} s → ${(r.count / r.seconds).toFixed(0)} msg/s received (latency under saturation p50 ${r.p50.toFixed(1)} ms)`);

  // 2. Latency at a steady 5,000 msg/s for 2 s (50 messages every 10 ms).
  await ask({ reset: true, report: true });
  const M = 10_000;
  let n = 0;
  await new Promise<void>((done) => {
    const timer = setInterval(() => {
      for (let i = 0; i < 50 && n < M; i++, n++) bridge.publish(`bench/load/${n % 16}`, { t: now(), n, pad: PAD });
      if (n >= M) { clearInterval(timer); done(); }
    }, 10);
  });
  for (;;) { await new Promise((res) => setTimeout(res, 200)); r = await ask({ report: true }); if (r.count >= M) break; }
  console.log(`${mode} latency at 5k msg/s: p50 ${(r.p50 * 1000).toFixed(0)} µs, p99 ${(r.p99 * 1000).toFixed(0)} µs, max ${r.max.toFixed(1)} ms (${r.count} msgs)`);
  child.kill();
  await bridge.close(); publisher.disconnect(); other.disconnect();
  await server.close();
}
