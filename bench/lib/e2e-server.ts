/**
 * The server side of the end-to-end scenario, run in its own process so that its memory and
 * CPU are its own and the clients' work does not share its event loop. Started by
 * bench/scenarios/e2e.ts over IPC:
 *
 * - child → parent `{ type: 'ready', port }` once the IRC server listens;
 * - parent → child `{ type: 'inject', rate, durationMs }`: ingest `rate` lines/s for that
 *   long, each carrying `lcbench:<µs>:<seq>` where µs is `process.hrtime` (CLOCK_MONOTONIC,
 *   shared by every process on the machine, so the clients can subtract it);
 * - child → parent `{ type: 'injected', … }` with the count, peak RSS and CPU time;
 * - parent → child `{ type: 'stop' }`: close and exit.
 *
 * @module
 */
import type { ServerConfig } from '../../examples/irc-log-server/config.js';
import type { LogEntry } from '../../examples/irc-log-server/logs/entry.js';
import { startServer } from '../../examples/irc-log-server/server.js';

/** Messages the parent sends. */
export type ToServer = { type: 'inject'; rate: number; durationMs: number } | { type: 'stop' };
/** Messages the child sends. */
export type FromServer =
  | { type: 'ready'; port: number; httpPort: number | null }
  | {
      type: 'injected';
      count: number;
      /** Wall time from the first line to the last, which exceeds the plan when the server falls behind. */
      elapsedMs: number;
      rssPeakMiB: number;
      rssEndMiB: number;
      cpuMs: number;
      stats: unknown;
      /** The web viewer's counters, when it runs (E2E_HTTP=1). */
      web?: unknown;
    }
  | { type: 'failed'; message: string };

const send = (message: FromServer): void => {
  process.send?.(message);
};

const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

// Ingest on every timer turn (about 1 ms), so lines arrive as a stream rather than in bursts.
const TICK_MS = 1;

async function main(): Promise<void> {
  const clients = Number(process.env.E2E_CLIENTS ?? '1000');
  // Limits raised so the bench measures delivery, not the example's protection against
  // one host opening many connections (every bench client comes from 127.0.0.1).
  const config: Partial<ServerConfig> = {
    ircHost: '127.0.0.1',
    ircPort: 0,
    ingestPort: null,
    demo: false,
    stdin: false,
    maxClients: clients + 100,
    maxClientsPerIp: clients + 100,
    // E2E_HTTP=1 also opens the web viewer, for the SSE load (bench/sse-load.ts).
    httpPort: process.env.E2E_HTTP === '1' ? 0 : null,
  };
  const server = await startServer(config);
  send({ type: 'ready', port: server.ircPort, httpPort: server.httpPort ?? null });

  let seq = 0;
  process.on('message', (raw: ToServer) => {
    if (raw.type === 'stop') {
      void Promise.resolve(server.close()).finally(() => process.exit(0));
      return;
    }
    const { rate, durationMs } = raw;
    const cpuStart = process.cpuUsage();
    const started = performance.now();
    let injected = 0;
    let ticks = 0;
    let rssPeak = process.memoryUsage.rss();
    const timer = setInterval(() => {
      const elapsed = performance.now() - started;
      // Catch up to where the schedule says we should be, so a late timer does not lower the rate.
      const due = Math.min(Math.round((Math.min(elapsed, durationMs) * rate) / 1000), Math.round((durationMs * rate) / 1000));
      while (injected < due) {
        const entry: LogEntry = {
          level: 'INFO',
          service: 'bench',
          category: 'BENCH',
          message: `lcbench:${nowUs()}:${seq++}`,
          ts: Date.now(),
        };
        server.ingest(entry);
        injected++;
      }
      // Reading RSS is a system call: every 50 ticks is often enough for a peak.
      if (++ticks % 50 === 0) {
        const rss = process.memoryUsage.rss();
        if (rss > rssPeak) rssPeak = rss;
      }
      if (elapsed >= durationMs) {
        clearInterval(timer);
        const cpu = process.cpuUsage(cpuStart);
        send({
          type: 'injected',
          count: injected,
          elapsedMs: performance.now() - started,
          rssPeakMiB: rssPeak / 2 ** 20,
          rssEndMiB: process.memoryUsage.rss() / 2 ** 20,
          cpuMs: (cpu.user + cpu.system) / 1000,
          stats: server.stats(),
          web: server.web?.stats(),
        });
      }
    }, TICK_MS);
  });
  process.on('disconnect', () => {
    void Promise.resolve(server.close()).finally(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
});
