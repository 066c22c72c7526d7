/**
 * Where the example's heap goes per IRC client, from heap snapshots rather than guesses
 * (issue 24 §3). It starts the built server as `npm run demo` does (`npm run predemo` first),
 * connects N idle clients that register and join `#logs-all` (as the e2e-vs-ircd bench's
 * clients do), takes a heap snapshot, disconnects them, takes another, and prints the difference
 * by constructor (bytes per client), and the process's RSS before and after the clients came
 * (read before any snapshot: taking one grows RSS by far more than the clients do), and where that
 * RSS is by kind of mapping (rss-by-mapping.ts), next to a bare `node` process's.
 *
 *   npm run predemo && npx tsx examples/irc-log-server/bench/heap-by-constructor.ts [clients] [-- server flags]
 *
 * Clients default to 1,000. Server flags default to the bench's (`--no-demo`, the web viewer
 * on a free port); pass e.g. `-- --http-port off` to see a run without it. A snapshot is taken
 * after a full GC, so what it counts is live memory, not garbage awaiting collection.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../../bench/lib/irc-servers.js';
import { mappingTable, rssByMapping } from './rss-by-mapping.js';

const entry = fileURLToPath(new URL('../dist/main.js', import.meta.url));

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Self size summed per constructor (objects, native and hidden nodes) or per node type (the rest). */
function bytesByKind(file: string): Map<string, { bytes: number; count: number }> {
  const heap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = heap.snapshot.meta.node_fields;
  const types = heap.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const totals = new Map<string, { bytes: number; count: number }>();
  for (let i = 0; i < heap.nodes.length; i += width) {
    const type = types[heap.nodes[i + typeAt]];
    const name = heap.strings[heap.nodes[i + nameAt]];
    const key = type === 'object' || type === 'native' || type === 'hidden' || type === 'closure' || type === 'synthetic' ? `${name.slice(0, 60)} (${type})` : `(${type})`;
    const total = totals.get(key) ?? { bytes: 0, count: 0 };
    total.bytes += heap.nodes[i + sizeAt];
    total.count++;
    totals.set(key, total);
  }
  return totals;
}

// Loaded into the server (`--import`): answers 'heap-probe' over the IPC channel with V8's own
// accounting, which splits the RSS without a GC (a snapshot collects garbage first).
const PROBE = `data:text/javascript,${encodeURIComponent(
  "import v8 from 'node:v8'; process.on('message', (m) => { if (m === 'heap-probe') process.send({ usage: process.memoryUsage(), spaces: v8.getHeapSpaceStatistics() }); });",
)}`;

interface Probe {
  usage: NodeJS.MemoryUsage;
  spaces: { space_name: string; space_size: number; space_used_size: number }[];
}

function probe(child: ReturnType<typeof spawn>): Promise<Probe> {
  return new Promise((resolve) => {
    // The server may say other things over the channel (its ports once listening): skip those.
    const answer = (message: unknown): void => {
      if (typeof message !== 'object' || message === null || !('spaces' in message)) return;
      child.off('message', answer);
      resolve(message as Probe);
    };
    child.on('message', answer);
    child.send('heap-probe');
  });
}

function describe(what: string, sample: Probe): string {
  const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
  const spaces = sample.spaces
    .filter((space) => space.space_size >= 2 ** 19)
    .map((space) => `${space.space_name} ${mib(space.space_size)} (${mib(space.space_used_size)} used)`)
    .join(', ');
  return `${what}: RSS ${mib(sample.usage.rss)} MiB = V8 heap ${mib(sample.usage.heapTotal)} MiB committed (${mib(sample.usage.heapUsed)} used, live and garbage: ${spaces}) + ${mib(sample.usage.rss - sample.usage.heapTotal)} MiB outside it (the node binary's pages, malloc, buffers: external ${mib(sample.usage.external)} MiB)`;
}

function rss(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
  return match === null ? 0 : Number(match[1]) * 1024;
}

/** Asks the server for a snapshot (SIGUSR2) and waits for the file to be complete. */
async function snapshot(pid: number, dir: string, before: Set<string>): Promise<string> {
  process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const fresh = readdirSync(dir).filter((name) => name.endsWith('.heapsnapshot') && !before.has(name));
    if (fresh.length === 0) continue;
    const file = join(dir, fresh[0]);
    try {
      JSON.parse(readFileSync(file, 'utf8'));
      before.add(fresh[0]);
      return file;
    } catch {
      // Still being written.
    }
  }
  throw new Error('no heap snapshot within 60 s');
}

