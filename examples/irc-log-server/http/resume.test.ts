/**
 * Resuming a web viewer's stream from the history (`Last-Event-ID`), through a raw SSE client
 * that parses the stream the way a browser does (sse-test-client.ts).
 */
import { PubSubBroker } from 'logcaster';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogEntry } from '../logs/entry.js';
import { LogHistory } from '../logs/history.js';
import { startServer, type RunningServer } from '../server.js';
import { SseTestClient, type SseMessage } from './sse-test-client.js';
import { startWebViewer } from './web-viewer.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(overrides: Parameters<typeof startServer>[0] = {}): Promise<RunningServer> {
  const s = await startServer({ ircPort: 0, ingestPort: null, httpPort: 0, demo: false, ...overrides });
  cleanups.push(() => s.close());
  return s;
}

async function open(s: RunningServer, path: string, headers: Record<string, string> = {}): Promise<SseTestClient> {
  const client = await SseTestClient.open(s.httpPort!, path, headers);
  cleanups.push(() => client.close());
  await client.until(() => client.status !== 0 && client.ofType('hello').length === 1, 10_000, 'hello');
  return client;
}

/** Closes `client` as a dropped connection would, and waits until the server has let it go. */
async function drop(s: RunningServer, client: SseTestClient): Promise<void> {
  const before = s.web!.stats().viewers;
  client.close();
  await expect.poll(() => s.web!.stats().viewers).toBe(before - 1);
}

