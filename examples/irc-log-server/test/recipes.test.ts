/**
 * The README's recipes, run as written with recorded output: `journalctl -f -o json`,
 * `docker logs -f` and a pino app piped into `npm run demo -- --stdin` (main.ts in a child
 * process), and journald JSON sent to the ingest port as `nc` would. An IRC client watching
 * #logs-all checks what a person sees.
 */
import { execFile, fork, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { RawClient, until } from './raw-client.js';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));
const fixture = (name: string): string => readFileSync(new URL(`../logs/formats/fixtures/${name}`, import.meta.url), 'utf8');

interface Ready {
  type: 'ready';
  ircPort: number;
  ingestPort: number | null;
  syslogPort: number | null;
  syslogTcpPort: number | null;
}

const children: ChildProcess[] = [];
const clients: RawClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Starts main.ts with the recipe's flags (plus test ports) and a pipe as its standard input. */
async function serve(recipeFlags: string[]): Promise<{ child: ChildProcess; ready: Ready; output: () => string }> {
  const args = [...recipeFlags, '--irc-port', '0', '--http-port', 'off', '--server-name', 'recipe.test'];
  if (!recipeFlags.includes('--ingest-port')) args.push('--ingest-port', 'off');
  const child = fork(MAIN, args, { execArgv: ['--import', 'tsx'], stdio: ['pipe', 'pipe', 'pipe', 'ipc'] });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('message', (message) => resolve(message as Ready));
    child.once('exit', (code) => reject(new Error(`exited with ${String(code)}: ${output}`)));
  });
  return { child, ready, output: () => output };
}

/** A registered client on #logs-all; `seen()` is the text of each log line, colour codes removed. */
async function watch(port: number): Promise<{ client: RawClient; seen: () => string[] }> {
  const client = await RawClient.connect(port);
  clients.push(client);
  await client.register('watcher');
  client.send('JOIN #logs-all');
  await client.barrier();
  const seen = (): string[] =>
    client.lines
      .filter((line) => line.startsWith(':logcaster!logcaster@recipe.test PRIVMSG #logs-all :'))
      .map((line) => line.slice(line.indexOf(' :') + 2).replace(/\x03\d{0,2}(?:,\d{1,2})?|[\x02\x0F]/g, ''));
  return { client, seen };
}

describe('README recipes', () => {
  it('journalctl -f -o json | npm run demo -- --stdin', async () => {
    const { child, ready, output } = await serve(['--stdin']);
    const { client, seen } = await watch(ready.ircPort);
    child.stdin?.end(fixture('journald.jsonl'));
    await until(() => seen().length === 5, 10_000, 'five journald entries');
    expect(seen()).toEqual([
      '[INFO] systemd/DAEMON: Started nginx.service - A high performance web server and a reverse proxy server.',
      '[ERROR] sshd/AUTHPRIV: error: kex_exchange_identification: Connection closed by remote host',
      '[WARNING] checkout: payment provider slow: 2300 ms',
      '[CRITICAL] kernel/KERN: EXT4-fs error (device sda1): I/O error',
      '[INFO] cron/DAEMON: (root) CMD (run-parts /etc/cron.hourly)',
    ]);
    // Standard input ended: the server says so and keeps serving.
    await until(() => output().includes('standard input ended'), 10_000, 'the end-of-input message');
    expect(output()).toContain('standard input ended after 5 lines (5 entries); still serving IRC');
    await client.barrier();
    expect(child.exitCode).toBeNull();
  });

  it('docker logs -f web 2>&1 | npm run demo -- --stdin --stdin-service web', async () => {
    const { child, ready } = await serve(['--stdin', '--stdin-service', 'web']);
    const { seen } = await watch(ready.ircPort);
    child.stdin?.end(fixture('docker-logs.txt'));
    await until(() => seen().length === 7, 10_000, 'seven lines');
    expect(seen()).toEqual([
      '[INFO] web: Server listening on :3000',
      // The stack trace is one ERROR entry: one IRC line per line, each with the prefix.
      '[ERROR] web: Error: connect ECONNREFUSED 10.0.0.5:6379',
      '[ERROR] web:     at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1607:16)',
      '[ERROR] web:     at Redis.connect (/app/node_modules/ioredis/built/Redis.js:121:19)',
      '[WARNING] api: cache disabled',
      '[WARNING] web: 2026-11-29T21:00:03.500000000Z [warn] disk 91% full on /data',
      '[INFO] web: GET /health 200 1.2ms',
    ]);
  });

  it('node app.js | npm run demo -- --stdin  (pino)', async () => {
    const { child, ready } = await serve(['--stdin']);
    const { seen } = await watch(ready.ircPort);
    child.stdin?.end(fixture('pino.jsonl'));
    await until(() => seen().length >= 13, 10_000, 'the pino lines');
    const text = seen();
    expect(text[0]).toBe('[WARNING] checkout: payment retry 2/3');
    expect(text[1]).toBe('[ERROR] checkout: order 42 failed');
    expect(text[2]).toBe('[ERROR] checkout: Error: connect ECONNREFUSED 127.0.0.1:5432');
    expect(text.slice(-3)).toEqual(['[FATAL] checkout: out of memory', '[INFO] checkout: listening on :8080', '[DEBUG] checkout: cache miss key=user:7']);
  });

  it('journalctl -f -o json | nc 127.0.0.1 5140  (the ingest port reads the same formats)', async () => {
    const { ready } = await serve(['--no-demo', '--ingest-port', '0']);
    const { seen } = await watch(ready.ircPort);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: ready.ingestPort ?? 0 });
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        text += chunk;
      });
      socket.on('error', reject);
      socket.on('close', () => resolve(text));
      socket.end(fixture('journald.jsonl'));
    });
    expect(reply).toBe(''); // all five taken: fire-and-forget, no reply
    await until(() => seen().length === 5, 10_000, 'five journald entries');
    expect(seen()[1]).toBe('[ERROR] sshd/AUTHPRIV: error: kex_exchange_identification: Connection closed by remote host');
  });
});

