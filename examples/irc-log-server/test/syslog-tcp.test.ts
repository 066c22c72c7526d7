/**
 * Syslog as real senders send it: util-linux `logger` over TCP (`--syslog-tcp-port`) with
 * RFC 6587 octet counting and with newline framing, RFC 5424 and RFC 3164, and over UDP
 * (`--syslog-port`); stack traces sent one message per line join into one entry; facilities
 * auth and authpriv go to #logs-security whatever the severity. Skipped where `logger` is
 * missing (util-linux, Debian package bsdutils).
 */
import { execFile, spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogEntry } from '../logs/entry.js';
import { startServer, type RunningServer } from '../server.js';
import { until } from './raw-client.js';

const running: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

const hasLogger = spawnSync('logger', ['--version']).status === 0;

/** Runs `logger` with `args`, writing `input` (one message per line) to its standard input. */
function logger(args: string[], input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile('logger', args, { timeout: 10_000 }, (error) => (error ? reject(error) : resolve()));
    child.stdin?.end(input);
  });
}

/** A server with both syslog ports, and what reaches each filtered channel. */
async function syslogServer(): Promise<{ server: RunningServer; seen: (channel: string) => LogEntry[] }> {
  const server = await startServer({ serverName: 'test.local', ircPort: 0, ingestPort: null, syslogPort: 0, syslogTcpPort: 0, demo: false, history: 0 });
  running.push(server);
  const published: [string, LogEntry][] = [];
  server.broker.subscribe('channels/#', (entry, topic) => void published.push([topic, entry]));
  return { server, seen: (channel) => published.filter(([topic]) => topic === `channels/${channel}`).map(([, entry]) => entry) };
}

const NODE_TRACE = 'TypeError: Cannot read properties of undefined\n    at handler (/app/server.js:12:7)\n    at process (node:internal/process:1:1)\n';

describe.skipIf(!hasLogger)('syslog from logger', () => {
  it('reads logger --tcp --octet-count (RFC 5424) and joins the stack trace it sends one message per line', async () => {
    const { server, seen } = await syslogServer();
    const tcp = ['-T', '-n', '127.0.0.1', '-P', String(server.syslogTcpPort)];
    await logger([...tcp, '--octet-count', '--rfc5424', '-t', 'api', '-p', 'user.err'], NODE_TRACE);
    await until(() => seen('logs-all').length === 1 && server.stats().ingest.some((s) => s.source === 'syslog-tcp' && s.accepted === 3), 5000, 'the joined trace');
    const [entry] = seen('logs-all');
    expect(entry).toMatchObject({ level: 'ERROR', service: 'api', category: 'USER' });
    expect(entry.message.split('\n')).toEqual(['TypeError: Cannot read properties of undefined', '    at handler (/app/server.js:12:7)', '    at process (node:internal/process:1:1)']);
    expect(server.stats().ingest.find((s) => s.source === 'syslog-tcp')).toMatchObject({ accepted: 3, entries: 1, rejected: 0 });
  });

  it('reads logger --tcp with newline framing (RFC 3164 and RFC 5424), several messages on one connection', async () => {
    const { server, seen } = await syslogServer();
    const tcp = ['-T', '-n', '127.0.0.1', '-P', String(server.syslogTcpPort)];
    await logger([...tcp, '--rfc3164', '-t', 'cron', '-p', 'cron.warning'], 'job slow\njob done\n');
    await logger([...tcp, '--rfc5424', '-t', 'nightly', '-p', 'daemon.err'], '404 pages in the backup index\n');
    await until(() => seen('logs-all').length === 3, 5000, 'three entries');
    expect(seen('logs-all').map((e) => [e.level, e.service, e.category, e.message])).toEqual([
      ['WARNING', 'cron', 'CRON', 'job slow'],
      ['WARNING', 'cron', 'CRON', 'job done'],
      ['ERROR', 'nightly', 'DAEMON', '404 pages in the backup index'],
    ]);
  });

  it('sends facilities auth and authpriv to #logs-security whatever the severity, over TCP and UDP', async () => {
    const { server, seen } = await syslogServer();
    const tcp = ['-T', '--octet-count', '-n', '127.0.0.1', '-P', String(server.syslogTcpPort)];
    const udp = ['-d', '-n', '127.0.0.1', '-P', String(server.syslogPort)];
    await logger([...tcp, '-t', 'login', '-p', 'auth.info'], 'session opened for alice\n');
    await logger([...udp, '-t', 'login', '-p', 'authpriv.debug'], 'session closed for alice\n');
    await logger([...udp, '-t', 'backup', '-p', 'daemon.info'], 'nightly run finished\n');
    await until(() => seen('logs-all').length === 3, 5000, 'three entries');
    expect(seen('logs-security').map((e) => [e.level, e.category, e.message])).toEqual([
      ['INFO', 'AUTH', 'session opened for alice'],
      ['DEBUG', 'AUTHPRIV', 'session closed for alice'],
    ]);
  });

  it('joins a Python traceback sent by logger over UDP, one datagram per line, per sender and service', async () => {
    const { server, seen } = await syslogServer();
    const udp = ['-d', '-n', '127.0.0.1', '-P', String(server.syslogPort), '-p', 'local0.err'];
    const trace = 'Traceback (most recent call last):\n  File "/app/job.py", line 3, in <module>\n    run()\nValueError: bad input\n';
    await logger([...udp, '-t', 'worker'], trace);
    await logger([...udp, '-t', 'other'], 'unrelated line\n');
    await until(() => seen('logs-all').length === 2, 5000, 'two entries');
    const [trace1, other] = seen('logs-all');
    expect(trace1).toMatchObject({ level: 'ERROR', service: 'worker', category: 'LOCAL0' });
    expect(trace1.message.split('\n')).toEqual(['Traceback (most recent call last):', '  File "/app/job.py", line 3, in <module>', '    run()', 'ValueError: bad input']);
    expect(other).toMatchObject({ service: 'other', message: 'unrelated line' });
  });
});
