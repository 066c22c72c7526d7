/**
 * The web viewer under load, next to IRC under the same load: 1,000 SSE clients on one
 * channel (`#logs-all`) while 1,000 lines/s are ingested, then the same with 10% of the
 * clients never reading, then the IRC end-to-end runs with the same numbers
 * (bench/scenarios/e2e.ts). Same server process (bench/lib/e2e-server.ts, with the web viewer
 * on), same ingest schedule, same latency clock: each line carries its ingest time from
 * CLOCK_MONOTONIC (`lcbench:<µs>:<seq>`), and the clients subtract it on arrival.
 *
 *   npx tsx bench/sse-load.ts            # SSE and IRC, 1,000 clients × 1,000 lines/s
 *   SSE_ONLY=1 npx tsx bench/sse-load.ts # only the SSE runs
 *
 * Prints a Markdown table (the one in examples/irc-log-server/README.md) and writes
 * bench/results/sse-load.json.
 *
 * @module
 */
import { fork, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { LatencyHistogram } from './lib/histogram.js';
import { describeMachine } from './lib/report.js';
import type { FromServer, ToServer } from './lib/e2e-server.js';
import { runOnce as runIrc, type RunPlan } from './scenarios/e2e.js';

const serverScript = fileURLToPath(new URL('./lib/e2e-server.ts', import.meta.url));
const root = fileURLToPath(new URL('..', import.meta.url));
const MARK = Buffer.from('lcbench:');
const HELLO = Buffer.from('event: hello');
const NL = 10;
const COLON = 58;
const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

interface Row {
  label: string;
  transport: 'SSE' | 'IRC';
  clients: number;
  rate: number;
  stalledShare: number;
  deliveredPerSecond: number;
  completeness: number;
  p50: number;
  p99: number;
  max: number;
  rssPeakMiB: number;
  serverCpuPercent: number;
  clientCpuPercent: number;
  injectMs: number;
  skipped?: number;
}

/** One SSE client: a raw HTTP/1.1 request, then it times every `lcbench:` line it receives. */
class SseBenchClient {
  received = 0;
  private tail: Buffer | undefined;
  private ready: (() => void) | undefined;
  private started = false;
  private head = Buffer.alloc(0);

  constructor(
    readonly socket: Socket,
    private readonly histogram: LatencyHistogram | undefined,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined);
  }

  start(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ready = resolve;
      this.socket.once('close', () => reject(new Error('closed before hello')));
      this.socket.write(`GET /events?channel=%23logs-all HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\n\r\n`);
    });
  }

  private onData(chunk: Buffer): void {
    if (!this.started) {
      this.head = Buffer.concat([this.head, chunk]);
      if (this.head.indexOf(HELLO) < 0) return;
      this.started = true;
      this.head = Buffer.alloc(0);
      this.ready?.();
      return;
    }
    if (this.histogram === undefined) return;
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
}