const entry = (service: string, message: string, level: LogEntry['level'] = 'INFO'): LogEntry => ({ level, service, category: 'GENERAL', message, ts: 1_700_000_000_000 });
const hello = (client: SseTestClient): Record<string, unknown> => JSON.parse(client.ofType('hello')[0].data) as Record<string, unknown>;
const messages = (events: readonly SseMessage[]): string[] => events.filter((e) => e.type === 'entry').map((e) => (JSON.parse(e.data) as LogEntry).message);
const ids = (client: SseTestClient): number[] => client.ofType('entry').map((e) => Number(e.lastEventId));
const lastId = (client: SseTestClient): string => client.ofType('entry').at(-1)!.lastEventId;
const range = (from: number, to: number, prefix: string): string[] => Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`);

describe('entry ids', () => {
  it('are digits, increase with every entry, and are the same for an entry on every topic it is published on', () => {
    const broker = new PubSubBroker<LogEntry>();
    const history = new LogHistory({ broker, perChannel: 5, firstId: 100 });
    cleanups.push(() => broker.close());
    const first = entry('api', 'first');
    const second = entry('api', 'second');
    for (const e of [first, second]) {
      broker.publish('logs/api/INFO', e);
      broker.publish('channels/logs-all', e);
    }
    expect(history.idOf(first)).toBe(100);
    expect(history.idOf(second)).toBe(101);
    expect(history.idOf(entry('api', 'never published'))).toBeUndefined();
    expect(history.since('channels/logs-all', 100)).toEqual({ entries: [{ id: 101, entry: second }], lost: 0 });
    expect(history.since('logs/*/INFO', undefined, 1)).toEqual({ entries: [{ id: 101, entry: second }], lost: 0 });
    expect(() => new LogHistory({ broker, firstId: 0 })).toThrow(/firstId must be a positive safe integer \(got 0\)/);
  });
});

describe('resuming with Last-Event-ID', () => {
  it('sends exactly the lines missed while disconnected, in order, then live lines, for a pattern and for a channel', async () => {
    const s = await server();
    for (const [query, service] of [['pattern=logs/api/%23', 'api'], ['channel=%23logs-error', 'db']] as const) {
      const level = service === 'db' ? 'ERROR' : 'INFO';
      const a = await open(s, `/events?${query}`);
      expect(hello(a)).toMatchObject({ resumed: false, backlog: 0 });
      for (let i = 0; i < 10; i++) {
        s.ingest(entry(service, `${service} ${i}`, level));
        s.ingest(entry('other', `other ${i}`, 'DEBUG')); // matches neither
      }
      await a.until(() => a.ofType('entry').length === 10, 10_000, '10 entries');
      const seen = ids(a);
      expect(a.ofType('entry').every((e) => /^\d+$/.test(e.lastEventId))).toBe(true);
      for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]);
      await drop(s, a);

      for (let i = 10; i < 25; i++) s.ingest(entry(service, `${service} ${i}`, level));
      const b = await open(s, `/events?${query}`, { 'Last-Event-ID': lastId(a) });
      expect(hello(b)).toMatchObject({ resumed: true, lastEventId: lastId(a), backlog: 15 });
      await b.until(() => b.ofType('entry').length === 15, 10_000, 'the 15 missed lines');
      for (let i = 25; i < 30; i++) s.ingest(entry(service, `${service} ${i}`, level));
      await b.until(() => b.ofType('entry').length === 20, 10_000, 'the live lines');
      expect(b.events.map((e) => e.type)).toEqual(['hello', ...Array(20).fill('entry')]);
      expect(messages(b.events)).toEqual(range(10, 30, `${service} `));
      expect(ids(b)[0]).toBeGreaterThan(seen.at(-1)!);
      expect(ids(b)).toEqual([...ids(b)].sort((x, y) => x - y));
    }
    expect(s.web!.stats()).toMatchObject({ resumes: 2, resumeGaps: 0, linesReplayed: 30 });
  });

  it('loses nothing and repeats nothing while lines keep arriving across the reconnect', async () => {
    const s = await server({ history: 500 });
    let n = 0; // one numbering for both rounds: the second's backlog holds the first's lines
    for (const query of ['channel=%23logs-all', 'pattern=logs/%23']) {
      let producing = true;
      const producer = (async () => {
        while (producing) {
          for (let i = 0; i < 3; i++) s.ingest(entry('api', `line ${n++}`));
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();
      const a = await open(s, `/events?${query}`);
      await a.until(() => a.ofType('entry').length >= 60, 10_000, 'the first lines');
      a.close(); // mid-stream, as a dropped connection: whatever was parsed is what the browser saw
      const b = await open(s, `/events?${query}`, { 'Last-Event-ID': lastId(a) });
      await b.until(() => b.ofType('entry').length >= 200, 10_000, 'lines after the reconnect');
      producing = false;
      await producer;
      await b.until(() => messages(b.events).at(-1) === `line ${n - 1}`, 10_000, 'the last line');
      expect(b.ofType('skipped')).toEqual([]);
      // The first line of the stream may have been published before `a` subscribed: count from it.
      const all = [...messages(a.events), ...messages(b.events)];
      const start = Number(all[0].split(' ')[1]);
      expect(all).toEqual(range(start, n, 'line '));
      await drop(s, b);
    }
  });

  it('says how many lines the history no longer holds, or that it cannot tell, and replays what it holds', async () => {
    // --history 2: #logs-error keeps its last 2 entries, and remembers the ids of the 2 before.
    const s = await server({ history: 2 });
    const a = await open(s, '/events?channel=%23logs-error');
    s.ingest(entry('api', 'seen', 'ERROR'));
    await a.until(() => a.ofType('entry').length === 1);
    const seen = lastId(a);
    await drop(s, a);
    for (let i = 1; i <= 4; i++) s.ingest(entry('api', `missed ${i}`, 'ERROR'));

    const b = await open(s, '/events?channel=%23logs-error', { 'Last-Event-ID': seen });
    await b.until(() => b.ofType('entry').length === 2);
    expect(hello(b)).toMatchObject({ resumed: true, backlog: 2 });
    expect(b.events.slice(1).map((e) => e.type)).toEqual(['skipped', 'entry', 'entry']);
    expect(JSON.parse(b.ofType('skipped')[0].data)).toEqual({ count: 2, reason: 'history' });
    expect(messages(b.events)).toEqual(['missed 3', 'missed 4']);
    await drop(s, b);

    // One more: the oldest missed id is no longer remembered either.
    s.ingest(entry('api', 'missed 5', 'ERROR'));
    const c = await open(s, '/events?channel=%23logs-error', { 'Last-Event-ID': seen });
    await c.until(() => c.ofType('entry').length === 2);
    expect(JSON.parse(c.ofType('skipped')[0].data)).toEqual({ count: 'unknown', reason: 'history' });
    expect(messages(c.events)).toEqual(['missed 4', 'missed 5']);

    // An id this process never handed out (a browser from before a restart): unknown, and all that is held.
    const d = await open(s, '/events?channel=%23logs-error', { 'Last-Event-ID': '5' });
    await d.until(() => d.ofType('entry').length === 2);
    expect(hello(d)).toMatchObject({ resumed: true, backlog: 2 });
    expect(JSON.parse(d.ofType('skipped')[0].data)).toEqual({ count: 'unknown', reason: 'history' });
    expect(messages(d.events)).toEqual(['missed 4', 'missed 5']);
    expect(s.web!.stats()).toMatchObject({ resumes: 3, resumeGaps: 3, linesReplayed: 6 });
  });

  it('takes only digits as an id: anything else starts a fresh stream and cannot forge an event', async () => {
    const s = await server();
    s.ingest(entry('api', 'held'));
    for (const bad of ['12abc', '-1', '1.5', '99999999999999999', ' ']) {
      const client = await open(s, '/events?channel=%23logs-all', { 'Last-Event-ID': bad });
      expect(hello(client)).toMatchObject({ resumed: false, backlog: 1 });
      await client.until(() => client.ofType('entry').length === 1);
    }
    const forged = '1\r\nevent: skipped\r\ndata: {"count":999}\r\n\r\nid: 7';
    const client = await open(s, `/events?channel=%23logs-all&lastEventId=${encodeURIComponent(forged)}`);
    await client.until(() => client.ofType('entry').length === 1);
    s.ingest(entry('api', 'live'));
    await client.until(() => client.ofType('entry').length === 2);
    expect(client.events.map((e) => e.type)).toEqual(['hello', 'entry', 'entry']);
    expect(hello(client)).toMatchObject({ resumed: false, lastEventId: forged });
    expect(client.body.match(/^id: .*$/gm)?.every((line) => /^id: \d+$/.test(line))).toBe(true);
    expect(s.web!.stats().resumes).toBe(0);
  });
});

describe('a resume longer than the queue', () => {
  it('replays the newest queueLines missed lines and counts the older ones as skipped', async () => {
    const broker = new PubSubBroker<LogEntry>();
    const history = new LogHistory({ broker, perChannel: 20 });
    const viewer = await startWebViewer({ port: 0, broker, history, queueLines: 3 });
    cleanups.push(() => broker.close());
    cleanups.push(() => viewer.close());
    broker.publish('logs/a/INFO', entry('a', 'seen'));
    const since = String(history.idOf(history.since('logs/#', undefined).entries[0].entry));
    for (let i = 0; i < 10; i++) broker.publish('logs/a/INFO', entry('a', `missed ${i}`));
    const client = await SseTestClient.open(viewer.port, '/events?pattern=logs/%23', { 'Last-Event-ID': since });
    cleanups.push(() => client.close());
    await client.until(() => client.ofType('entry').length === 3);
    expect(client.events.map((e) => e.type)).toEqual(['hello', 'skipped', 'entry', 'entry', 'entry']);
    expect(JSON.parse(client.ofType('skipped')[0].data)).toEqual({ count: 7, reason: 'history' });
    expect(messages(client.events)).toEqual(['missed 7', 'missed 8', 'missed 9']);
    expect(viewer.stats()).toMatchObject({ resumes: 1, resumeGaps: 1, linesReplayed: 3 });
  });
});

describe('a fresh stream', () => {
  it('starts with the last --history lines marked as backlog, then live lines', async () => {
    const s = await server({ history: 20 });
    for (let i = 0; i < 30; i++) s.ingest(entry(i % 2 ? 'api' : 'web', `line ${i}`));
    const all = await open(s, '/events?channel=%23logs-all');
    expect(hello(all)).toMatchObject({ resumed: false, lastEventId: null, backlog: 20 });
    const byPattern = await open(s, '/events?pattern=logs/api/INFO');
    expect(hello(byPattern)).toMatchObject({ backlog: 15 });
    s.ingest(entry('api', 'live'));
    await all.until(() => all.ofType('entry').length === 21);
    await byPattern.until(() => byPattern.ofType('entry').length === 16);
    expect(messages(all.events)).toEqual([...range(10, 30, 'line '), 'live']);
    expect(messages(byPattern.events)).toEqual([...range(0, 15, '').map((i) => `line ${2 * Number(i) + 1}`), 'live']);
  });

  it('with --history 0 has no ids, no backlog, and a Last-Event-ID does not resume it', async () => {
    const s = await server({ history: 0 });
    s.ingest(entry('api', 'before'));
    const client = await open(s, '/events?channel=%23logs-all', { 'Last-Event-ID': '1' });
    expect(hello(client)).toMatchObject({ resumed: false, lastEventId: '1', backlog: 0 });
    s.ingest(entry('api', 'after'));
    await client.until(() => client.ofType('entry').length === 1);
    expect(messages(client.events)).toEqual(['after']);
    expect(client.ofType('entry')[0].lastEventId).toBe('');
  });
});

describe('endStreams()', () => {
  it('ends every open stream and keeps serving, so browsers reconnect and resume', async () => {
    const s = await server();
    const a = await open(s, '/events?channel=%23logs-all');
    s.ingest(entry('api', 'one'));
    await a.until(() => a.ofType('entry').length === 1);
    expect(s.web!.endStreams()).toBe(1);
    expect(s.web!.stats().viewers).toBe(0);
    s.ingest(entry('api', 'two'));
    const b = await open(s, '/events?channel=%23logs-all', { 'Last-Event-ID': lastId(a) });
    await b.until(() => b.ofType('entry').length === 1);
    expect(messages(b.events)).toEqual(['two']);
  });
});
