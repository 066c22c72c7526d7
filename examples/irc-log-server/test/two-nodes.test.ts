import { fork, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeWithRedis, startRedisServer, type RedisServer } from '../../../test/helpers/redis-server.js';
import { RawClient, until } from './raw-client.js';

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
    const common = ['--http-port', 'off', '--irc-port', '0', '--ingest-port', '0', '--no-demo', '--redis', redis.url];
    const [a, b] = await Promise.all([startNode([...common, '--server-name', 'a.test']), startNode([...common, '--server-name', 'b.test'])]);
    expect(a.ingestPort).not.toBeNull();

    const client = await RawClient.connect(b.ircPort);
    await client.register('watcher');
    client.send('JOIN #logs-error,#logs/payments/*');
    await client.barrier();

    // Node B's bridge subscribes to Redis after the JOIN, asynchronously: Pub/Sub is
    // at-most-once, so an entry sent before that is lost by design. Node A publishes each entry
    // twice (its `logs/…` topic, then `channels/logs-error`), so a SUBSCRIBE landing between the
    // two lets one channel see an entry the other missed: retry until one attempt reaches both.
    const inBoth = (attempt: number): boolean =>
      ['#logs-error', '#logs/payments/*'].every((channel) =>
        client.lines.some((line) => line.includes(`PRIVMSG ${channel} :`) && line.endsWith(`card declined on node A #${attempt}`)),
      );
    let delivered: number | undefined;
    for (let attempt = 0; attempt < 20 && delivered === undefined; attempt++) {
      await sendEntry(a.ingestPort ?? 0, { level: 'ERROR', service: 'payments', category: 'HTTP', message: `card declined on node A #${attempt}` });
      if (await until(() => inBoth(attempt), 500).then(() => true, () => false)) delivered = attempt;
    }
    if (delivered === undefined) console.error(outputs.map((o) => o()).join('\n----\n'));
    expect(delivered).toBeDefined();
    const text = `card declined on node A #${delivered}`;
    const seen = client.lines.filter((line) => line.includes('PRIVMSG #logs-error :') && line.endsWith(text));
    expect(seen[0]).toMatch(/^:logcaster!logcaster@b\.test PRIVMSG #logs-error :.*\[ERROR\].* payments\/http: card declined on node A #\d+$/);
    // Exactly once per channel: no echo doubling through Redis.
    expect(seen).toHaveLength(1);
    expect(client.lines.filter((line) => line.includes('PRIVMSG #logs/payments/* :') && line.endsWith(text))).toHaveLength(1);
    await client.close();
  }, 40_000);
});
