import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LogEntry } from './entry.js';
import { LOG_LEVELS } from './level.js';
import { IRC_LINE_BYTES, formatServerTime, sanitizeText, splitUtf8 } from '../irc/text.js';
import { formatLogText, renderEntry } from './render.js';

const SOURCE = 'logcaster!logcaster@logcaster.local';
const CHANNEL = '#logs-all';

function entry(message: string, overrides: Partial<LogEntry> = {}): LogEntry {
  return { level: 'ERROR', service: 'payments', category: 'DATABASE', message, ts: Date.UTC(2026, 10, 25, 5, 51, 38, 123), ...overrides };
}

// Characters that matter to IRC, mixed with any code point and lone surrogate halves.
const hazard = fc.constantFrom(
  '\r', '\n', '\r\n', '\t', '\x00', '\x01', '\x02', '\x03', '\x04', '\x07', '\x0F', '\x11', '\x16', '\x1B',
  '\x1D', '\x1E', '\x1F', '\x7F', '\x85', '\u2028', '\u2029', '\uD83D', '\uDE00', ',', '0', '1', '9', 'a', 'F', ' ', ':',
);
const hostileString = (maxLength = 200) =>
  fc.string({ unit: fc.oneof(hazard, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength });

/**
 * A reference for sanitizeText written as three plain loops (formatting codes, then line-break
 * runs, then the remaining controls), to compare the regex implementation against.
 */
function referenceSanitize(s: string): string {
  const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
  const isHex = (c: string | undefined) => c !== undefined && /^[0-9A-Fa-f]$/.test(c);
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\x03') {
      if (isDigit(s[i + 1])) {
        i += isDigit(s[i + 2]) ? 2 : 1;
        if (s[i + 1] === ',' && isDigit(s[i + 2])) i += isDigit(s[i + 3]) ? 3 : 2;
      }
    } else if (c === '\x04') {
      const hex6 = (at: number) => [0, 1, 2, 3, 4, 5].every((k) => isHex(s[at + k]));
      if (hex6(i + 1)) {
        i += 6;
        if (s[i + 1] === ',' && hex6(i + 2)) i += 7;
      }
    } else if (!'\x02\x0F\x11\x16\x1D\x1E\x1F'.includes(c)) out += c;
  }
  let spaced = '';
  for (let i = 0; i < out.length; i++) {
    if ('\r\n\t\u2028\u2029'.includes(out[i])) {
      while (i + 1 < out.length && '\r\n\t\u2028\u2029'.includes(out[i + 1])) i++;
      spaced += ' ';
    } else spaced += out[i];
  }
  let result = '';
  for (let i = 0; i < spaced.length; i++) {
    const code = spaced.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) continue;
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = spaced.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        result += spaced[i] + spaced[i + 1];
        i++;
      } else result += '\uFFFD';
    } else if (code >= 0xdc00 && code <= 0xdfff) result += '\uFFFD';
    else result += spaced[i];
  }
  return result;
}

function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