function startServerProcess(clients: number): Promise<{ child: ChildProcess; httpPort: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(serverScript, [], {
      cwd: root,
      // SSE_CPU_PROF=<dir> profiles the server (`node --cpu-prof`).
      execArgv: ['--import', 'tsx', ...(process.env.SSE_CPU_PROF === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${process.env.SSE_CPU_PROF}`])],
      env: { ...process.env, E2E_CLIENTS: String(clients), E2E_HTTP: '1' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error('the server did not start within 30 s'));
    }, 30_000);
    child.once('message', (message: FromServer) => {
      clearTimeout(timer);
      if (message.type === 'ready' && message.httpPort !== null) resolve({ child, httpPort: message.httpPort });
      else reject(new Error(`unexpected first message ${JSON.stringify(message)}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${String(code)} before it was ready`));
    });
  });
}

function stopServerProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.send({ type: 'stop' } satisfies ToServer);
  });
}

async function runSse(plan: RunPlan): Promise<Row> {
  const { child, httpPort } = await startServerProcess(plan.clients);
  const histogram = new LatencyHistogram();
  const clients: SseBenchClient[] = [];
  const stalledEvery = plan.stalled > 0 ? Math.round(1 / plan.stalled) : 0;
  const isStalled = (i: number): boolean => stalledEvery > 0 && i % stalledEvery === stalledEvery - 1;
  try {
    for (let from = 0; from < plan.clients; from += 250) {
      const batch: Promise<void>[] = [];
      for (let i = from; i < Math.min(from + 250, plan.clients); i++) {
        const socket = connect({ port: httpPort, host: '127.0.0.1' });
        socket.setNoDelay(true);
        const client = new SseBenchClient(socket, isStalled(i) ? undefined : histogram);
        clients.push(client);
        batch.push(client.start(httpPort).then(() => {
          if (isStalled(i)) socket.pause();
        }));
      }
      await Promise.all(batch);
    }
    const done = new Promise<Extract<FromServer, { type: 'injected' }>>((resolve, reject) => {
      child.on('message', (message: FromServer) => {
        if (message.type === 'injected') resolve(message);
        else if (message.type === 'failed') reject(new Error(message.message));
      });
    });
    const cpu = process.cpuUsage();
    child.send({ type: 'inject', rate: plan.rate, durationMs: plan.durationMs } satisfies ToServer);
    const report = await done;
    const cpuUsed = process.cpuUsage(cpu);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    let received = 0;
    let readers = 0;
    clients.forEach((c, i) => {
      if (isStalled(i)) return;
      readers++;
      received += c.received;
    });
    const web = report.web as { linesSkipped: number } | undefined;
    return {
      label: plan.label,
      transport: 'SSE',
      clients: plan.clients,
      rate: plan.rate,
      stalledShare: plan.stalled,
      deliveredPerSecond: received / (report.elapsedMs / 1000),
      completeness: received / (report.count * readers),
      p50: histogram.quantileMs(0.5),
      p99: histogram.quantileMs(0.99),
      max: histogram.max / 1000,
      rssPeakMiB: report.rssPeakMiB,
      serverCpuPercent: (100 * report.cpuMs) / report.elapsedMs,
      clientCpuPercent: (100 * (cpuUsed.user + cpuUsed.system)) / 1000 / report.elapsedMs,
      injectMs: report.elapsedMs,
      skipped: web?.linesSkipped,
    };
  } finally {
    for (const c of clients) c.socket.destroy();
    await stopServerProcess(child);
  }
}

const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main(): Promise<void> {
  const duration = Number(process.env.SSE_DURATION_MS ?? '4000');
  const plans: RunPlan[] = [
    { label: '1,000 clients × 1,000 lines/s', clients: 1000, rate: 1000, stalled: 0, durationMs: duration },
    { label: '1,000 clients, 10% not reading', clients: 1000, rate: 1000, stalled: 0.1, durationMs: duration },
  ].slice(0, process.env.SSE_PLANS === undefined ? 2 : Number(process.env.SSE_PLANS));
  const rows: Row[] = [];
  for (const plan of plans) {
    const row = await runSse(plan);
    rows.push(row);
    console.log(
      `SSE ${plan.label}: ${fmt(row.deliveredPerSecond)} lines/s, P50 ${fmt(row.p50, 2)} ms, P99 ${fmt(row.p99, 2)} ms, RSS ${fmt(row.rssPeakMiB)} MiB; ` +
        `injected in ${fmt(row.injectMs / 1000, 1)} s, ${fmt(row.skipped ?? 0)} lines skipped, CPU server ${fmt(row.serverCpuPercent)}% clients ${fmt(row.clientCpuPercent)}%`,
    );
  }
  if (process.env.SSE_ONLY !== '1') {
    for (const plan of plans) {
      const r = await runIrc(plan);
      rows.push({
        label: plan.label,
        transport: 'IRC',
        clients: plan.clients,
        rate: plan.rate,
        stalledShare: plan.stalled,
        deliveredPerSecond: r.deliveredPerSecond,
        completeness: r.completeness,
        p50: r.p50,
        p99: r.p99,
        max: r.max,
        rssPeakMiB: r.rssPeakMiB,
        serverCpuPercent: r.serverCpuPercent,
        clientCpuPercent: r.clientCpuPercent,
        injectMs: r.injectMs,
      });
      console.log(`IRC ${plan.label}: ${fmt(r.deliveredPerSecond)} lines/s, P50 ${fmt(r.p50, 2)} ms, P99 ${fmt(r.p99, 2)} ms, RSS ${fmt(r.rssPeakMiB)} MiB`);
    }
  }
  const machine = describeMachine();
  console.log('');
  console.log(`${machine.nproc} × ${machine.cpu}, Node ${machine.node}, load average ${(await import('node:os')).loadavg()[0].toFixed(1)} at the end`);
  console.log('| run | transport | delivered lines/s | delivered | P50 ms | P99 ms | max ms | server peak RSS MiB | server CPU | clients CPU |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(
      `| ${r.label} | ${r.transport} | ${fmt(r.deliveredPerSecond)} | ${fmt(100 * r.completeness, 1)}% | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${fmt(r.max, 1)} | ${fmt(r.rssPeakMiB)} | ${fmt(r.serverCpuPercent)}% | ${fmt(r.clientCpuPercent)}% |`,
    );
  }
  writeFileSync(new URL('./results/sse-load.json', import.meta.url), `${JSON.stringify({ date: new Date().toISOString(), machine, rows }, null, 2)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
