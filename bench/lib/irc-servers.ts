/**
 * The servers of the e2e-vs-ircd scenario, each started as a user would, in its own process
 * group on free loopback ports: the logcaster example through the `demo` script of
 * package.json (what the README tells people to run), and Debian's `ngircd` with a temporary
 * configuration. Every group started here is killed when this process exits.
 *
 * @module
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Where Debian installs ngircd. */
export const NGIRCD = '/usr/sbin/ngircd';

/** A server process (group) under test. */
export interface ServerUnderTest {
  /** The IRC port. */
  readonly port: number;
  /** The JSON Lines ingest port (the example only). */
  readonly ingestPort: number | undefined;
  /** Resident memory of the process and its descendants, bytes (a wrapper counts). */
  rss(): number;
  /** CPU time (user + system) the process and its descendants used so far, ms. */
  cpuMs(): number;
  /** Stops the group (SIGTERM, then SIGKILL after 3 s) and removes temporary files. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) killGroup(child, 'SIGKILL');
});
// A signal would end this process without 'exit': stop the servers first.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    for (const child of running) killGroup(child, 'SIGKILL');
    process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone between the check and the kill: nothing left to stop.
  }
}

/** A port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitForPorts(child: ChildProcess, ports: number[], what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (const port of ports) {
    while (!(await canConnect(port))) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before listening`);
      if (Date.now() > deadline) throw new Error(`${what} did not listen on ${port} within 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Resident memory of `pid` and every descendant, from /proc (Linux). */
function treeRss(pid: number): number {
  return sumTree(pid, (id) => {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${id}/status`, 'latin1'));
    return match === null ? 0 : Number(match[1]) * 1024;
  });
}

// /proc/<pid>/stat counts CPU time in clock ticks; Linux reports them at 100 per second.
const TICK_MS = 10;

/** CPU time of `pid` and every descendant (utime + stime), ms. */
function treeCpuMs(pid: number): number {
  return sumTree(pid, (id) => {
    const stat = readFileSync(`/proc/${id}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat, counted from the state (field 3) here.
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  });
}

/** Sums `measure` over `pid` and its descendants (a process that exits meanwhile counts 0). */
function sumTree(pid: number, measure: (pid: number) => number): number {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue; // exited while we looked
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(name));
    children.set(ppid, list);
  }
  let total = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const next = stack.pop() as number;
    try {
      total += measure(next);
    } catch {
      continue;
    }
    stack.push(...(children.get(next) ?? []));
  }
  return total;
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      running.delete(child);
      resolve();
      return;
    }
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 3_000);
    child.once('exit', () => {
      clearTimeout(timer);
      running.delete(child);
      resolve();
    });
    killGroup(child, 'SIGTERM');
  });
}

/**
 * Starts ngircd with limits raised for a benchmark from one address: no per-address or
 * join limit, penalties off (so feeders are not throttled), no DNS/ident/PAM lookups.
 */
export async function startNgircd(): Promise<ServerUnderTest> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ngircd-bench-'));
  const config = join(dir, 'ngircd.conf');
  writeFileSync(
    config,
    [
      '[Global]',
      'Name = bench.ngircd.local',
      'Info = e2e-vs-ircd bench',
      'AdminInfo1 = bench',
      'AdminInfo2 = bench',
      'AdminEMail = bench@localhost',
      'Listen = 127.0.0.1',
      `Ports = ${port}`,
      'MotdPhrase = bench',
      `PidFile = ${join(dir, 'ngircd.pid')}`,
      '[Limits]',
      'MaxConnections = 0',
      'MaxConnectionsIP = 0',
      'MaxJoins = 0',
      'MaxPenaltyTime = 0',
      'PingTimeout = 600',
      'PongTimeout = 600',
      '[Options]',
      'DNS = no',
      'Ident = no',
      'PAM = no',
      '',
    ].join('\n'),
  );
  // -n: stay in the foreground, so the process group is ours to stop.
  const child = spawn(NGIRCD, ['-n', '-f', config], { detached: true, stdio: 'ignore' });
  running.add(child);
  try {
    await waitForPorts(child, [port], 'ngircd');
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  const pid = child.pid as number;
  return {
    port,
    ingestPort: undefined,
    rss: () => treeRss(pid),
    cpuMs: () => treeCpuMs(pid),
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function scripts(): Record<string, string | undefined> {
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
}

/** The `demo` script of package.json: how the README starts the example. */
export function demoCommand(): string {
  return scripts().demo ?? 'tsx examples/irc-log-server/main.ts';
}

/** Runs the `predemo` script (the example's build), as `npm run demo` does first. */
export function prepareExample(): void {
  if (scripts().predemo === undefined) return;
  const result = spawnSync('npm', ['run', '--silent', 'predemo'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) throw new Error(`npm run predemo failed (${result.status ?? result.signal})`);
}

/**
 * Starts the example with `npm run demo`'s command (without npm itself, which is not the
 * server): demo generator off, free ports, the ingest limit raised to the fed rate.
 */
export async function startExample(ingestRate: number): Promise<ServerUnderTest> {
  const port = await freePort();
  const ingestPort = await freePort();
  const flags = [
    '--no-demo',
    `--irc-port ${port}`,
    `--ingest-port ${ingestPort}`,
    `--ingest-rate ${ingestRate}`,
    `--ingest-burst ${ingestRate}`,
    '--max-clients-per-ip 2000',
  ];
  const command = `${demoCommand()} ${flags.join(' ')}`;
  const child = spawn('/bin/sh', ['-c', `exec ${command}`], {
    cwd: root,
    detached: true,
    // An IPC channel: main.ts shuts down when it closes, so the server never outlives the bench.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, PATH: `${join(root, 'node_modules', '.bin')}:${process.env.PATH ?? ''}` },
  });
  running.add(child);
  try {
    await waitForPorts(child, [port, ingestPort], `the example (${command})`);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  const pid = child.pid as number;
  return { port, ingestPort, rss: () => treeRss(pid), cpuMs: () => treeCpuMs(pid), stop: () => stopChild(child) };
}

/** Whether ngircd is installed where Debian puts it. */
export function hasNgircd(): boolean {
  return existsSync(NGIRCD);
}
