import { connect } from 'node:net';
import { Client as IrcClient, type MessageEvent } from 'irc-framework';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogEntry } from '../logs/entry.js';
import { levelRank, type LogLevel } from '../logs/level.js';
import { startServer, type RunningServer } from '../server.js';
import { until } from './raw-client.js';

// The network topics every node subscribes to (chat/channels/*, chat/users/*, chat/state: cluster/network-bus.ts).
const CHAT_TOPICS = 3;

const running: RunningServer[] = [];
const clients: IrcClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) if (client.connected) client.quit('test over');
  await Promise.all(running.splice(0).map((server) => server.close()));
});

async function start(): Promise<RunningServer> {
  const server = await startServer({ serverName: 'test.local', ircPort: 0, ingestPort: 0, demo: false, colour: false });
  running.push(server);
  return server;
}

/** A connected, registered irc-framework client that records every PRIVMSG by target. */
async function watcher(server: RunningServer, nick: string): Promise<{ irc: IrcClient; received: Map<string, MessageEvent[]> }> {
  const irc = new IrcClient();
  clients.push(irc);
  const received = new Map<string, MessageEvent[]>();
  irc.on('privmsg', (event) => {
    const list = received.get(event.target) ?? [];
    list.push(event);
    received.set(event.target, list);
  });
  await new Promise<void>((resolve, reject) => {
    irc.once('registered', resolve);
    irc.once('close', () => reject(new Error('closed before registering')));
    irc.connect({ host: '127.0.0.1', port: server.ircPort, nick, username: nick, gecos: 'watcher', auto_reconnect: false });
  });
  return { irc, received };
}

function joined(irc: IrcClient, channel: string): Promise<void> {
  return new Promise((resolve) => {
    irc.on('join', (event) => {
      if (event.nick === irc.user.nick && event.channel.toLowerCase() === channel.toLowerCase()) resolve();
    });
    irc.join(channel);
  });
}

const SERVICES = ['payments', 'auth', 'api', 'db'];
const LEVELS: LogLevel[] = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL', 'FATAL'];

/** A deterministic mix: every service at every level, timestamps one second apart. */
function entries(count: number, base: number): LogEntry[] {
  const out: LogEntry[] = [];
  for (let i = 0; i < count; i++) {
    out.push({
      level: LEVELS[(i * 7) % LEVELS.length],
      service: SERVICES[i % SERVICES.length],
      category: i % 5 === 0 ? 'SECURITY' : 'GENERAL',
      message: `entry ${i}: ${i % 3 === 0 ? 'sql query slow' : 'request served'}`,
      ts: base + i * 1000 + (i % 1000),
    });
  }
  return out;
}

const text = (entry: LogEntry): string =>
  `[${entry.level}] ${entry.service}${entry.category === 'GENERAL' ? '' : `/${entry.category}`}: ${entry.message}`;