/** A client that registers, joins #logs-all and answers PINGs; resolves once the join is done (366). */
function idleClient(port: number, index: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let pending = '';
    socket.setEncoding('utf8');
    socket.once('error', reject);
    socket.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\r\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('PING ')) socket.write(`PONG ${line.slice(5)}\r\n`);
        else if (/^:\S+ 366 /.test(line)) resolve(socket);
      }
    });
    socket.write(`NICK heap${index}\r\nUSER heap${index} 0 * :heap\r\nJOIN #logs-all\r\n`);
  });
}

/** A bare `node` process, idle, for the mapping table's first column. */
async function bareNode(): Promise<ReturnType<typeof rssByMapping>> {
  const bare = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  try {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    return rssByMapping(bare.pid as number);
  } finally {
    bare.kill();
  }
}

async function main(): Promise<void> {
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run predemo first`);
  const dash = process.argv.indexOf('--');
  const clients = Number(process.argv[2] !== undefined && process.argv[2] !== '--' ? process.argv[2] : '1000');
  const port = await freePort();
  const flags =
    dash >= 0 ? process.argv.slice(dash + 1) : ['--no-demo', '--http-port', String(await freePort()), '--max-clients-per-ip', String(clients + 10)];
  const dir = mkdtempSync(join(tmpdir(), 'irc-heap-'));
  // As package.json's demo script starts it, plus the snapshot signal.
  const child = spawn(process.execPath, ['--single-threaded', '--max-semi-space-size=1', '--heapsnapshot-signal=SIGUSR2', '--import', PROBE, entry, '--irc-port', String(port), ...flags], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const sockets: Socket[] = [];
  try {
    const pid = child.pid as number;
    for (;;) {
      const up = await new Promise<boolean>((resolve) => {
        const probe = connect({ host: '127.0.0.1', port }, () => {
          probe.destroy();
          resolve(true);
        });
        probe.once('error', () => resolve(false));
      });
      if (up) break;
      if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const seen = new Set<string>();
    // RSS first: taking a snapshot grows the process's memory by far more than the clients do.
    const rssEmpty = rss(pid);
    const mapsEmpty = rssByMapping(pid);
    const before = await probe(child);
    for (let i = 0; i < clients; i += 50) {
      const batch = await Promise.all(Array.from({ length: Math.min(50, clients - i) }, (_, j) => idleClient(port, i + j)));
      sockets.push(...batch);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    const rssFull = rss(pid);
    const mapsFull = rssByMapping(pid);
    const after = await probe(child);
    const full = bytesByKind(await snapshot(pid, dir, seen));
    // The empty heap after the clients left: code compiled while they came is in both snapshots.
    for (const socket of sockets.splice(0)) socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const empty = bytesByKind(await snapshot(pid, dir, seen));

    const sum = (map: Map<string, { bytes: number }>): number => [...map.values()].reduce((a, b) => a + b.bytes, 0);
    const rows = [...full]
      .map(([key, value]) => {
        const base = empty.get(key) ?? { bytes: 0, count: 0 };
        return { key, bytes: value.bytes - base.bytes, count: value.count - base.count };
      })
      .filter((row) => Math.abs(row.bytes) >= clients * 4)
      .sort((a, b) => b.bytes - a.bytes);
    const growth = sum(full) - sum(empty);
    console.log(`server: node ${entry} --irc-port ${port} ${flags.join(' ')}`);
    console.log(`RSS: ${(rssEmpty / 2 ** 20).toFixed(1)} MiB with no client, ${(rssFull / 2 ** 20).toFixed(1)} MiB with ${clients} (${((rssFull - rssEmpty) / clients / 1024).toFixed(2)} KB per client)`);
    console.log('');
    console.log(mappingTable([
      { name: 'bare node', kinds: await bareNode() },
      { name: 'server, no client', kinds: mapsEmpty },
      { name: `server, ${clients} clients`, kinds: mapsFull },
    ]));
    console.log('');
    console.log(describe('no client', before));
    console.log(describe(`${clients} clients`, after));
    console.log(`live JS heap (snapshot): ${(sum(empty) / 2 ** 20).toFixed(2)} MiB with no client, ${(sum(full) / 2 ** 20).toFixed(2)} MiB with ${clients}: ${(growth / clients).toFixed(0)} B per client`);
    console.log('');
    console.log('| bytes per client | objects per client | constructor (node type) |');
    console.log('| ---: | ---: | --- |');
    for (const row of rows) console.log(`| ${(row.bytes / clients).toFixed(0)} | ${(row.count / clients).toFixed(2)} | ${row.key} |`);
    console.log('');
    console.log('The rest: the heap with no client, largest first');
    console.log('');
    console.log('| KiB | objects | constructor (node type) |');
    console.log('| ---: | ---: | --- |');
    const rest = [...empty].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 20);
    for (const [key, value] of rest) console.log(`| ${(value.bytes / 1024).toFixed(0)} | ${value.count} | ${key} |`);
  } finally {
    for (const socket of sockets) socket.destroy();
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
