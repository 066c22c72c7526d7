// What each Redis bridge loses when Redis dies: two processes, one Redis, 20,000 numbered
// messages at a steady rate, `kill -9` of redis-server in the middle and a restart 2 s later.
// Reports lost, duplicated and out-of-order messages at the receiving node, with the gaps the
// bridge reported. Streams run with `appendonly yes` + `appendfsync always`; Pub/Sub without
// persistence (it keeps nothing anyway). Every bridge option is left at its default.
//
// Usage: npx tsx bench/redis-fault.ts [pubsub|stream|both] [runs]   (default: both 1)
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { PubSubBroker } from 'logcaster';
import { RedisBridge, RedisStreamBridge, type RedisBridgeStats } from 'logcaster/redis';
import { findRedisServer, freePort } from '../test/helpers/redis-server.js';

type Mode = 'pubsub' | 'stream';
const TOTAL = 20_000;
const RATE = 1_000; // messages per second: 20 s in all
const TICK_MS = 10;
const KILL_AT = 6_000; // the n-th message at which Redis is killed (6 s in)
const DOWN_MS = 2_000;
const TOPIC = 'fault/load/n';

interface Report {
  mode: Mode;
  received: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  firstLost: number;
  lastLost: number;
  receiver: RedisBridgeStats;
  sender: RedisBridgeStats;
  outageMessages: number;
}

/** One node: a broker and a bridge with default options, on ioredis with its default retries. */
function node(mode: Mode, port: number) {
  const broker = new PubSubBroker<number>();
  const publisher = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: null });
  const other = publisher.duplicate();
  const bridge =
    mode === 'stream'
      ? new RedisStreamBridge(broker, { publisher, reader: other })
      : new RedisBridge(broker, { publisher, subscriber: other });
  bridge.on('error', () => undefined); // counted in stats; the report shows them
  return { broker, bridge };
}

async function receiver(mode: Mode, port: number): Promise<void> {
  const { broker, bridge } = node(mode, port);
  const seen = new Uint8Array(TOTAL);
  let received = 0;
  let duplicated = 0;
  let outOfOrder = 0;
  let highest = -1;
  broker.subscribe('fault/#', (n) => {
    received++;
    if (seen[n] === 1) {
      duplicated++;
      return;
    }
    seen[n] = 1;
    if (n < highest) outOfOrder++;
    else highest = n;
  });
  await bridge.ready();
  process.send?.({ type: 'ready' });
  process.on('message', (message: { type: string }) => {
    if (message.type !== 'report') return;
    let lost = 0;
    let firstLost = -1;
    let lastLost = -1;
    for (let n = 0; n < TOTAL; n++) {
      if (seen[n] === 1) continue;
      lost++;
      if (firstLost === -1) firstLost = n;
      lastLost = n;
    }
    process.send?.({ type: 'report', received, lost, duplicated, outOfOrder, firstLost, lastLost, stats: bridge.stats() });
  });
}

async function sender(mode: Mode, port: number): Promise<void> {
  const { broker, bridge } = node(mode, port);
  await bridge.ready();
  process.send?.({ type: 'ready' });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  let n = 0;
  const perTick = (RATE * TICK_MS) / 1000;
  const started = performance.now();
  await new Promise<void>((done) => {
    const tick = (): void => {
      // Steady: as many as the clock says are due, so a slow tick does not lower the rate.
      const due = Math.min(TOTAL, Math.floor(((performance.now() - started) / TICK_MS + 1) * perTick));
      for (; n < due; n++) {
        broker.publish(TOPIC, n);
        if (n === KILL_AT) process.send?.({ type: 'kill' });
      }
      if (n >= TOTAL) done();
      else setTimeout(tick, TICK_MS);
    };
    tick();
  });
  process.send?.({ type: 'sent' });
  process.on('message', (message: { type: string }) => {
    if (message.type === 'report') process.send?.({ type: 'report', stats: bridge.stats() });
  });
}

/** redis-server on `port` in `dir`; a watchdog kills it if this process dies first. */
function startRedis(binary: string, port: number, dir: string, mode: Mode): ChildProcess {
  const persistence =
    mode === 'stream' ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  const args = ['--bind', '127.0.0.1', '--port', String(port), '--save', '', ...persistence, '--dir', dir];
  const child = spawn(binary, [...args, '--daemonize', 'no', '--loglevel', 'warning'], { stdio: 'ignore' });
  const watchdog = spawn(
    'sh',
    ['-c', `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${child.pid} 2>/dev/null; do sleep 1; done; kill -9 ${child.pid} 2>/dev/null`],
    { stdio: 'ignore', detached: true },
  );
  watchdog.unref();
  return child;
}

