/**
 * Routing by service words (`--database-services`, `--security-services`) and stack traces
 * that arrive one record per line (journald export, Docker json-file, plain text) joined into
 * one entry at the level of their first line, with their service.
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerConfig } from '../config.js';
import type { LogEntry } from '../logs/entry.js';
import { startServer, type RunningServer } from '../server.js';
import { until } from './raw-client.js';

const running: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function server(overrides: Partial<ServerConfig> = {}): Promise<{ server: RunningServer; seen: (channel: string) => LogEntry[] }> {
  const s = await startServer({ serverName: 'test.local', ircPort: 0, ingestPort: 0, demo: false, history: 0, ...overrides });
  running.push(s);
  const published: [string, LogEntry][] = [];
  s.broker.subscribe('channels/#', (entry, topic) => void published.push([topic, entry]));
  return { server: s, seen: (channel) => published.filter(([topic]) => topic === `channels/${channel}`).map(([, entry]) => entry) };
}

/** Writes `lines` on one ingest connection and waits until the server has closed it. */
function send(port: number, lines: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.end(lines.map((l) => `${l}\n`).join('')));
    socket.on('error', reject);
    socket.resume();
    socket.on('close', () => resolve());
  });
}

const line = (service: string, message: string): string => JSON.stringify({ level: 'info', service, message });

describe('service words', () => {
  it('send what people run to #logs-database and #logs-security by its service, whatever the message says', async () => {
    const { server: s, seen } = await server();
    const services = ['postgresql', 'mysqld', 'mariadb', 'redis-server', 'mongod', 'sshd', 'sudo', 'pam-helper', 'auth-api', 'payments', 'oauth-proxy'];
    await send(s.ingestPort ?? 0, services.map((service) => line(service, 'started')));
    await until(() => seen('logs-all').length === services.length, 5000, 'every entry');
    expect(seen('logs-database').map((e) => e.service)).toEqual(['postgresql', 'mysqld', 'mariadb', 'redis-server', 'mongod']);
    expect(seen('logs-security').map((e) => e.service)).toEqual(['sshd', 'sudo', 'pam-helper', 'auth-api']);
  });

  it('are replaced by --database-services and --security-services (the message words still apply)', async () => {
    const { server: s, seen } = await server({ databaseServices: ['clickhouse'], securityServices: ['vault'] });
    await send(s.ingestPort ?? 0, [line('clickhouse-1', 'merge done'), line('postgres', 'vacuum done'), line('vault', 'sealed'), line('sshd', 'listening'), line('api', 'sql timeout')]);
    await until(() => seen('logs-all').length === 5, 5000, 'every entry');
    expect(seen('logs-database').map((e) => e.service)).toEqual(['clickhouse-1', 'api']);
    expect(seen('logs-security').map((e) => e.service)).toEqual(['vault']);
  });
});

describe('stack traces one record per line', () => {
  it('join from journald export (journalctl -o json) at the level of the first line, keeping the service', async () => {
    const { server: s, seen } = await server();
    const record = (message: string, priority: string): string =>
      JSON.stringify({ MESSAGE: message, PRIORITY: priority, SYSLOG_IDENTIFIER: 'billing', __REALTIME_TIMESTAMP: '1795986000000000' });
    await send(s.ingestPort ?? 0, [
      record('Exception in thread "main" java.lang.IllegalStateException: pool exhausted', '3'),
      record('\tat com.example.Pool.take(Pool.java:42)', '6'),
      record('Caused by: java.util.concurrent.TimeoutException', '6'),
      record('\t... 2 more', '6'),
      record('recovered', '6'),
    ]);
    await until(() => seen('logs-all').length === 2, 5000, 'two entries');
    const [trace, next] = seen('logs-all');
    expect(trace).toMatchObject({ level: 'ERROR', service: 'billing' });
    expect(trace.message.split('\n')).toHaveLength(4);
    expect(next).toMatchObject({ level: 'INFO', service: 'billing', message: 'recovered' });
  });

  it('join from Docker json-file and plain text (a Node trace), each keeping its service', async () => {
    const { server: s, seen } = await server();
    const docker = (log: string): string => JSON.stringify({ log: `${log}\n`, stream: 'stderr', time: '2026-11-29T21:00:01.000000000Z' });
    await send(s.ingestPort ?? 0, [docker('Error: connect ECONNREFUSED 10.0.0.5:6379'), docker('    at TCPConnectWrap.afterConnect (node:net:1555:16)'), docker('    at Socket.emit (node:events:519:28)')]);
    await send(s.ingestPort ?? 0, ['WARN cache miss storm', '    at Cache.get (/app/cache.js:10:3)']);
    await until(() => seen('logs-all').length === 2, 5000, 'two entries');
    expect(seen('logs-all').map((e) => [e.level, e.message.split('\n').length])).toEqual([
      ['ERROR', 3],
      ['WARNING', 2],
    ]);
  });
});
