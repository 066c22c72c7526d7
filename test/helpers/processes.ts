/**
 * Server processes the tests start (redis-server, nats-server): spawned so that they die with
 * the test process even when it is killed (Linux's parent-death signal, through util-linux's
 * `setpriv`), and killed on a normal exit too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Where `name` is on PATH (or in the sbin directories Debian puts servers in), if anywhere. */
export function findBinary(name: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).concat(['/usr/bin', '/usr/local/bin', '/usr/sbin', '/usr/local/sbin']);
  for (const dir of dirs) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory: try the next one.
    }
  }
  return undefined;
}

const live = new Set<ChildProcess>();
let exitHook = false;
const setpriv = process.platform === 'linux' ? findBinary('setpriv') : undefined;

/**
 * Starts `binary` with `args`, its output ignored. On Linux the child gets SIGKILL when this
 * process dies, however it dies (`setpriv --pdeathsig KILL`, which execs the server: the pid
 * is the server's); and every child is killed when this process exits normally.
 */
export function spawnServer(binary: string, args: readonly string[]): ChildProcess {
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const child of live) child.kill('SIGKILL');
    });
  }
  const child =
    setpriv === undefined
      ? spawn(binary, args, { stdio: 'ignore' })
      : spawn(setpriv, ['--pdeathsig', 'KILL', '--', binary, ...args], { stdio: 'ignore' });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Whether a child has exited. */
export function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/**
 * Stops a child: `signal` (SIGTERM by default), then SIGKILL after 2 s; resolves once it has
 * exited. `'SIGKILL'` is `kill -9`: the server gets no chance to say goodbye.
 */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (exited(child)) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
  await gone;
  clearTimeout(timer);
}

/**
 * Polls `check` every 20 ms until it returns true; rejects with `what` after `timeoutMs`, or
 * at once with what `check` throws (a server that exited: no point in waiting).
 */
export async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** `probe()`, or false when it throws (a server not listening yet). */
export async function succeeds(probe: () => Promise<boolean>): Promise<boolean> {
  try {
    return await probe();
  } catch {
    return false;
  }
}
