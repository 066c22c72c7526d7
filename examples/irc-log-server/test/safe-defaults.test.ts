/**
 * Safe defaults for the operator: a port opened to other machines without a secret is
 * announced at start, password guessing is refused after a few wrong attempts, and an
 * unregistered connection is closed when its registration timeout is up, not a sweep later.
 */
import { fork } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { exposureWarnings, isLoopback, resolveConfig } from '../config.js';
import { startServer, type RunningServer } from '../server.js';
import { RawClient, until } from './raw-client.js';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));

const running: RunningServer[] = [];
const clients: RawClient[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const client of clients.splice(0)) await client.close();
  await Promise.all(running.splice(0).map((server) => server.close()));
});

describe('ports opened to other machines', () => {
  it('tells loopback addresses from the others', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) expect(isLoopback(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'logs.example.com', '::ffff:10.0.0.1']) expect(isLoopback(host)).toBe(false);
  });

  it('warns about each port bound beyond loopback that anyone reaching it may use', () => {
    expect(exposureWarnings(resolveConfig({ httpPort: 8080, metricsPort: 9464, syslogPort: 5514 }))).toEqual([]);
    const open = resolveConfig({ ircHost: '0.0.0.0', httpHost: '::', httpPort: 8080, ingestHost: '0.0.0.0', syslogPort: 5514, metricsHost: '0.0.0.0', metricsPort: 9464 });
    expect(exposureWarnings(open)).toEqual([
      'the IRC port is bound to 0.0.0.0 without --password: anyone who can reach it may connect, read every log channel and chat',
      'the web viewer is bound to :: without --password: anyone who can reach it may read every log line',
      'the ingest port is bound to 0.0.0.0 without --producer-token: anyone who can reach it may send log entries',
      'the syslog port is bound to 0.0.0.0: syslog has no token, so anyone who can reach it may send log entries',
      '/metrics is bound to 0.0.0.0: no password applies to it, so anyone who can reach it may read the counters',
    ]);
    const secured = exposureWarnings(resolveConfig({ ...open, password: 'p', producerToken: 't', syslogPort: null, metricsPort: null }));
    expect(secured).toEqual([]);
    // A port that is off is not exposed, wherever its host points.
    expect(exposureWarnings(resolveConfig({ httpHost: '0.0.0.0', ingestHost: '0.0.0.0', ingestPort: null }))).toEqual([]);
  });

  it('prints the warning at start, before binding (here the address is not this machine, so the bind fails)', async () => {
    // 192.0.2.1 is TEST-NET-1: no machine has it, the listen fails with EADDRNOTAVAIL, nothing is sent anywhere.
    const child = fork(MAIN, ['--irc-host', '192.0.2.1', '--irc-port', '0', '--ingest-port', 'off', '--http-port', 'off', '--no-demo'], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => void (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => void (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).not.toBe(0);
    expect(output).toContain('irc-log-server: WARNING: the IRC port is bound to 192.0.2.1 without --password');
    expect(output.indexOf('WARNING')).toBeLessThan(output.indexOf('EADDRNOTAVAIL'));
  }, 20_000);
});

/** Connects, sends PASS/NICK/USER, and resolves with every line until the server closes. */
async function attempt(port: number, nick: string, pass: string): Promise<string[]> {
  const client = await RawClient.connect(port);
  clients.push(client);
  client.send(`PASS ${pass}`, `NICK ${nick}`, `USER ${nick} 0 * :${nick}`);
  await Promise.race([client.closed, client.waitFor(/ 001 /).catch(() => undefined)]);
  return client.lines;
}

const TOO_MANY = 'ERROR :Closing Link: 127.0.0.1 (Too many failed password attempts; try again later)';

describe('wrong IRC passwords', () => {
  it('are answered a few times, then the address is refused, even with the right password', async () => {
    const server = await startServer({ ircPort: 0, ingestPort: null, demo: false, password: 'right', passwordAttempts: 3, passwordRetryMs: 60_000 });
    running.push(server);
    for (let i = 0; i < 3; i++) {
      const lines = await attempt(server.ircPort, `guess${i}`, `wrong${i}`);
      expect(lines).toContain(`:logcaster.local 464 guess${i} :Password incorrect`);
      expect(lines.at(-1)).toBe('ERROR :Closing Link: 127.0.0.1 (Bad password)');
    }
    const refused = await attempt(server.ircPort, 'owner', 'right');
    expect(refused).toEqual([TOO_MANY]);
    expect(server.stats()).toMatchObject({ badPasswords: 3, passwordRefusals: 1 });
  });

  it('cannot be guessed in parallel: connections opened before the lock-out are not answered past the attempts', async () => {
    const server = await startServer({ ircPort: 0, ingestPort: null, demo: false, password: 'right', passwordAttempts: 3, passwordRetryMs: 60_000 });
    running.push(server);
    const open = await Promise.all(Array.from({ length: 20 }, () => RawClient.connect(server.ircPort)));
    clients.push(...open);
    await until(() => server.stats().clients === 20, 5000, '20 connections');
    open.forEach((client, i) => client.send(`PASS wrong${i}`, `NICK guess${i}`, `USER g 0 * :g`));
    await Promise.all(open.map((client) => client.closed));
    const answered = open.filter((client) => client.lines.some((line) => / 464 /.test(line)));
    const locked = open.filter((client) => client.lines.at(-1) === TOO_MANY);
    expect(answered).toHaveLength(3);
    expect(locked).toHaveLength(17);
    expect(server.stats()).toMatchObject({ badPasswords: 3, passwordRefusals: 17 });
  });

  it('are allowed again once the next attempt is due', async () => {
    const server = await startServer({ ircPort: 0, ingestPort: null, demo: false, password: 'right', passwordAttempts: 2, passwordRetryMs: 400 });
    running.push(server);
    await attempt(server.ircPort, 'a', 'wrong');
    await attempt(server.ircPort, 'b', 'wrong');
    expect(await attempt(server.ircPort, 'c', 'right')).toEqual([TOO_MANY]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const lines = await attempt(server.ircPort, 'owner', 'right');
    expect(lines[0]).toMatch(/^:logcaster\.local 001 owner /);
  });
});

describe('the registration timeout', () => {
  it('closes an unregistered connection when its own 20 s are up, wherever the PING sweep stands', async () => {
    // Timers are faked (socket I/O is real): the sweep has run 3 s when the socket connects,
    // so a deadline checked by the 5 s sweep would only be seen at 25 s after start, 22 s
    // after the connection.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    const server = await startServer({ ircPort: 0, ingestPort: null, demo: false, registrationTimeoutMs: 20_000, now: () => Date.now() });
    running.push(server);
    await vi.advanceTimersByTimeAsync(3000);
    const socket: Socket = connect({ host: '127.0.0.1', port: server.ircPort });
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const turns = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
    };
    for (let i = 0; i < 5000 && server.stats().clients === 0; i++) await turns(1);
    expect(server.stats().clients).toBe(1);

    await vi.advanceTimersByTimeAsync(19_990);
    await turns(20);
    expect(received).toBe('');
    await vi.advanceTimersByTimeAsync(10);
    for (let i = 0; i < 5000 && !received.includes('\n'); i++) await turns(1);
    expect(received).toBe('ERROR :Closing Link: 127.0.0.1 (Registration timed out)\r\n');
    vi.useRealTimers();
    await closed;
    expect(server.stats().pingTimeouts).toBe(1);
  });
});