// util-linux `logger` (installed here; skipped where it is not).
const hasLogger = spawnSync('logger', ['--version']).status === 0;

describe('README recipe: syslog over TCP', () => {
  it.skipIf(!hasLogger)('logger --tcp -n 127.0.0.1 -P 5140 --rfc5424 -t backup -p user.err "backup failed: disk full"', async () => {
    const { ready } = await serve(['--no-demo', '--ingest-port', '0']);
    const { seen } = await watch(ready.ircPort);
    const port = String(ready.ingestPort ?? 0);
    const run = (args: string[]): Promise<void> =>
      new Promise((resolve, reject) => execFile('logger', args, (error) => (error ? reject(error) : resolve())));
    await run(['--tcp', '-n', '127.0.0.1', '-P', port, '--rfc5424', '-t', 'backup', '-p', 'user.err', 'backup failed: disk full']);
    await run(['--tcp', '-n', '127.0.0.1', '-P', port, '-t', 'cron', 'job done']);
    await until(() => seen().length === 2, 10_000, 'two syslog entries');
    expect(seen()).toEqual(['[ERROR] backup/USER: backup failed: disk full', '[NOTICE] cron/USER: job done']);
  });
});

describe('README recipe: the syslog ports', () => {
  it.skipIf(!hasLogger)('npm run demo -- --syslog-port 5514 --syslog-tcp-port 5514, then logger over TCP (octet counting) and UDP', async () => {
    const { ready } = await serve(['--no-demo', '--syslog-port', '0', '--syslog-tcp-port', '0']);
    const { seen } = await watch(ready.ircPort);
    const run = (args: string[]): Promise<void> =>
      new Promise((resolve, reject) => execFile('logger', args, (error) => (error ? reject(error) : resolve())));
    await run(['--tcp', '--octet-count', '-n', '127.0.0.1', '-P', String(ready.syslogTcpPort), '-t', 'sshd', '-p', 'authpriv.notice', 'Accepted publickey for alice']);
    await run(['--udp', '-n', '127.0.0.1', '-P', String(ready.syslogPort), '-t', 'nightly', '-p', 'daemon.warning', 'backup slow']);
    await until(() => seen().length === 2, 10_000, 'two syslog entries');
    expect(seen()).toEqual(['[NOTICE] sshd/AUTHPRIV: Accepted publickey for alice', '[WARNING] nightly/DAEMON: backup slow']);
  });
});
