import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogEntry } from '../entry.js';
import { startJsonLinesSource, type JsonLinesSource, type JsonLinesSourceOptions } from './json-lines.js';
import { LineSplitter } from './line-splitter.js';

interface Reply {
  ok: boolean;
  error: string;
  line: number;
  field?: string;
  dropped?: number;
}

const open: { sources: JsonLinesSource[]; sockets: Socket[] } = { sources: [], sockets: [] };

afterEach(async () => {
  for (const socket of open.sockets) socket.destroy();
  await Promise.all(open.sources.map((source) => source.close()));
  open.sockets = [];
  open.sources = [];
});

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function start(options: Partial<JsonLinesSourceOptions> = {}) {
  const entries: LogEntry[] = [];
  const source = await startJsonLinesSource({ port: 0, sink: (e) => entries.push(e), now: () => 1000, ...options });
  open.sources.push(source);
  return { source, entries };
}

interface Producer {
  socket: Socket;
  replies: Reply[];
  closed: Promise<void>;
  send(text: string | Buffer): Promise<void>;
}

async function producer(source: JsonLinesSource): Promise<Producer> {
  const socket = connect(source.port, '127.0.0.1');
  open.sockets.push(socket);
  socket.on('error', () => undefined); // a refused or reset connection is what some tests expect
  const replies: Reply[] = [];
  const splitter = new LineSplitter(65_536, (line) => replies.push(JSON.parse(line) as Reply));
  socket.on('data', (chunk: Buffer) => splitter.push(chunk));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.setNoDelay(true);
  return {
    socket,
    replies,
    closed,
    send: (text) => new Promise<void>((resolve, reject) => socket.write(text, (error) => (error ? reject(error) : resolve()))),
  };
}

const line = (fields: Record<string, unknown>) => `${JSON.stringify(fields)}\n`;
const entryLine = (message: string, extra: Record<string, unknown> = {}) =>
  line({ level: 'info', service: 'payments', message, ...extra });