async function untilAnswers(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    probe.on('error', () => undefined); // refused while the server starts: expected
    try {
      await probe.connect();
      // A server loading its AOF answers -LOADING: wait for a real PONG.
      if ((await probe.ping()) === 'PONG') return;
    } catch {
      // Not up yet.
    } finally {
      probe.disconnect();
    }
    if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not come up`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function run(mode: Mode): Promise<Report> {
  const binary = findRedisServer();
  if (binary === undefined) throw new Error('redis-server is not installed');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'logcaster-fault-'));
  let redis = startRedis(binary, port, dir, mode);
  const children: ChildProcess[] = [];
  try {
    await untilAnswers(port);
    const spawnRole = (role: 'sender' | 'receiver'): ChildProcess => {
      const child = fork(new URL(import.meta.url).pathname, ['--role', role, mode, String(port)], {
        execArgv: ['--import', 'tsx'],
      });
      children.push(child);
      return child;
    };
    const next = (child: ChildProcess, type: string): Promise<Record<string, unknown>> =>
      new Promise((resolve) => {
        const on = (message: Record<string, unknown>): void => {
          if (message.type !== type) return;
          child.off('message', on);
          resolve(message);
        };
        child.on('message', on);
      });
    const b = spawnRole('receiver');
    await next(b, 'ready');
    const a = spawnRole('sender');
    await next(a, 'ready');
    const killed = next(a, 'kill');
    const sent = next(a, 'sent');
    a.send({ type: 'go' });
    await killed;
    redis.kill('SIGKILL');
    await new Promise((resolve) => redis.once('exit', resolve));
    await new Promise((resolve) => setTimeout(resolve, DOWN_MS));
    redis = startRedis(binary, port, dir, mode);
    await sent;
    // Settle: until the receiver has everything, or nothing new came for 3 s.
    let last = -1;
    let quietSince = Date.now();
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      b.send({ type: 'report' });
      const { received } = (await next(b, 'report')) as { received: number };
      if (received !== last) {
        last = received;
        quietSince = Date.now();
      }
      if (received >= TOTAL || Date.now() - quietSince > 3_000) break;
    }
    b.send({ type: 'report' });
    const r = (await next(b, 'report')) as unknown as Omit<Report, 'mode' | 'receiver' | 'sender' | 'outageMessages'> & {
      stats: RedisBridgeStats;
    };
    a.send({ type: 'report' });
    const s = (await next(a, 'report')) as { stats: RedisBridgeStats };
    return {
      mode,
      received: r.received,
      lost: r.lost,
      duplicated: r.duplicated,
      outOfOrder: r.outOfOrder,
      firstLost: r.firstLost,
      lastLost: r.lastLost,
      receiver: r.stats,
      sender: s.stats,
      outageMessages: (RATE * DOWN_MS) / 1000,
    };
  } finally {
    for (const child of children) child.kill('SIGKILL');
    redis.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

const roleAt = process.argv.indexOf('--role');
if (roleAt !== -1) {
  const [role, mode, port] = process.argv.slice(roleAt + 1) as ['sender' | 'receiver', Mode, string];
  // A node exits when the bench that forked it goes away.
  process.on('disconnect', () => process.exit(0));
  await (role === 'sender' ? sender(mode, Number(port)) : receiver(mode, Number(port)));
} else {
  const which = process.argv[2] ?? 'both';
  const runs = Number(process.argv[3] ?? 1);
  const modes: Mode[] = which === 'both' ? ['pubsub', 'stream'] : [which as Mode];
  console.log(`${TOTAL} messages at ${RATE}/s; redis-server kill -9 at message ${KILL_AT}, restarted ${DOWN_MS} ms later`);
  console.log('| bridge | run | lost | duplicated | out of order | lost % of the outage window | gaps reported (missing) | outbox hold |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const mode of modes) {
    for (let i = 1; i <= runs; i++) {
      const r = await run(mode);
      const name = mode === 'stream' ? 'RedisStreamBridge (appendfsync always)' : 'RedisBridge (Pub/Sub)';
      const pct = ((100 * r.lost) / r.outageMessages).toFixed(1);
      const hold = mode === 'pubsub' ? `${Math.round(r.sender.lastHoldMs)} ms` : 'n/a';
      console.log(
        `| ${name} | ${i} | ${r.lost} | ${r.duplicated} | ${r.outOfOrder} | ${pct} % | ${r.receiver.gaps} (${r.receiver.missing}) | ${hold} |`,
      );
      if (r.lost > 0) console.error(`  lost range ${r.firstLost}..${r.lastLost}; receiver ${JSON.stringify(r.receiver)}; sender ${JSON.stringify(r.sender)}`);
    }
  }
}
