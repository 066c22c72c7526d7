/**
 * WORK IN PROGRESS (not run: the file name does not end in .test.ts). Two real processes of
 * main.ts sharing one Redis. Run by hand outside vitest (see .tmp-free steps in the closing
 * note) an entry sent to node A's ingest port reaches a client on node B; under vitest the
 * entry does not arrive, for a reason not found yet. See the session's closing note.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeWithRedis, startRedisServer, type RedisServer } from '../../../test/helpers/redis-server.js';
import { RawClient } from './raw-client.js';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));

interface Ready {
  type: 'ready';
  ircPort: number;
  ingestPort: number | null;
}

const nodes: ChildProcess[] = [];
const outputs: (() => string)[] = [];
afterEach(() => {
  for (const node of nodes.splice(0)) if (node.exitCode === null) node.kill('SIGKILL');
});

/** Starts `npm run demo`'s main.ts as a real process (IPC: it exits when this process goes). */
function startNode(args: string[]): Promise<Ready> {
  const child = fork(MAIN, args, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  nodes.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => void (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => void (output += chunk.toString()));
  outputs.push(() => output);
  return new Promise((resolve, reject) => {
    child.once('message', (message) => resolve(message as Ready));
    child.once('exit', (code) => reject(new Error(`node exited with ${String(code)}: ${output}`)));
  });
}

function sendEntry(port: number, entry: object): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(`${JSON.stringify(entry)}\n`));
    socket.once('error', reject);
    socket.once('close', () => resolve());
  });
}

describeWithRedis('the IRC log server on two nodes sharing one Redis', (binary) => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer(binary);
  });
  afterAll(async () => {
    await redis.close();
  });

  it('shows a log sent to node A to an IRC client connected to node B', async () => {
    const common = ['--irc-port', '0', '--ingest-port', '0', '--no-demo', '--redis', redis.url];
    const [a, b] = await Promise.all([startNode([...common, '--server-name', 'a.test']), startNode([...common, '--server-name', 'b.test'])]);
    expect(a.ingestPort).not.toBeNull();

    const client = await RawClient.connect(b.ircPort);
    await client.register('watcher');
    client.send('JOIN #logs-error,#logs/payments/*');
    await client.barrier();

    // The bridge subscribes to Redis asynchronously after JOIN; retry until the entry arrives.
    const wanted = /PRIVMSG #logs-error :.*card declined on node A/;
    let seen: string | undefined;
    for (let attempt = 0; attempt < 20 && seen === undefined; attempt++) {
      await sendEntry(a.ingestPort ?? 0, { level: 'ERROR', service: 'payments', category: 'HTTP', message: `card declined on node A #${attempt}` });
      seen = await client.waitFor(wanted, 500).catch(() => undefined);
    }
    if (seen === undefined) console.log(outputs.map((o) => o()).join('\n----\n'), redis.url);
    expect(seen).toMatch(/^:logcaster!logcaster@\S+ PRIVMSG #logs-error :.*\[ERROR\] payments\/http: card declined on node A #\d+$/);
    await client.waitFor(/PRIVMSG #logs\/payments\/\* :.*card declined on node A/);
    // Exactly once per channel: no echo doubling through Redis.
    const copies = client.lines.filter((line) => line.includes(seen?.split(' :').at(-1) ?? '') && line.includes('#logs-error'));
    expect(copies).toHaveLength(1);
    await client.close();
  }, 40_000);
});