describe('the IRC log server with a real IRC client (irc-framework)', () => {
  it('delivers exactly the matching entries, in order, with their @time, to a filtered and a pattern channel', async () => {
    const server = await start();
    const { irc, received } = await watcher(server, 'watcher');
    expect(irc.network.cap.enabled).toContain('server-time');
    await joined(irc, '#logs-error');
    await joined(irc, '#logs/payments/*');

    const all = entries(60, Date.UTC(2026, 0, 2, 3, 4, 5));
    for (const entry of all) server.ingest(entry);
    const marker: LogEntry = { level: 'FATAL', service: 'payments', category: 'GENERAL', message: 'end of test', ts: Date.UTC(2026, 0, 3) };
    server.ingest(marker);

    const expectedErrors = [...all.filter((e) => levelRank(e.level) >= levelRank('ERROR')), marker];
    const expectedPayments = [...all.filter((e) => e.service === 'payments'), marker];
    await until(
      () => (received.get('#logs-error')?.length ?? 0) >= expectedErrors.length && (received.get('#logs/payments/*')?.length ?? 0) >= expectedPayments.length,
      5000,
      'every entry to arrive',
    );
    for (const [channel, expected] of [
      ['#logs-error', expectedErrors],
      ['#logs/payments/*', expectedPayments],
    ] as const) {
      const got = received.get(channel) ?? [];
      expect(got.map((event) => event.message)).toEqual(expected.map(text));
      expect(got.map((event) => event.time)).toEqual(expected.map((entry) => entry.ts));
      expect(new Set(got.map((event) => event.nick))).toEqual(new Set(['logcaster']));
    }
    expect([...received.keys()].sort()).toEqual(['#logs-error', '#logs/payments/*']);
  });

  it('stops delivering a channel after PART, and a reconnecting client gets its nick and channels back', async () => {
    const server = await start();
    const first = await watcher(server, 'ann');
    await joined(first.irc, '#logs-error');
    await joined(first.irc, '#logs/*/ERROR');
    expect(server.stats().brokerSubscriptions).toBe(2 + CHAT_TOPICS);

    await new Promise<void>((resolve) => {
      first.irc.on('part', (event) => {
        if (event.nick === 'ann') resolve();
      });
      first.irc.part('#logs-error');
    });
    expect(server.stats().brokerSubscriptions).toBe(1 + CHAT_TOPICS);
    const entry: LogEntry = { level: 'ERROR', service: 'api', category: 'HTTP', message: 'after part', ts: Date.UTC(2026, 1, 1) };
    server.ingest(entry);
    await until(() => (first.received.get('#logs/*/ERROR')?.length ?? 0) === 1, 5000, 'the pattern channel line');
    expect(first.received.get('#logs-error')).toBeUndefined();

    // Reconnect with the same nick: the old registration is gone, the nick is free again.
    await new Promise<void>((resolve) => {
      first.irc.once('close', resolve);
      first.irc.quit('brb');
    });
    await until(() => server.stats().clients === 0 && server.stats().brokerSubscriptions === CHAT_TOPICS, 5000, 'the old connection to go');
    const second = await watcher(server, 'ann');
    expect(second.irc.user.nick).toBe('ann');
    await joined(second.irc, '#logs-error');
    server.ingest({ ...entry, message: 'after reconnect' });
    // First the channel's history (the entry logged while ann was away), then the live line.
    await until(() => (second.received.get('#logs-error')?.length ?? 0) === 2, 5000, 'the line after reconnecting');
    expect(second.received.get('#logs-error')?.map((e) => e.message)).toEqual(['[ERROR] api/HTTP: after part', '[ERROR] api/HTTP: after reconnect']);
  });

  it('takes entries from the JSON Lines port, answers a bad line with an error, and relays the good ones', async () => {
    const server = await start();
    const { irc, received } = await watcher(server, 'jo');
    await joined(irc, '#logs-database');
    const port = server.ingestPort;
    expect(port).toBeTypeOf('number');
    const producer = connect({ host: '127.0.0.1', port: port ?? 0 });
    let replies = '';
    producer.setEncoding('utf8');
    producer.on('data', (chunk: string) => {
      replies += chunk;
    });
    producer.write('{"level":"warn","service":"db","category":"DATABASE","message":"database replica lag","ts":1767225600000}\n');
    producer.write('{this is not json\n');
    producer.write('{"level":"info","service":"db","message":"no match here"}\n');
    producer.write('{"level":"error","service":"db","message":"SQL deadlock","ts":"2026-01-01T00:00:01.000Z"}\n');
    await until(() => (received.get('#logs-database')?.length ?? 0) === 2 && replies.includes('\n'), 5000, 'both database entries');
    producer.destroy();
    expect(received.get('#logs-database')?.map((e) => e.message)).toEqual(['[WARNING] db/DATABASE: database replica lag', '[ERROR] db: SQL deadlock']);
    expect(received.get('#logs-database')?.map((e) => e.time)).toEqual([1767225600000, 1767225601000]);
    expect(JSON.parse(replies.split('\n')[0])).toMatchObject({ ok: false, line: 2 });
    expect(server.stats().linesIn).toBe(3);
  });

  it('serves the broker metrics and the IRC counters on /metrics in the Prometheus format', async () => {
    const server = await startServer({ serverName: 'test.local', ircPort: 0, ingestPort: null, metricsPort: 0, demo: false });
    running.push(server);
    const { irc } = await watcher(server, 'prom');
    await joined(irc, '#logs-all');
    server.ingest({ level: 'INFO', service: 'api', category: 'GENERAL', message: 'hello', ts: Date.now() });
    const response = await fetch(`http://127.0.0.1:${server.metricsPort ?? 0}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const body = await response.text();
    expect(body).toMatch(/^logcaster_irc_clients 1$/m);
    expect(body).toMatch(/^logcaster_irc_lines_in_total 1$/m);
    expect(body).toMatch(/^logcaster_published_total 2$/m); // logs/api/INFO and channels/logs-all
    expect(body).toMatch(/^logcaster_delivered_total\{pattern="channels\/logs-all"\} 1$/m);
    expect((await fetch(`http://127.0.0.1:${server.metricsPort ?? 0}/other`)).status).toBe(404);
  });

  it('shuts down gracefully: clients get ERROR, then the sockets close', async () => {
    const server = await startServer({ serverName: 'test.local', ircPort: 0, ingestPort: null, demo: false });
    const { irc } = await watcher(server, 'kay');
    const lines: string[] = [];
    irc.on('raw', (event) => {
      if (event.from_server) lines.push(event.line.trimEnd());
    });
    const closed = new Promise<void>((resolve) => irc.once('socket close', resolve));
    await server.close('maintenance');
    await closed;
    expect(lines.at(-1)).toBe('ERROR :Closing Link: 127.0.0.1 (maintenance)');
    expect(server.stats().clients).toBe(0);
  });
});
