/**
 * Scenario 6, end-to-end: the example IRC log server on loopback with N real TCP clients
 * joined to `#logs-all` while M lines/s are ingested. Measured by the clients: delivered
 * lines/s and publish→receive latency (each line carries its ingest time from the shared
 * monotonic clock); measured by the server process: peak RSS and CPU. The same run is
 * repeated with 10% of the clients not reading, to show that slow readers do not slow the
 * others.
 *
 * The server runs in its own process (bench/lib/e2e-server.ts); the clients run here, one
 * socket each, so both sides are real: the kernel's loopback, the server's write path and
 * the clients' reads are all inside the measured latency.
 *
 * @module
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { record } from '../lib/harness.js';
import { LatencyHistogram } from '../lib/histogram.js';
import { describeMachine } from '../lib/report.js';
import type { Scenario, ScenarioContext } from '../lib/scenario.js';
import type { FromServer, ToServer } from '../lib/e2e-server.js';

const serverScript = fileURLToPath(new URL('../lib/e2e-server.ts', import.meta.url));
const exampleServer = fileURLToPath(new URL('../../examples/irc-log-server/server.ts', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));

export interface RunPlan {
  label: string;
  clients: number;
  /** Lines ingested per second. */
  rate: number;
  /** Share of clients that register, join, then never read again. */
  stalled: number;
  durationMs: number;
}

export interface RunResult {
  plan: RunPlan;
  injected: number;
  /** Lines received by the reading clients, per second of injection. */
  deliveredPerSecond: number;
  /** How long injecting took; longer than planned when the server fell behind. */
  injectMs: number;
  /** Received / (injected × reading clients). */
  completeness: number;
  p50: number;
  p99: number;
  max: number;
  rssPeakMiB: number;
  serverCpuPercent: number;
  /** CPU of this (the clients') process over the same window. */
  clientCpuPercent: number;
  disconnected: number;
  /** Milliseconds to start the server process. */
  startMs: number;
  /** Milliseconds to connect, register and join every client. */
  connectMs: number;
}

const MARK = Buffer.from('lcbench:');
const NL = 10;
const COLON = 58;

const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

/** One bench client: registers, joins #logs-all, then reads (or stalls) and times lines. */
class BenchClient {
  private tail: Buffer | undefined;
  private text = '';
  private ready: (() => void) | undefined;
  private failed: ((error: Error) => void) | undefined;
  private joined = false;
  closed = false;
  received = 0;

  constructor(
    readonly socket: Socket,
    private readonly histogram: LatencyHistogram | undefined,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => {
      this.closed = true;
      this.failed?.(new Error('closed during registration'));
    });
    socket.on('error', () => {
      // 'close' follows; a reset from the server is an expected way for a stalled client to end.
    });
  }

  /** Resolves once registered and joined. */
  start(nick: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.ready = resolve;
      this.failed = reject;
      this.socket.write(`CAP LS 302\r\nNICK ${nick}\r\nUSER ${nick} 0 * :bench\r\nCAP REQ :server-time\r\nCAP END\r\n`);
    });
  }

  private onData(chunk: Buffer): void {
    if (!this.joined) {
      this.onRegistrationData(chunk);
      return;
    }
    if (this.histogram === undefined) {
      this.received += count(chunk, MARK);
      return;
    }
    const arrival = nowUs();
    let data = chunk;
    if (this.tail !== undefined) {
      data = Buffer.concat([this.tail, chunk]);
      this.tail = undefined;
    }
    const end = data.lastIndexOf(NL);
    if (end < 0) {
      this.tail = Buffer.from(data);
      return;
    }
    if (end < data.length - 1) this.tail = Buffer.from(data.subarray(end + 1));
    let at = data.indexOf(MARK, 0);
    while (at >= 0 && at < end) {
      let i = at + MARK.length;
      let sent = 0;
      for (let c = data[i]; c >= 48 && c <= 57; c = data[++i]) sent = sent * 10 + (c - 48);
      if (data[i] === COLON) {
        this.histogram.record(arrival - sent);
        this.received++;
      }
      at = data.indexOf(MARK, i);
    }
  }

  private onRegistrationData(chunk: Buffer): void {
    this.text += chunk.toString('latin1');
    let nl = this.text.indexOf('\n');
    while (nl >= 0) {
      const line = this.text.slice(0, nl).replace(/\r$/, '');
      this.text = this.text.slice(nl + 1);
      const parts = line.replace(/^@\S+ /, '').split(' ');
      const command = parts[0].startsWith(':') ? parts[1] : parts[0];
      if (command === 'PING') this.socket.write(`PONG ${parts.slice(1).join(' ')}\r\n`);
      else if (command === '001') this.socket.write('JOIN #logs-all\r\n');
      else if (command === '366') {
        this.joined = true;
        this.text = '';
        const ready = this.ready;
        this.ready = undefined;
        this.failed = undefined;
        ready?.();
        return;
      } else if (command === 'ERROR' || /^4\d\d$/.test(command ?? '')) {
        this.failed?.(new Error(`registration failed: ${line}`));
      }
      nl = this.text.indexOf('\n');
    }
  }
}