describe('startJsonLinesSource', () => {
  it('delivers good lines to the sink in order, LF or CRLF, without replying', async () => {
    const { source, entries } = await start();
    expect(source.host).toBe('127.0.0.1');
    expect(source.port).toBeGreaterThan(0);
    const p = await producer(source);
    await p.send(entryLine('one') + entryLine('two').replace('\n', '\r\n'));
    await p.send(line({ level: 'ERR', service: 'db', category: 'database', message: 'three', ts: '2026-11-25T05:51:38.123Z' }));
    await until(() => entries.length === 3, 'three entries');
    expect(entries).toEqual<LogEntry[]>([
      { level: 'INFO', service: 'payments', category: 'GENERAL', message: 'one', ts: 1000 },
      { level: 'INFO', service: 'payments', category: 'GENERAL', message: 'two', ts: 1000 },
      { level: 'ERROR', service: 'db', category: 'DATABASE', message: 'three', ts: Date.UTC(2026, 10, 25, 5, 51, 38, 123) },
    ]);
    expect(source.stats()).toMatchObject({ connections: 1, accepted: 3, rejected: 0 });
    // A barrier: a bad line's reply arrives after any reply to the earlier lines would have.
    await p.send('{nope\n');
    await until(() => p.replies.length > 0, 'a reply');
    expect(p.replies).toEqual([{ ok: false, error: 'invalid JSON', line: 4 }]);
  });

  it('answers a bad line with an error naming the line, and the next good line still arrives', async () => {
    const { source, entries } = await start();
    const p = await producer(source);
    const other = await producer(source);
    await p.send(`${entryLine('before')}{"level":\n${line({ level: 'loud', service: 'x', message: 'm' })}[1,2]\n${entryLine('after')}`);
    await other.send(entryLine('other connection'));
    await until(() => entries.length === 3 && p.replies.length === 3, 'entries and replies');
    expect(entries.map((e) => e.message).sort()).toEqual(['after', 'before', 'other connection']);
    expect(entries.findIndex((e) => e.message === 'before')).toBeLessThan(entries.findIndex((e) => e.message === 'after'));
    expect(p.replies).toEqual([
      { ok: false, error: 'invalid JSON', line: 2 },
      { ok: false, error: expect.stringContaining('level') as unknown as string, field: 'level', line: 3 },
      { ok: false, error: expect.stringContaining('object') as unknown as string, field: 'entry', line: 4 },
    ]);
    expect(other.replies).toEqual([]);
    expect(source.stats()).toMatchObject({ accepted: 3, rejected: 3, connections: 2 });
  });

  it('reassembles lines written byte by byte, including multi-byte characters', async () => {
    const { source, entries } = await start();
    const p = await producer(source);
    const bytes = Buffer.from(entryLine('héllo 😀 wörld') + entryLine('second'), 'utf8');
    for (const byte of bytes) {
      await p.send(Buffer.from([byte]));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await until(() => entries.length === 2, 'two entries');
    expect(entries.map((e) => e.message)).toEqual(['héllo 😀 wörld', 'second']);
  });

  it('decodes invalid UTF-8 with replacement characters instead of failing', async () => {
    const { source, entries } = await start();
    const p = await producer(source);
    const [head, tail] = entryLine('a#b').split('#');
    await p.send(Buffer.concat([Buffer.from(head), Buffer.from([0xff, 0xc3]), Buffer.from(tail)]));
    await until(() => entries.length === 1, 'one entry');
    expect(entries[0].message).toBe('a\uFFFD\uFFFDb');
  });

  it('rejects a line over maxLineBytes and keeps the connection', async () => {
    const { source, entries } = await start({ maxLineBytes: 128 });
    const p = await producer(source);
    await p.send(entryLine('x'.repeat(500)));
    await p.send(entryLine('fits'));
    await until(() => entries.length === 1 && p.replies.length === 1, 'the reply and the entry');
    expect(p.replies[0]).toMatchObject({ ok: false, error: 'line too long (max 128 bytes)', line: 1 });
    expect(entries[0].message).toBe('fits');
    expect(source.stats().rejected).toBe(1);
  });

  it('takes a last line without LF when the producer closes its side', async () => {
    const { source, entries } = await start();
    const p = await producer(source);
    p.socket.end(entryLine('no newline').trimEnd());
    await until(() => entries.length === 1, 'the entry');
    await p.closed;
    await until(() => source.stats().connections === 0, 'the connection to close');
  });

  it('survives producers that disconnect abruptly in the middle of a line', async () => {
    const { source, entries } = await start();
    const rude = await producer(source);
    await rude.send('{"level":"info","serv');
    rude.socket.resetAndDestroy();
    await until(() => source.stats().connections === 0, 'the reset connection to go');
    const p = await producer(source);
    await p.send(entryLine('still here'));
    await until(() => entries.length === 1, 'the entry');
    expect(entries[0].message).toBe('still here');
  });

  describe('with a token', () => {
    it('accepts entries after a first line carrying the right token', async () => {
      const { source, entries } = await start({ token: 's3cret' });
      const p = await producer(source);
      await p.send(line({ token: 's3cret' }) + entryLine('authorised'));
      await until(() => entries.length === 1, 'the entry');
      expect(p.replies).toEqual([]);
      expect(source.stats().authFailures).toBe(0);
    });

    it.each([
      ['a wrong token', line({ token: 'guess' })],
      ['an entry instead of the token', entryLine('sneaky')],
      ['bad JSON', 'token=s3cret\n'],
    ])('answers %s with an error and closes the connection', async (_case, first) => {
      const { source, entries } = await start({ token: 's3cret' });
      const p = await producer(source);
      await p.send(first + entryLine('after'));
      await p.closed;
      expect(p.replies).toEqual([{ ok: false, error: expect.stringContaining('authentication') as unknown as string, line: 1 }]);
      expect(entries).toEqual([]);
      expect(source.stats()).toMatchObject({ authFailures: 1, accepted: 0 });
    });

    it('closes a connection that does not authenticate in time', async () => {
      const { source } = await start({ token: 's3cret', authTimeoutMs: 20 });
      const p = await producer(source);
      await p.closed;
      expect(p.replies).toEqual([{ ok: false, error: expect.stringContaining('timeout') as unknown as string, line: 0 }]);
      await until(() => source.stats().connections === 0, 'the server side to close');
      expect(source.stats().authFailures).toBe(1);
    });
  });

  it('drops entries over the per-connection rate limit, counts them, and replies at most once per second', async () => {
    let clock = 1000;
    const { source, entries } = await start({ limiter: { capacity: 3, refillPerSecond: 0.001 }, now: () => clock });
    const p = await producer(source);
    const other = await producer(source);
    await p.send(Array.from({ length: 10 }, (_, i) => entryLine(`m${i}`)).join(''));
    await other.send(entryLine('own budget'));
    await until(() => entries.length === 4 && p.replies.length === 1, 'the allowed entries and one reply');
    expect(entries.map((e) => e.message).sort()).toEqual(['m0', 'm1', 'm2', 'own budget']);
    expect(p.replies).toEqual([{ ok: false, error: 'rate limited', dropped: 1, line: 4 }]);
    expect(source.stats().rateLimited).toBe(7);

    clock += 1000;
    await p.send(entryLine('m10') + entryLine('m11'));
    await until(() => p.replies.length === 2 && source.stats().rateLimited === 9, 'a second reply');
    expect(p.replies[1]).toEqual({ ok: false, error: 'rate limited', dropped: 7, line: 11 });
  });

  it('refuses connections past maxConnections with an error line', async () => {
    const { source } = await start({ maxConnections: 1 });
    await producer(source);
    await until(() => source.stats().connections === 1, 'the first connection');
    const second = await producer(source);
    await second.closed;
    expect(second.replies).toEqual([{ ok: false, error: 'too many connections (max 1)', line: 0 }]);
    expect(source.stats()).toMatchObject({ connections: 1, refusedConnections: 1 });
  });

  it('reports a failing sink, answers the producer, and keeps going', async () => {
    const errors: unknown[] = [];
    const entries: string[] = [];
    const { source } = await start({
      sink: (e) => {
        if (e.message === 'boom') throw new Error('sink broke');
        entries.push(e.message);
      },
      onError: (error) => errors.push(error),
    });
    const p = await producer(source);
    await p.send(entryLine('boom') + entryLine('fine'));
    await until(() => entries.length === 1 && p.replies.length === 1, 'the reply and the entry');
    expect(p.replies).toEqual([{ ok: false, error: 'internal error', line: 1 }]);
    expect(errors).toHaveLength(1);
  });

  it('closes cleanly: open connections are ended, the port is released, close() is idempotent', async () => {
    const { source } = await start();
    const a = await producer(source);
    const b = await producer(source);
    await b.send('{"half a line');
    await until(() => source.stats().connections === 2, 'two connections');
    const closing = source.close();
    expect(source.close()).toBe(closing);
    await closing;
    await Promise.all([a.closed, b.closed]);
    expect(source.stats().connections).toBe(0);
    const refused = await new Promise<string>((resolve) => {
      const socket = connect(source.port, '127.0.0.1');
      socket.on('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
  });

  it('reads the other formats too, attributing lines without a service to defaultService', async () => {
    const { source, entries } = await start({ defaultService: 'edge', joinHoldMs: 0 });
    const p = await producer(source);
    await p.send('{"level":40,"time":5,"name":"api","msg":"pino"}\n<11>1 2026-11-29T21:00:00Z h backup - - - disk full\nplain [warn] text\n');
    await until(() => entries.length === 3, 'three entries');
    expect(entries.map((e) => [e.level, e.service, e.message])).toEqual([
      ['WARNING', 'api', 'pino'],
      ['ERROR', 'backup', 'disk full'],
      ['WARNING', 'edge', 'plain [warn] text'],
    ]);
    expect(p.replies).toEqual([]);
  });

  it('answers a producer that closes its side with a summary of its lines', async () => {
    const { source } = await start({ limiter: { capacity: 2, refillPerSecond: 0.001 } });
    const p = await producer(source);
    p.socket.end(entryLine('a') + entryLine('b') + '{bad\n' + entryLine('c') + entryLine('d'));
    await p.closed;
    expect(p.replies.at(-1)).toEqual({ ok: false, summary: { lines: 5, accepted: 2, rateLimited: 3, rejected: 0, unauthorised: 0 } });
    expect(source.stats()).toMatchObject({ accepted: 2, rateLimited: 3, rejected: 0 });
  });

  it('closes a connection idle for idleTimeoutMs with its summary, and counts it', async () => {
    const { source } = await start({ idleTimeoutMs: 30 });
    const p = await producer(source);
    await p.send(entryLine('one'));
    await p.closed;
    expect(p.replies).toEqual([{ ok: true, summary: { lines: 1, accepted: 1, rateLimited: 0, rejected: 0, unauthorised: 0 }, closed: 'idle for 30 ms' }]);
    expect(source.stats().idleClosed).toBe(1);
  });

  it('refuses connections past maxPerAddress from one address while others get in', async () => {
    const { source, entries } = await start({ maxPerAddress: 1, joinHoldMs: 0 });
    await producer(source);
    await until(() => source.stats().connections === 1, 'the first connection');
    const second = await producer(source);
    await second.closed;
    expect(second.replies).toEqual([{ ok: false, error: 'too many connections from your address (max 1)', line: 0 }]);
    const elsewhere = connect({ port: source.port, host: '127.0.0.1', localAddress: '127.0.0.3' });
    open.sockets.push(elsewhere);
    elsewhere.write(entryLine('from 127.0.0.3'));
    await until(() => entries.length === 1, 'the other address entry');
    expect(source.stats()).toMatchObject({ refusedConnections: 1, connections: 2 });
  });

  it('validates its options', async () => {
    const sink = () => undefined;
    await expect(startJsonLinesSource({ sink, port: -1 })).rejects.toThrow(/port/);
    await expect(startJsonLinesSource({ sink, port: 0, maxLineBytes: 10 })).rejects.toThrow(/maxLineBytes/);
    await expect(startJsonLinesSource({ sink, port: 0, token: '' })).rejects.toThrow(/token/);
    await expect(startJsonLinesSource({ sink, port: 0, maxConnections: 0 })).rejects.toThrow(/maxConnections/);
    await expect(startJsonLinesSource({ sink, port: 0, limiter: { capacity: 0 } })).rejects.toThrow(/capacity/);
    await expect(startJsonLinesSource({ sink, port: 0, limiter: { scope: 'host' as 'address' } })).rejects.toThrow(/scope/);
    await expect(startJsonLinesSource({ sink, port: 0, maxPerAddress: 0 })).rejects.toThrow(/maxPerAddress/);
    await expect(startJsonLinesSource({ sink, port: 0, idleTimeoutMs: 0 })).rejects.toThrow(/idleTimeoutMs/);
    await expect(startJsonLinesSource({ sink, port: 0, firstByteTimeoutMs: 0 })).rejects.toThrow(/firstByteTimeoutMs/);
    await expect(startJsonLinesSource({ sink, port: 0, framing: 'octets' as 'syslog' })).rejects.toThrow(/framing/);
    await expect(startJsonLinesSource({ sink, port: 0, defaultService: 'a b' })).rejects.toThrow(/defaultService/);
    await expect(startJsonLinesSource({ sink: undefined as unknown as () => void, port: 0 })).rejects.toThrow(TypeError);
  });
});