describe('sanitizeText', () => {
  it.each([
    ['ok\r\nQUIT :bye', 'ok QUIT :bye'],
    ['a\nb\rc', 'a b c'],
    ['a\r\n\t\r\nb', 'a b'],
    ['\x01VERSION\x01', 'VERSION'],
    ['nul\x00byte', 'nulbyte'],
    ['\x0304,12red\x0F plain', 'red plain'],
    ['\x03123', '3'],
    ['\x031,2x', 'x'],
    ['\x03,5', ',5'],
    ['\x04FF0000red\x04', 'red'],
    ['\x02bold\x02 \x1Ditalic\x1D \x1Funder\x1F \x16rev\x16 \x11mono\x11 \x1Estrike\x1E', 'bold italic under rev mono strike'],
    ['bell\x07 esc\x1B[31m del\x7F', 'bell esc[31m del'],
    ['line\u2028sep', 'line sep'],
    ['lone \uD800 half', 'lone \uFFFD half'],
    ['emoji 😀 stays', 'emoji 😀 stays'],
  ])('turns %j into %j', (input, expected) => {
    expect(sanitizeText(input)).toBe(expected);
  });

  it('returns text without hazards unchanged', () => {
    const text = 'plain text: [x] 100% ünïcödé 😀';
    expect(sanitizeText(text)).toBe(text);
  });

  it('agrees with the three-pass reference model on any string', () => {
    fc.assert(
      fc.property(hostileString(), (s) => {
        expect(sanitizeText(s)).toBe(referenceSanitize(s));
      }),
    );
  });

  it('never leaves a control character, DEL or a lone surrogate, and is idempotent', () => {
    fc.assert(
      fc.property(hostileString(), (s) => {
        const clean = sanitizeText(s);
        expect(hasControl(clean)).toBe(false);
        expect(Buffer.from(clean, 'utf8').toString('utf8')).toBe(clean);
        expect(sanitizeText(clean)).toBe(clean);
      }),
    );
  });
});

describe('splitUtf8', () => {
  it('returns [""] for empty text and the text itself when it fits', () => {
    expect(splitUtf8('', 10)).toEqual(['']);
    expect(splitUtf8('abcd', 4)).toEqual(['abcd']);
  });

  it('never splits a multi-byte character or a surrogate pair', () => {
    expect(splitUtf8('ééé', 4)).toEqual(['éé', 'é']);
    expect(splitUtf8('a😀b', 4)).toEqual(['a', '😀', 'b']);
    expect(splitUtf8('a😀b', 5)).toEqual(['a😀', 'b']);
    expect(splitUtf8('😀😀', 7)).toEqual(['😀', '😀']);
  });

  it('prefers to cut after a space near the end of a piece', () => {
    expect(splitUtf8('hello world again', 14)).toEqual(['hello world ', 'again']);
    // A space early in the piece would waste most of it: cut mid-word instead.
    expect(splitUtf8('a bcdefghijklmnop', 8)).toEqual(['a bcdefg', 'hijklmno', 'p']);
  });

  it('rejects a budget that cannot hold every code point', () => {
    expect(() => splitUtf8('x', 3)).toThrow(RangeError);
    expect(() => splitUtf8('x', 4.5)).toThrow(/maxBytes/);
  });

  it('gives pieces that join to the input, fit the budget, are valid UTF-8 and use most of it', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.oneof(fc.constant(' '), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: 300 }),
        fc.integer({ min: 4, max: 64 }),
        (text, maxBytes) => {
          const pieces = splitUtf8(text, maxBytes);
          expect(pieces.join('')).toBe(text);
          for (let i = 0; i < pieces.length; i++) {
            const bytes = Buffer.from(pieces[i], 'utf8');
            expect(bytes.length).toBeLessThanOrEqual(maxBytes);
            expect(bytes.toString('utf8')).toBe(pieces[i]);
            if (i < pieces.length - 1) {
              expect(bytes.length).toBeGreaterThanOrEqual(Math.min(Math.ceil((maxBytes * 3) / 4), maxBytes - 3));
            }
          }
          if (text !== '') expect(pieces.every((p) => p !== '')).toBe(true);
        },
      ),
    );
  });

  it('counts a lone surrogate as the three bytes Buffer writes for it', () => {
    fc.assert(
      fc.property(hostileString(100), fc.integer({ min: 4, max: 20 }), (text, maxBytes) => {
        const pieces = splitUtf8(text, maxBytes);
        expect(pieces.join('')).toBe(text);
        for (const piece of pieces) expect(Buffer.byteLength(piece, 'utf8')).toBeLessThanOrEqual(maxBytes);
      }),
    );
  });
});