function count(data: Buffer, mark: Buffer): number {
  let n = 0;
  for (let at = data.indexOf(mark); at >= 0; at = data.indexOf(mark, at + mark.length)) n++;
  return n;
}

function startServerProcess(clients: number): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(serverScript, [], {
      cwd: root,
      // E2E_CPU_PROF=<dir> profiles the server (`node --cpu-prof`) to see what limits it.
      execArgv: ['--import', 'tsx', ...(process.env.E2E_CPU_PROF === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${process.env.E2E_CPU_PROF}`])],
      env: { ...process.env, E2E_CLIENTS: String(clients) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error('the server did not start within 30 s'));
    }, 30_000);
    child.once('message', (message: FromServer) => {
      clearTimeout(timer);
      if (message.type === 'ready') resolve({ child, port: message.port });
      else if (message.type === 'failed') reject(new Error(message.message));
      else reject(new Error(`unexpected message ${message.type}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${String(code)} before it was ready`));
    });
  });
}

function stopServerProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) {
      resolve();
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.send({ type: 'stop' } satisfies ToServer);
  });
}

async function connectClients(
  port: number,
  plan: RunPlan,
  fast: LatencyHistogram,
): Promise<BenchClient[]> {
  const clients: BenchClient[] = [];
  const stalledEvery = plan.stalled > 0 ? Math.round(1 / plan.stalled) : 0;
  const BATCH = 250;
  for (let from = 0; from < plan.clients; from += BATCH) {
    const batch: Promise<void>[] = [];
    for (let i = from; i < Math.min(from + BATCH, plan.clients); i++) {
      const stalled = stalledEvery > 0 && i % stalledEvery === stalledEvery - 1;
      const socket = connect({ port, host: '127.0.0.1' });
      socket.setNoDelay(true);
      const client = new BenchClient(socket, stalled ? undefined : fast);
      clients.push(client);
      batch.push(
        client.start(`b${i}`).then(() => {
          if (stalled) socket.pause();
        }),
      );
    }
    await Promise.all(batch);
  }
  return clients;
}

export async function runOnce(plan: RunPlan): Promise<RunResult> {
  const started = performance.now();
  const { child, port } = await startServerProcess(plan.clients);
  const fast = new LatencyHistogram();
  let clients: BenchClient[] = [];
  try {
    const connecting = performance.now();
    clients = await connectClients(port, plan, fast);
    const connectMs = performance.now() - connecting;
    const done = new Promise<Extract<FromServer, { type: 'injected' }>>((resolve, reject) => {
      child.on('message', (message: FromServer) => {
        if (message.type === 'injected') resolve(message);
        else if (message.type === 'failed') reject(new Error(message.message));
      });
    });
    const clientCpu = process.cpuUsage();
    child.send({ type: 'inject', rate: plan.rate, durationMs: plan.durationMs } satisfies ToServer);
    const report = await done;
    const clientCpuUsed = process.cpuUsage(clientCpu);
    // Let queued lines arrive; latency of late lines is measured, not dropped.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const reading = clients.filter((c, i) => !(plan.stalled > 0 && i % Math.round(1 / plan.stalled) === Math.round(1 / plan.stalled) - 1));
    let received = 0;
    for (const c of reading) received += c.received;
    return {
      plan,
      injected: report.count,
      deliveredPerSecond: received / (report.elapsedMs / 1000),
      injectMs: report.elapsedMs,
      completeness: received / (report.count * reading.length),
      p50: fast.quantileMs(0.5),
      p99: fast.quantileMs(0.99),
      max: fast.max / 1000,
      rssPeakMiB: report.rssPeakMiB,
      serverCpuPercent: (100 * report.cpuMs) / report.elapsedMs,
      clientCpuPercent: (100 * (clientCpuUsed.user + clientCpuUsed.system)) / 1000 / report.elapsedMs,
      disconnected: clients.filter((c) => c.closed).length,
      startMs: connecting - started,
      connectMs,
    };
  } finally {
    for (const c of clients) c.socket.destroy();
    await stopServerProcess(child);
  }
}

function fdLimit(): number {
  const raw = describeMachine().fdLimit;
  return raw === 'unlimited' ? Number.POSITIVE_INFINITY : Number(raw);
}

function report(ctx: ScenarioContext, results: RunResult[]): void {
  const name = (r: RunResult): string => r.plan.label;
  ctx.group(record('delivered lines/s (reading clients)', 'lines/s', true, undefined, results.map((r) => ({ name: name(r), value: r.deliveredPerSecond }))));
  ctx.group(record('publish → client latency P50', 'ms', false, undefined, results.map((r) => ({ name: name(r), value: r.p50 }))));
  ctx.group(record('publish → client latency P99', 'ms', false, undefined, results.map((r) => ({ name: name(r), value: r.p99 }))));
  ctx.group(record('server peak RSS', 'MiB', false, undefined, results.map((r) => ({ name: name(r), value: r.rssPeakMiB }))));
  for (const r of results) {
    ctx.note(
      `${r.plan.label}: ${r.injected} lines injected in ${(r.injectMs / 1000).toFixed(1)} s, ${(100 * r.completeness).toFixed(1)}% delivered to readers, ` +
        `max latency ${r.max.toFixed(1)} ms, CPU: server ${r.serverCpuPercent.toFixed(0)}%, clients ${r.clientCpuPercent.toFixed(0)}%; ${r.disconnected} clients disconnected; ` +
        `server start ${(r.startMs / 1000).toFixed(1)} s, clients joined in ${(r.connectMs / 1000).toFixed(1)} s`,
    );
  }
}

const scenario: Scenario = {
  name: 'e2e',
  title: 'End to end: the example IRC server on loopback',
  async run(ctx) {
    if (!existsSync(exampleServer)) {
      throw new Error('examples/irc-log-server/server.ts does not exist yet');
    }
    const plans: RunPlan[] = [
      { label: '100 clients × 1,000 lines/s', clients: 100, rate: 1_000, stalled: 0, durationMs: 3_000 },
      { label: '1,000 clients × 1,000 lines/s', clients: 1_000, rate: 1_000, stalled: 0, durationMs: 4_000 },
      { label: '1,000 clients, 10% not reading', clients: 1_000, rate: 1_000, stalled: 0.1, durationMs: 4_000 },
    ];
    const limit = fdLimit();
    const big: RunPlan = { label: '10,000 clients × 100 lines/s', clients: 10_000, rate: 100, stalled: 0, durationMs: 4_000 };
    const results: RunResult[] = [];
    for (const plan of [...plans, big]) {
      if (plan === big) {
        if (limit < big.clients + 500) {
          ctx.note(`10,000 clients skipped: ulimit -n is ${limit}; each side needs one descriptor per client (raise it with ulimit -n 12000)`);
          continue;
        }
        const behind = results.find((r) => r.injectMs > 2 * r.plan.durationMs);
        if (behind !== undefined) {
          ctx.note(`10,000 clients skipped: the server fell behind at ${behind.plan.label} (${(behind.injectMs / 1000).toFixed(1)} s to inject ${behind.plan.durationMs / 1000} s of lines), so it would not fit the time budget`);
          continue;
        }
      }
      results.push(await runOnce(plan));
      const r = results[results.length - 1];
      console.log(
        `    ${plan.label}: ${Math.round(r.deliveredPerSecond).toLocaleString('en-US')} lines/s, P50 ${r.p50.toFixed(2)} ms, P99 ${r.p99.toFixed(2)} ms, RSS ${r.rssPeakMiB.toFixed(0)} MiB`,
      );
    }
    report(ctx, results);
    const base = results.find((r) => r.plan.clients === 1_000 && r.plan.stalled === 0);
    const slow = results.find((r) => r.plan.stalled > 0);
    if (base !== undefined) ctx.target('P99 at 1,000 clients × 1,000 lines/s', base.p99, 'at-most', 50, 'ms');
    if (base !== undefined && slow !== undefined) {
      ctx.target('fast readers P99 with 10% stalled / without', slow.p99 / base.p99, 'at-most', 2);
    }
  },
};

export default scenario;
