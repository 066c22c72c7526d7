/**
 * Recent lines on join: a person who joins #logs-error sees the last errors first, marked as
 * history (a `chathistory` BATCH for clients that negotiated `batch`, a marker otherwise), then
 * live lines.
 */
import { Client as IrcClient, type MessageEvent } from 'irc-framework';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogEntry } from '../logs/entry.js';
import { startServer, type RunningServer } from '../server.js';
import { RawClient, until } from './raw-client.js';

const running: RunningServer[] = [];
const ircs: IrcClient[] = [];
const raws: RawClient[] = [];
afterEach(async () => {
  for (const irc of ircs.splice(0)) if (irc.connected) irc.quit('bye');
  await Promise.all(raws.splice(0).map((c) => c.close()));
  await Promise.all(running.splice(0).map((s) => s.close()));
});

const BASE = Date.UTC(2026, 10, 29, 21, 0, 0);
const entry = (i: number, level: LogEntry['level'], service = 'api'): LogEntry => ({ level, service, category: 'GENERAL', message: `event ${i}`, ts: BASE + i * 1000 });

async function start(history: number): Promise<RunningServer> {
  const server = await startServer({ serverName: 'test.local', ircPort: 0, ingestPort: null, demo: false, colour: false, history });
  running.push(server);
  // Before anyone watches: events 0–7, INFO for 2 and 5, ERROR otherwise (1 and 3 from db).
  for (let i = 0; i < 8; i++) server.ingest(entry(i, i % 3 === 2 ? 'INFO' : 'ERROR', i === 1 || i === 3 ? 'db' : 'api'));
  return server;
}

describe('history on join', () => {
  it('replays the last N lines with their original time inside a chathistory batch to irc-framework, then live lines', async () => {
    const server = await start(3);
    const irc = new IrcClient();
    ircs.push(irc);
    const got: MessageEvent[] = [];
    irc.on('privmsg', (event) => got.push(event));
    await new Promise<void>((resolve, reject) => {
      irc.once('registered', resolve);
      irc.once('close', () => reject(new Error('closed')));
      irc.connect({ host: '127.0.0.1', port: server.ircPort, nick: 'late', auto_reconnect: false });
    });
    expect(irc.network.cap.enabled).toEqual(expect.arrayContaining(['batch', 'server-time']));
    irc.join('#logs-error');
    await until(() => got.length === 3, 5000, 'the history');
    server.ingest(entry(100, 'FATAL'));
    await until(() => got.length === 4, 5000, 'the live line');

    // Errors were 0, 1, 3, 4, 6, 7: the last three, oldest first, at their own times.
    expect(got.map((e) => e.message)).toEqual(['[ERROR] api: event 4', '[ERROR] api: event 6', '[ERROR] api: event 7', '[FATAL] api: event 100']);
    expect(got.map((e) => e.time)).toEqual([BASE + 4000, BASE + 6000, BASE + 7000, BASE + 100_000]);
    expect(got.slice(0, 3).map((e) => e.batch?.type)).toEqual(['chathistory', 'chathistory', 'chathistory']);
    expect(got[0].batch?.params).toEqual(['#logs-error']);
    expect(got[3].batch).toBeUndefined();
    expect(server.stats().history.replayed).toBe(3);
  });

  it('marks each replayed line and brackets them with notices for a client without batch', async () => {
    const server = await start(20);
    const c = await RawClient.connect(server.ircPort);
    raws.push(c);
    await c.register('plain');
    c.send('JOIN #logs/api/*');
    const lines = await c.barrier();
    const start_ = lines.indexOf(':test.local NOTICE #logs/api/* :*** Last 6 entries of #logs/api/* (history):');
    expect(start_).toBeGreaterThan(lines.findIndex((l) => / 366 plain /.test(l)));
    expect(lines.slice(start_ + 1, start_ + 8)).toEqual([
      ':logcaster!logcaster@test.local PRIVMSG #logs/api/* :[history 21:00:00Z] [ERROR] api: event 0',
      ':logcaster!logcaster@test.local PRIVMSG #logs/api/* :[history 21:00:02Z] [INFO] api: event 2',
      ':logcaster!logcaster@test.local PRIVMSG #logs/api/* :[history 21:00:04Z] [ERROR] api: event 4',
      ':logcaster!logcaster@test.local PRIVMSG #logs/api/* :[history 21:00:05Z] [INFO] api: event 5',
      ':logcaster!logcaster@test.local PRIVMSG #logs/api/* :[history 21:00:06Z] [ERROR] api: event 6',
      ':logcaster!logcaster@test.local PRIVMSG #logs/api/* :[history 21:00:07Z] [ERROR] api: event 7',
      ':test.local NOTICE #logs/api/* :*** End of history; live lines follow',
    ]);
    server.ingest(entry(9, 'WARNING'));
    expect(await c.waitFor(/event 9/)).toBe(':logcaster!logcaster@test.local PRIVMSG #logs/api/* :[WARNING] api: event 9');
  });

  it('replays nothing with --history 0', async () => {
    const server = await start(0);
    const c = await RawClient.connect(server.ircPort);
    raws.push(c);
    await c.register('none');
    c.send('JOIN #logs-error');
    const lines = await c.barrier();
    expect(lines.filter((l) => / PRIVMSG | NOTICE #/.test(l))).toEqual([]);
  });

  it('keeps its memory bounded and counted however many entries pass', async () => {
    const server = await start(5);
    for (let i = 0; i < 20_000; i++) server.ingest({ ...entry(i, 'ERROR', `svc${i % 50}`), message: `m${i} ${'x'.repeat(100)}` });
    const { history } = server.stats();
    // Five filtered channels of 5, and one shared ring of 5 × 50 for pattern channels.
    expect(history.entries).toBeLessThanOrEqual(5 * 5 + 250);
    expect(history.evicted).toBeGreaterThan(20_000);
    expect(history.bytes).toBeGreaterThan(0);
    expect(history.bytes).toBeLessThan(300 * 1024);
    const metrics = await import('../http/metrics.js');
    expect(metrics.ircMetrics(server.stats())).toMatch(/^logcaster_history_entries \d+$/m);
  });
});