describe('formatServerTime and formatLogText', () => {
  it('formats IRCv3 server-time in UTC with milliseconds', () => {
    expect(formatServerTime(Date.UTC(2026, 10, 25, 5, 51, 38, 123))).toBe('2026-11-25T05:51:38.123Z');
    expect(formatServerTime(0)).toBe('1970-01-01T00:00:00.000Z');
  });

  it('writes [LEVEL] service/category: message, leaving out the default category', () => {
    expect(formatLogText(entry('db down'), { colour: false })).toBe('[ERROR] payments/DATABASE: db down');
    expect(formatLogText(entry('hi', { level: 'INFO', category: 'GENERAL' }), { colour: false })).toBe('[INFO] payments: hi');
  });

  it('shows service and category with the case the entry has (issue 14: HTTP stays HTTP)', () => {
    expect(formatLogText(entry('boom', { service: 'Billing-API', category: 'HTTP' }), { colour: false })).toBe('[ERROR] Billing-API/HTTP: boom');
  });

  it('colours the level tag with codes added after sanitising, so producers cannot colour anything', () => {
    const text = formatLogText(entry('\x0304fake red\x03 \x02bold'));
    expect(text).toBe('\x0304[ERROR]\x0F payments/DATABASE: fake red bold');
    for (const level of LOG_LEVELS) {
      const coloured = formatLogText(entry('m', { level }));
      expect(sanitizeText(coloured)).toBe(`[${level}] payments/DATABASE: m`);
    }
  });
});

// How a client reads the bytes: any of CR, LF, NUL ends or breaks a line somewhere.
function clientLines(bytes: Buffer): string[] {
  return bytes
    .toString('utf8')
    .split(/\r\n|\r|\n|\0/)
    .filter((line) => line !== '');
}

