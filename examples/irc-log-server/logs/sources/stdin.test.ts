import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { LogEntry } from '../entry.js';
import { LineSplitter } from './line-splitter.js';
import { startStdinSource } from './stdin.js';

describe('LineSplitter', () => {
  function split(chunks: (string | Buffer)[], max = 16): [string, number, boolean][] {
    const out: [string, number, boolean][] = [];
    const splitter = new LineSplitter(max, (line, n, truncated) => out.push([line, n, truncated]));
    for (const chunk of chunks) splitter.push(chunk);
    splitter.end();
    return out;
  }

  it('splits on LF and CRLF, across chunks and byte by byte', () => {
    const expected = [
      ['one', 1, false],
      ['two', 2, false],
      ['', 3, false],
      ['four', 4, false],
    ];
    expect(split(['one\ntwo\r\n\nfour'])).toEqual(expected);
    expect(split([...'one\ntwo\r\n\nfour'])).toEqual(expected);
  });

  it('decodes a UTF-8 character split across chunks, and invalid bytes as U+FFFD', () => {
    const bytes = Buffer.from('é😀\n', 'utf8');
    const chunks = [...bytes].map((b) => Buffer.from([b]));
    expect(split(chunks)).toEqual([['é😀', 1, false]]);
    expect(split([Buffer.from([0x61, 0xff, 0xfe, 0x62, 0x0a])])).toEqual([['a\uFFFD\uFFFDb', 1, false]]);
  });

  it('cuts an oversized line at the bound, keeps memory bounded, and recovers at the next line', () => {
    const lines: [string, number, boolean][] = [];
    const splitter = new LineSplitter(8, (line, n, truncated) => lines.push([line, n, truncated]));
    for (let i = 0; i < 10_000; i++) splitter.push('x');
    expect(splitter.buffered).toBeLessThanOrEqual(9);
    splitter.push('\nok\r\n12345678\r\n');
    expect(lines).toEqual([
      ['xxxxxxxx', 1, true],
      ['ok', 2, false],
      ['12345678', 3, false],
    ]);
  });

  it('rejects a bound that is not a positive integer', () => {
    expect(() => new LineSplitter(0, () => undefined)).toThrow(/maxLineBytes/);
  });
});

describe('startStdinSource', () => {
  it('emits one entry per non-blank line with the detected level, in order', async () => {
    const input = new PassThrough();
    const seen: LogEntry[] = [];
    const source = startStdinSource(input, (e) => seen.push(e), { service: 'app', now: () => 5 });
    input.write('[ERROR] db ');
    input.write('down\r\n\n   \nlevel=warn slow\nlast line without newline');
    input.end();
    await new Promise((resolve) => input.once('end', resolve));
    expect(seen).toEqual<LogEntry[]>([
      { level: 'ERROR', service: 'app', category: 'GENERAL', message: '[ERROR] db down', ts: 5 },
      { level: 'WARNING', service: 'app', category: 'GENERAL', message: 'slow', ts: 5 }, // logfmt: the words after the pairs
      { level: 'INFO', service: 'app', category: 'GENERAL', message: 'last line without newline', ts: 5 },
    ]);
    expect(source.lines).toBe(3);
    source.stop();
  });

  it('stops reading on stop()', () => {
    const input = new PassThrough();
    const seen: LogEntry[] = [];
    const source = startStdinSource(input, (e) => seen.push(e));
    input.write('a\n');
    source.stop();
    source.stop();
    input.write('b\n');
    expect(seen.map((e) => [e.service, e.message])).toEqual([['stdin', 'a']]);
    expect(input.listenerCount('data')).toBe(0);
  });

  it('reports sink and stream errors and keeps going', () => {
    const input = new PassThrough();
    const errors: unknown[] = [];
    let calls = 0;
    const source = startStdinSource(
      input,
      () => {
        calls += 1;
        if (calls === 1) throw new Error('sink broke');
      },
      { onError: (e) => errors.push(e), joinHoldMs: 0 },
    );
    input.write('a\nb\n');
    input.emit('error', new Error('read failed'));
    expect(calls).toBe(2);
    expect(errors.map((e) => (e as Error).message)).toEqual(['sink broke', 'read failed']);
    source.stop();
  });

  it('reads every format, joins a stack trace, counts refused lines, and reports the end once', async () => {
    const input = new PassThrough();
    const seen: LogEntry[] = [];
    const refused: [number, string][] = [];
    const ended: unknown[] = [];
    const source = startStdinSource(input, (e) => seen.push(e), {
      service: 'app',
      now: () => 7,
      onRefused: (n, reason) => refused.push([n, reason]),
      onEnd: (stats) => ended.push(stats),
    });
    input.write('{"level":50,"time":1000,"name":"api","msg":"pino says"}\n');
    input.write('sshd[812]: error: PAM failure\nError: boom\n    at f (a.js:1:1)\n');
    input.write('    at g (b.js:2:2)\n{not json\n');
    input.end('level=warn msg="logfmt says" service=worker');
    await new Promise((resolve) => input.once('end', resolve));
    expect(seen.map((e) => [e.level, e.service, e.message])).toEqual([
      ['ERROR', 'api', 'pino says'],
      ['ERROR', 'app', 'sshd[812]: error: PAM failure'],
      ['ERROR', 'app', 'Error: boom\n    at f (a.js:1:1)\n    at g (b.js:2:2)'],
      ['WARNING', 'worker', 'logfmt says'],
    ]);
    expect(refused).toEqual([[6, 'invalid JSON']]);
    expect(ended).toEqual([expect.objectContaining({ source: 'stdin', accepted: 6, entries: 4, rejected: 1, connections: 0 })]);
    expect(source.ended).toBe(true);
    expect(source.lines).toBe(4);
    source.stop();
  });

  it('rejects an invalid service name up front', () => {
    expect(() => startStdinSource(new PassThrough(), () => undefined, { service: 'a b' })).toThrow(/service/);
  });
});
