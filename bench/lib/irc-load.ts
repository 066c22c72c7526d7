/**
 * Builds and runs the C load generator (`irc-load.c`) of the e2e-vs-ircd scenario. It is
 * compiled with `gcc -O2` into a temporary directory on first use: nothing binary is committed.
 *
 * @module
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('./irc-load.c', import.meta.url));

/** What the load generator measured in one run (latencies in ms). */
export interface LoadResult {
  clients: number;
  /** Lines fed. */
  sent: number;
  /** Lines read by the clients (all of them, warm-up included). */
  received: number;
  /** sent × clients. */
  expected: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  /** How long feeding took. */
  feedMs: number;
  /** Connecting, registering and joining every client. */
  connectMs: number;
  /** Connections the server closed. */
  closed: number;
  /** The first error line a server sent (empty when none). */
  firstError: string;
}

/** One run of the load generator. */
export interface LoadPlan {
  /** IRC port. */
  port: number;
  clients: number;
  channel: string;
  /** Lines per second, in total. */
  rate: number;
  durationMs: number;
  /** Lines of the first `warmupMs` are delivered but not timed. */
  warmupMs: number;
  /** Feed as JSON Lines on this port, or as PRIVMSG from IRC clients when absent. */
  ingestPort?: number;
  /** Feeder connections, the lines spread over them in turn. */
  feeders: number;
}

let built: string | undefined;

/**
 * Compiles the generator once per process.
 *
 * @returns the executable's path, or why it could not be built (no gcc).
 */
export function buildLoadGenerator(): { path: string } | { error: string } {
  if (built !== undefined) return { path: built };
  const path = join(mkdtempSync(join(tmpdir(), 'irc-load-')), 'irc-load');
  const result = spawnSync('gcc', ['-O2', '-Wall', '-o', path, source], { encoding: 'utf8' });
  if (result.error !== undefined) return { error: `gcc: ${result.error.message}` };
  if (result.status !== 0) return { error: `gcc failed: ${result.stderr}` };
  built = path;
  return { path };
}

/** Runs the generator against a started server; rejects with its stderr when it fails. */
export function runLoad(executable: string, plan: LoadPlan): Promise<LoadResult> {
  const args = [
    '--port', String(plan.port),
    '--clients', String(plan.clients),
    '--channel', plan.channel,
    '--rate', String(plan.rate),
    '--duration-ms', String(plan.durationMs),
    '--warmup-ms', String(plan.warmupMs),
    '--feeders', String(plan.feeders),
    ...(plan.ingestPort === undefined ? ['--privmsg'] : ['--ingest-port', String(plan.ingestPort)]),
  ];
  return new Promise((resolve, reject) => {
    execFile(executable, args, { timeout: 180_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error !== null) {
        reject(new Error(`irc-load ${args.join(' ')} failed: ${stderr.trim() || error.message}`));
        return;
      }
      resolve(JSON.parse(stdout) as LoadResult);
    });
  });
}