describe('renderEntry', () => {
  it('renders a PRIVMSG from the source to the channel, with and without the time tag', () => {
    const [line, ...rest] = renderEntry(entry('db down'), CHANNEL, SOURCE, { colour: false });
    expect(rest).toEqual([]);
    expect(line.plain.toString()).toBe(`:${SOURCE} PRIVMSG ${CHANNEL} :[ERROR] payments/DATABASE: db down\r\n`);
    expect(line.tagged.toString()).toBe(`@time=2026-11-25T05:51:38.123Z ${line.plain.toString()}`);
  });

  it('encodes each line once: plain is a view into the tagged buffer', () => {
    const [line] = renderEntry(entry('x'), CHANNEL, SOURCE);
    expect(line.plain.buffer).toBe(line.tagged.buffer);
    expect(Object.isFrozen(line)).toBe(true);
  });

  it('splits a multi-line message into one line each, skipping blank lines, each with the prefix', () => {
    const lines = renderEntry(entry('first\r\n\n  at second\rthird\u2028fourth\n'), CHANNEL, SOURCE, { colour: false });
    expect(lines.map((l) => l.plain.toString())).toEqual(
      ['first', '  at second', 'third', 'fourth'].map((t) => `:${SOURCE} PRIVMSG ${CHANNEL} :[ERROR] payments/DATABASE: ${t}\r\n`),
    );
  });

  it('still renders one line for an empty message', () => {
    const lines = renderEntry(entry(''), CHANNEL, SOURCE, { colour: false });
    expect(lines.map((l) => l.plain.toString())).toEqual([`:${SOURCE} PRIVMSG ${CHANNEL} :[ERROR] payments/DATABASE: \r\n`]);
  });

  it('splits long messages at UTF-8 boundaries into lines of at most 512 bytes', () => {
    const message = 'é'.repeat(700) + '😀'.repeat(300) + 'x'.repeat(500);
    const lines = renderEntry(entry(message), CHANNEL, SOURCE);
    expect(lines.length).toBeGreaterThan(4);
    const head = `:${SOURCE} PRIVMSG ${CHANNEL} :`;
    let text = '';
    for (const { plain } of lines) {
      expect(plain.length).toBeLessThanOrEqual(IRC_LINE_BYTES);
      const line = plain.toString('utf8');
      expect(Buffer.from(line, 'utf8').equals(plain)).toBe(true);
      expect(line.startsWith(head)).toBe(true);
      text += sanitizeText(line.slice(head.length, -2)).replace('[ERROR] payments/DATABASE: ', '');
    }
    expect(text).toBe(message);
    // The longest lines use the budget: nothing is split much earlier than needed.
    expect(Math.max(...lines.map((l) => l.plain.length))).toBeGreaterThan(IRC_LINE_BYTES - 4);
  });

  it.each([
    '\r\nQUIT :x',
    '\r\nPRIVMSG #logs-all :fake',
    '\x01VERSION\x01',
    'ok\rKILL me',
    'nul\x00:evil!e@x PRIVMSG #logs-all :hi',
    '\n:logcaster!logcaster@logcaster.local PRIVMSG #logs-all :forged\n\x01DCC SEND x\x01',
  ])('turns the injection attempt %j into harmless PRIVMSG lines from the source to the channel', (message) => {
    const lines = renderEntry(entry(message), CHANNEL, SOURCE);
    for (const { plain, tagged } of [...lines]) {
      for (const bytes of [plain, tagged]) {
        const seen = clientLines(bytes);
        expect(seen).toHaveLength(1);
        expect(seen[0]).toMatch(/^(@time=\S+ )?:logcaster!logcaster@logcaster\.local PRIVMSG #logs-all :/);
        expect(seen[0]).not.toContain('\x01');
      }
    }
  });

  it('sanitises the channel and the source too', () => {
    const [line] = renderEntry(entry('m'), '#a\r\nQUIT :x', 'bot\n!x y@h', { colour: false });
    expect(line.plain.toString()).toBe(':bot!xy@h PRIVMSG #aQUIT:x :[ERROR] payments/DATABASE: m\r\n');
    expect(() => renderEntry(entry('m'), '\r\n', SOURCE)).toThrow(/channel/);
    expect(() => renderEntry(entry('m'), CHANNEL, ' ')).toThrow(/source/);
    expect(() => renderEntry(entry('m'), CHANNEL, 'x'.repeat(450))).toThrow(RangeError);
  });

  it('emits only well-formed lines for any message: one CRLF at the end, no other CR, LF or NUL, within 512 bytes', () => {
    const levels = fc.constantFrom(...LOG_LEVELS);
    const names = fc.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/);
    fc.assert(
      fc.property(hostileString(1500), levels, names, names, fc.boolean(), (message, level, service, category, colour) => {
        const e = entry(message, { level, service, category: category.toUpperCase() });
        const lines = renderEntry(e, CHANNEL, SOURCE, { colour });
        const head = `:${SOURCE} PRIVMSG ${CHANNEL} :`;
        const texts: string[] = [];
        for (const { plain, tagged } of lines) {
          expect(plain.length).toBeLessThanOrEqual(IRC_LINE_BYTES);
          expect(tagged.subarray(tagged.length - plain.length).equals(plain)).toBe(true);
          const line = plain.toString('utf8');
          expect(line.endsWith('\r\n')).toBe(true);
          expect(/[\r\n\0]/.test(line.slice(0, -2))).toBe(false);
          expect(line.startsWith(head)).toBe(true);
          const prefix = sanitizeText(formatLogText({ ...e, message: '' }, { colour }));
          const text = sanitizeText(line.slice(head.length, -2));
          expect(text.startsWith(prefix)).toBe(true);
          texts.push(text.slice(prefix.length));
        }
        // Reference: the sanitised non-blank lines of the message, in order, nothing lost.
        const expected = message
          .split(/\r\n|[\r\n\u2028\u2029]/)
          .map(sanitizeText)
          .filter((line) => line.trim() !== '');
        expect(texts.join('')).toBe(expected.join(''));
      }),
      { numRuns: 200 },
    );
  });
});
