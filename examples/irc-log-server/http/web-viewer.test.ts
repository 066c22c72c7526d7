import { connect } from 'node:net';
import { PubSubBroker } from 'logcaster';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogEntry } from '../logs/entry.js';
import { DEFAULT_CONFIG } from '../config.js';
import { helpText, parseConfig } from '../flags.js';
import { startServer, type RunningServer } from '../server.js';
import { assertSingleLine, sseComment, sseEvent } from './sse.js';
import { SseTestClient } from './sse-test-client.js';
import { startWebViewer, type WebViewer } from './web-viewer.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(overrides: Parameters<typeof startServer>[0] = {}): Promise<RunningServer> {
  const s = await startServer({ ircPort: 0, ingestPort: 0, httpPort: 0, demo: false, ...overrides });
  cleanups.push(() => s.close());
  return s;
}

async function open(port: number, path: string, headers: Record<string, string> = {}): Promise<SseTestClient> {
  const client = await SseTestClient.open(port, path, headers);
  cleanups.push(() => client.close());
  return client;
}

async function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; text: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

function sendJsonLines(port: number, lines: readonly unknown[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => {
      socket.end(lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
    });
    socket.on('error', reject);
    socket.on('close', () => resolve());
  });
}

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('the SSE endpoint', () => {
  it('streams ingested entries in order, one entry event each, after a hello', async () => {
    const s = await server();
    const client = await open(s.httpPort!, '/events?channel=%23logs-all');
    await client.until(() => client.ofType('hello').length === 1, 10_000, 'hello');
    expect(client.status).toBe(200);
    expect(client.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(JSON.parse(client.events[0].data)).toMatchObject({ pattern: 'channels/logs-all', channel: '#logs-all', resumed: false });
    const sent = Array.from({ length: 20 }, (_, i) => ({ level: i % 2 ? 'error' : 'info', service: 'api', category: 'http', message: `line ${i}`, ts: 1_700_000_000_000 + i }));
    await sendJsonLines(s.ingestPort!, sent);
    await client.until(() => client.ofType('entry').length === 20, 10_000, '20 entries');
    expect(client.ofType('entry').map((e) => JSON.parse(e.data))).toEqual(
      sent.map((e, i) => ({ level: i % 2 ? 'ERROR' : 'INFO', service: 'api', category: 'HTTP', message: e.message, ts: e.ts })),
    );
  });

  it('delivers entries with CR, LF, data:, event:, id: and retry: in every field as one event each, fields intact', async () => {
    const s = await server();
    const client = await open(s.httpPort!, '/events?pattern=logs/%23');
    await client.until(() => client.ofType('hello').length === 1);
    const nasty = [
      '\n\ndata: {"forged":true}\n\n',
      '\r\revent: skipped\r\rdata: {"count":999}\r\r',
      '\r\n\r\nid: 42\r\nretry: 1\r\n\r\n',
      'x\ndata: y\revent: hello\r\ndata: z',
      ': comment\n\nevent:entry\ndata:{}\n\n',
      '\u2028\u2029\u0085\0end',
    ];
    // Published straight to the broker, as embedding code could: the service, category and
    // level an ingest port would refuse reach the framing too.
    const entries: LogEntry[] = nasty.map((text, i) => ({
      level: text as LogEntry['level'],
      service: text,
      category: text,
      message: `${text}${i}`,
      ts: i,
    }));
    for (const entry of entries) s.broker.publish('logs/x/ERROR', entry);
    // And through the ingest port, where only the message can carry them.
    await sendJsonLines(s.ingestPort!, nasty.map((message) => ({ level: 'error', service: 'api', message })));
    await client.until(() => client.ofType('entry').length === entries.length + nasty.length, 10_000, 'every entry');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(client.events.map((e) => e.type)).toEqual(['hello', ...Array(entries.length + nasty.length).fill('entry')]);
    const received = client.ofType('entry').map((e) => JSON.parse(e.data));
    expect(received.slice(0, entries.length)).toEqual(entries);
    expect(received.slice(entries.length).map((e) => e.message)).toEqual(nasty);
    // Ids come from the server, never from input: digits, increasing.
    const ids = client.ofType('entry').map((e) => e.lastEventId);
    expect(ids.every((id) => /^\d+$/.test(id))).toBe(true);
    expect(ids.map(Number)).toEqual([...ids.map(Number)].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    expect(client.retries).toEqual([2000]);
    // No data line ever holds a raw line break: every entry event is exactly its event, id and data lines.
    const chunks = client.body.split('\n\n').filter((chunk) => chunk.startsWith('event: entry'));
    expect(chunks).toHaveLength(entries.length + nasty.length);
    expect(chunks.every((chunk) => /^event: entry\nid: \d+\ndata: [^\r\n]*$/.test(chunk))).toBe(true);
  });

  it('refuses an unknown channel or a pattern outside logs/ with 400 and says why', async () => {
    const s = await server();
    const bad = await get(s.httpPort!, '/events?channel=%23nope');
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('no such channel "#nope"');
    expect((await get(s.httpPort!, '/events?pattern=channels/%23')).text).toContain('pattern must start with logs/');
    expect((await get(s.httpPort!, '/events?pattern=logs/a%2Bb')).status).toBe(400);
    expect((await get(s.httpPort!, '/events?pattern=logs/%23/x')).text).toContain('bad pattern');
    const resolved = await get(s.httpPort!, '/resolve?pattern=logs/Payments/warning');
    expect(JSON.parse(resolved.text)).toEqual({ pattern: 'logs/payments/WARNING', channel: null });
    expect(JSON.parse((await get(s.httpPort!, '/resolve?channel=%23logs/API/error')).text)).toEqual({ pattern: 'logs/api/ERROR', channel: '#logs/api/ERROR' });
  });

  it('ends the broker subscription when the browser goes away', async () => {
    const s = await server();
    const before = s.broker.stats().subscriptions;
    const client = await open(s.httpPort!, '/events');
    await client.until(() => client.ofType('hello').length === 1);
    expect(s.broker.stats().subscriptions).toBe(before + 1);
    expect(s.web!.stats().viewers).toBe(1);
    client.close();
    await expect.poll(() => s.web!.stats().viewers).toBe(0);
    expect(s.broker.stats().subscriptions).toBe(before);
  });

  it('answers only requests addressed to a loopback name when bound to loopback', async () => {
    const s = await server();
    const rebound = await open(s.httpPort!, '/', { Host: 'attacker.example' });
    await rebound.until(() => rebound.status !== 0);
    expect(rebound.status).toBe(421);
    const local = await open(s.httpPort!, '/channels', { Host: `localhost:${s.httpPort!}` });
    await local.until(() => local.status !== 0);
    expect(local.status).toBe(200);
  });

  it('serves the page with a Content-Security-Policy that allows only its own inline code', async () => {
    const s = await server();
    const page = await get(s.httpPort!, '/');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<title>logcaster');
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'; style-src 'sha256-/);
    expect((await get(s.httpPort!, '/nope')).status).toBe(404);
  });
});

describe('the password', () => {
  it('protects the page, the channel list and the stream; Basic, Bearer and ?token= all work', async () => {
    const s = await server({ password: 's3cret' });
    const port = s.httpPort!;
    const denied = await get(port, '/');
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect((await get(port, '/channels')).status).toBe(401);
    expect((await get(port, '/events')).status).toBe(401);
    expect((await get(port, '/', { Authorization: basic('me', 'wrong') })).status).toBe(401);
    expect((await get(port, '/?token=s3cre')).status).toBe(401);
    expect((await get(port, '/', { Authorization: basic('anyone', 's3cret') })).status).toBe(200);
    expect((await get(port, '/channels', { Authorization: 'Bearer s3cret' })).status).toBe(200);
    expect((await get(port, '/channels?token=s3cret')).status).toBe(200);
    const client = await open(port, '/events?token=s3cret&channel=%23logs-error');
    await client.until(() => client.ofType('hello').length === 1);
    expect(s.web!.stats().unauthorized).toBe(5);
  });
});

describe('a viewer that stops reading', () => {
  it('is bounded by its queue, loses the oldest lines, and is told how many fell out, where', async () => {
    const broker = new PubSubBroker<LogEntry>();
    const viewer: WebViewer = await startWebViewer({ port: 0, broker, queueLines: 50 });
    cleanups.push(() => broker.close());
    cleanups.push(() => viewer.close());
    const slow = await open(viewer.port, '/events?pattern=logs/%23');
    const reader = await open(viewer.port, '/events?pattern=logs/%23');
    await slow.until(() => slow.ofType('hello').length === 1);
    await reader.until(() => reader.ofType('hello').length === 1);
    slow.pause();

    // 16 MiB in 4 KiB entries: far beyond what the socket buffers of a loopback connection hold.
    const total = 4000;
    const filler = 'x'.repeat(4096);
    let maxPending = 0;
    for (let i = 0; i < total; i++) {
      broker.publish('logs/bench/INFO', { level: 'INFO', service: 'bench', category: 'GENERAL', message: `${i} ${filler}`, ts: i });
      if (i % 20 === 19) {
        await new Promise((resolve) => setImmediate(resolve));
        maxPending = Math.max(maxPending, viewer.stats().maxPending);
      }
    }
    const seq = (e: { data: string }): number => Number((JSON.parse(e.data) as LogEntry).message.split(' ')[0]);
    const last = (c: SseTestClient): number => (c.ofType('entry').length === 0 ? -1 : seq(c.ofType('entry').at(-1)!));
    // Drop-oldest never drops the newest line: both viewers end on it.
    await reader.until(() => last(reader) === total - 1, 20_000, 'the reading viewer to get the last line');
    // The queue's 50, plus the one line whose write waits for 'drain' (the broker counts an
    // async handler call in flight as pending).
    expect(maxPending).toBeLessThanOrEqual(51);
    expect(viewer.stats().maxPending).toBeLessThanOrEqual(51);
    expect(viewer.stats().linesSkipped).toBeGreaterThan(1000);

    slow.resume();
    await slow.until(() => last(slow) === total - 1, 20_000, 'the slow viewer to catch up');
    const skippedTotal = (c: SseTestClient): number => c.ofType('skipped').reduce((sum, e) => sum + (JSON.parse(e.data) as { count: number }).count, 0);
    for (const client of [slow, reader]) {
      // Every line is either received or announced as skipped, never both, never lost silently,
      // and each `skipped` sits exactly where its lines are missing.
      expect(client.ofType('entry').length + skippedTotal(client)).toBe(total);
      let expected = 0;
      for (const event of client.events.slice(1)) {
        if (event.type === 'skipped') expected += (JSON.parse(event.data) as { count: number }).count;
        else expect(seq(event)).toBe(expected++);
      }
    }
    expect(skippedTotal(slow)).toBeGreaterThan(1000);
    expect(skippedTotal(slow) + skippedTotal(reader)).toBe(viewer.stats().linesSkipped);
  }, 45_000);

  it('refuses streams past maxViewers with 503', async () => {
    const broker = new PubSubBroker<LogEntry>();
    const viewer = await startWebViewer({ port: 0, broker, maxViewers: 1 });
    cleanups.push(() => broker.close());
    cleanups.push(() => viewer.close());
    const first = await open(viewer.port, '/events');
    await first.until(() => first.ofType('hello').length === 1);
    expect((await get(viewer.port, '/events')).status).toBe(503);
    expect(viewer.stats().refused).toBe(1);
  });
});

describe('/metrics', () => {
  it('counts web viewers, lines sent and lines skipped', async () => {
    const s = await server({ metricsPort: 0 });
    const client = await open(s.httpPort!, '/events');
    await client.until(() => client.ofType('hello').length === 1);
    s.ingest({ level: 'INFO', service: 'api', category: 'GENERAL', message: 'hi', ts: 1 });
    await client.until(() => client.ofType('entry').length === 1);
    const text = (await get(s.metricsPort!, '/metrics')).text;
    expect(text).toMatch(/^logcaster_web_viewers 1$/m);
    expect(text).toMatch(/^logcaster_web_lines_sent_total 1$/m);
    expect(text).toMatch(/^logcaster_web_lines_skipped_total 0$/m);
    expect(text).toMatch(/^logcaster_irc_lines_in_total 1$/m);
  });
});

describe('--http-port and --http-host', () => {
  it('open the viewer on 127.0.0.1:8080 from the command line, and never from startServer() unless asked', () => {
    expect(parseConfig([], {}).config).toMatchObject({ httpPort: 8080, httpHost: '127.0.0.1' });
    expect(DEFAULT_CONFIG.httpPort).toBeNull();
    expect(parseConfig(['--http-port', 'off'], {}).config.httpPort).toBeNull();
    expect(parseConfig([], { LOGCASTER_HTTP_PORT: '9090', LOGCASTER_HTTP_HOST: '0.0.0.0' }).config).toMatchObject({ httpPort: 9090, httpHost: '0.0.0.0' });
    expect(() => parseConfig(['--http-port', '70000'], {})).toThrow(/httpPort must be an integer in \[0, 65535\] \(got 70000\)/);
    expect(helpText).toMatch(/--http-port <port\|off>\s+.*\(default 8080\)\s+\[LOGCASTER_HTTP_PORT\]/);
  });
});

describe('SSE frames', () => {
  it('are one event line, an optional numeric id and one JSON data line', () => {
    expect(sseEvent('skipped', { count: 3, total: 5 })).toBe('event: skipped\ndata: {"count":3,"total":5}\n\n');
    expect(sseEvent('entry', { message: 'a\r\nb' }, 7)).toBe('event: entry\nid: 7\ndata: {"message":"a\\r\\nb"}\n\n');
    expect(() => sseEvent('entry', {}, -1)).toThrow(RangeError);
    expect(() => sseEvent('entry', {}, 1.5)).toThrow(/id must be a non-negative safe integer \(got 1.5\)/);
  });

  it('refuse CR or LF where JSON cannot escape them', () => {
    expect(() => sseComment('a\nb')).toThrow(/comment must not contain CR or LF/);
    expect(() => assertSingleLine('a\rb', 'data')).toThrow(/data must not contain CR or LF/);
    expect(assertSingleLine('a\u2028b', 'data')).toBe('a\u2028b');
  });
});
