import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SyslogFramer } from './syslog-framer.js';

type Out = [text: string, n: number, truncated: boolean];

function frame(chunks: (string | Buffer)[], max = 1024): Out[] {
  const out: Out[] = [];
  const framer = new SyslogFramer(max, (text, n, truncated) => out.push([text, n, truncated]));
  for (const chunk of chunks) framer.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
  framer.end();
  return out;
}

const counted = (message: string): string => `${Buffer.byteLength(message)} ${message}`;

describe('SyslogFramer (RFC 6587)', () => {
  it('reads octet-counted messages back to back, as logger --octet-count sends them (no LF between)', () => {
    const a = '<38>1 2026-12-05T06:23:54Z vm api - - - Error: boom';
    const b = '<38>1 2026-12-05T06:23:54Z vm api - - -     at f (a.js:1:2)';
    expect(frame([counted(a) + counted(b)])).toEqual([
      [a, 1, false],
      [b, 2, false],
    ]);
  });

  it('keeps a LF inside an octet-counted message (it is part of the text, not a frame end)', () => {
    const m = '<13>1 - vm app - - - line one\n  line two';
    expect(frame([counted(m)]).map(([text]) => text)).toEqual([m]);
  });

  it('reads newline-framed messages, and a line that starts with a number is not taken for a count', () => {
    expect(frame(['<13>Dec  5 06:23:55 vm api: one\n<13>Dec  5 06:23:55 vm api: two\r\n', '404 not found\n12345\n']).map(([text]) => text)).toEqual([
      '<13>Dec  5 06:23:55 vm api: one',
      '<13>Dec  5 06:23:55 vm api: two',
      '404 not found',
      '12345',
    ]);
  });

  it('gives the same messages however the stream is cut, one byte at a time included', () => {
    const stream = counted('<13>1 - h a - - - x y') + '<13>plain line\n' + counted('<14>1 - h b - - - z') + '\n\n' + counted('<15>1 - h c - - - é');
    const whole = frame([stream]);
    expect(whole.map(([text]) => text)).toEqual(['<13>1 - h a - - - x y', '<13>plain line', '<14>1 - h b - - - z', '<15>1 - h c - - - é']);
    const bytes = Buffer.from(stream, 'utf8');
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 12 }), (cuts) => {
        const points = [0, ...cuts.sort((x, y) => x - y), bytes.length];
        const chunks = points.slice(1).map((end, i) => bytes.subarray(points[i], end));
        expect(frame(chunks)).toEqual(whole);
      }),
    );
  });

  it('cuts a message longer than the bound, discards the rest of its bytes, and goes on with the next', () => {
    const long = `<13>1 - h a - - - ${'x'.repeat(200)}`;
    const out = frame([counted(long) + counted('<13>1 - h a - - - next')], 64);
    expect(out).toEqual([
      [long.slice(0, 64), 1, true],
      ['<13>1 - h a - - - next', 2, false],
    ]);
  });

  it('delivers an octet-counted message cut short by the end of the stream as truncated', () => {
    expect(frame(['40 <13>1 - h a - - - short'])).toEqual([['<13>1 - h a - - - short', 1, true]]);
  });
});
