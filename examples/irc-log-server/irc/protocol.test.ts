import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineFramer } from './framer.js';
import { MAX_LINE_BYTES, MAX_TAG_BYTES, formatMessage, parseMessage } from './message.js';
import { foldCase, isValidNick } from './names.js';
import { sanitizeText, truncateUtf8 } from './text.js';

describe('parseMessage', () => {
  it('splits tags, source, command, middle parameters and the trailing parameter', () => {
    const message = parseMessage('@time=2026-01-01T00:00:00.000Z;msgid=a\\sb\\:c :ann!~a@127.0.0.1 privmsg #logs-all :hello  there :)');
    expect(message).toBeDefined();
    expect(Object.fromEntries(message?.tags ?? [])).toEqual({ time: '2026-01-01T00:00:00.000Z', msgid: 'a b;c' });
    expect(message?.source).toBe('ann!~a@127.0.0.1');
    expect(message?.command).toBe('PRIVMSG');
    expect(message?.params).toEqual(['#logs-all', 'hello  there :)']);
  });

  it('treats runs of spaces as one separator and keeps an empty trailing parameter', () => {
    expect(parseMessage('USER  u  0   * :')?.params).toEqual(['u', '0', '*', '']);
    expect(parseMessage('   PING   token  ')?.params).toEqual(['token']);
  });

  it('accepts numerics and rejects lines without a valid command', () => {
    expect(parseMessage(':srv 001 ann :Welcome')?.command).toBe('001');
    expect(parseMessage('')).toBeUndefined();
    expect(parseMessage('@a=b')).toBeUndefined();
    expect(parseMessage(':only-a-source')).toBeUndefined();
    expect(parseMessage('12 x')).toBeUndefined();
    expect(parseMessage('NI!CK x')).toBeUndefined();
  });

  it('unescapes tag values as IRCv3 says, dropping a lone trailing backslash', () => {
    expect(parseMessage('@k=a\\\\b\\r\\n\\x;e;=v PING x')?.tags).toEqual(
      new Map([
        ['k', 'a\\b\r\nx'],
        ['e', ''],
      ]),
    );
    expect(parseMessage('@k=end\\ PING x')?.tags.get('k')).toBe('end');
  });
});

describe('formatMessage', () => {
  it('adds the colon only when the last parameter is empty, has a space or starts with a colon', () => {
    expect(formatMessage({ source: 'srv.local', command: '004', params: ['ann', 'srv.local', 'v1', 'i', 'nt'] })).toBe(
      ':srv.local 004 ann srv.local v1 i nt\r\n',
    );
    expect(formatMessage({ command: 'CAP', params: ['*', 'LIST', ''] })).toBe('CAP * LIST :\r\n');
    expect(formatMessage({ command: 'PRIVMSG', params: ['#c', 'two words'] })).toBe('PRIVMSG #c :two words\r\n');
    expect(formatMessage({ command: 'PRIVMSG', params: ['#c', ':)'] })).toBe('PRIVMSG #c ::)\r\n');
    expect(formatMessage({ command: 'PONG', params: ['srv', 'x'], colon: true })).toBe('PONG srv :x\r\n');
  });

  it('makes middle parameters safe: no spaces, no leading colon, never empty', () => {
    expect(formatMessage({ command: '401', params: ['ann', 'a b', 'No such nick'] })).toBe('401 ann ab :No such nick\r\n');
    expect(formatMessage({ command: '401', params: ['ann', '::x', 'No such nick'] })).toBe('401 ann x :No such nick\r\n');
    expect(formatMessage({ command: '401', params: ['ann', '', 'No such nick'] })).toBe('401 ann * :No such nick\r\n');
  });

  it('removes CR, LF, NUL, CTCP and formatting codes from every parameter and the source', () => {
    const line = formatMessage({
      source: 'evil\r\n:srv 001 x',
      command: 'PRIVMSG',
      params: ['#c\r\nQUIT', 'hi\r\nPRIVMSG #logs-all :fake\0\x01VERSION\x01\x02bold'],
    });
    expect(line.slice(0, -2)).not.toMatch(/[\r\n\0\x01\x02]/);
    expect(line.endsWith('\r\n')).toBe(true);
  });

  it('wraps a CTCP ACTION around sanitised text', () => {
    expect(formatMessage({ command: 'PRIVMSG', params: ['#c', 'waves\x01\r\nQUIT'], action: true })).toBe(
      'PRIVMSG #c :\x01ACTION waves QUIT\x01\r\n',
    );
  });

  it('never emits a line over 512 bytes or a control character, whatever the input', () => {
    fc.assert(
      fc.property(
        fc.option(fc.string({ unit: 'binary', maxLength: 80 }), { nil: undefined }),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }),
        fc.array(fc.string({ unit: 'binary', maxLength: 300 }), { maxLength: 5 }),
        fc.boolean(),
        (source, command, params, action) => {
          const line = formatMessage({ source, command, params, action });
          const bytes = Buffer.from(line, 'utf8');
          expect(bytes.length).toBeLessThanOrEqual(512);
          expect(line.endsWith('\r\n')).toBe(true);
          const body = line.slice(0, -2);
          expect(body).not.toMatch(/[\r\n\0]/);
          // The only \x01 allowed is the ACTION wrapper the server adds itself.
          expect(body.replace(/ :\x01ACTION .*\x01$/s, '')).not.toMatch(/[\x00-\x1f\x7f]/);
        },
      ),
    );
  });

  it('round-trips through parseMessage as the sanitised parameters (reference model)', () => {
    const middleParam = fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 20 });
    fc.assert(
      fc.property(
        fc.constantFrom('PRIVMSG', 'NOTICE', '353', 'JOIN'),
        fc.array(middleParam, { maxLength: 4 }),
        fc.string({ unit: 'grapheme', maxLength: 100 }),
        (command, middles, last) => {
          const parsed = parseMessage(formatMessage({ source: 'srv.local', command, params: [...middles, last] }).slice(0, -2));
          const model = middles.map((m) => {
            const cleaned = sanitizeText(m).replace(/ +/g, '').replace(/^:+/, '');
            return cleaned === '' ? '*' : cleaned;
          });
          model.push(sanitizeText(last));
          expect(parsed?.command).toBe(command);
          expect(parsed?.source).toBe('srv.local');
          expect(parsed?.params).toEqual(model);
        },
      ),
    );
  });
});

describe('truncateUtf8', () => {
  it('keeps the longest prefix that fits without cutting a character or a surrogate pair', () => {
    expect(truncateUtf8('héllo', 2)).toBe('h');
    expect(truncateUtf8('héllo', 3)).toBe('hé');
    expect(truncateUtf8('a😀b', 4)).toBe('a');
    expect(truncateUtf8('a😀b', 5)).toBe('a😀');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.nat(200), (text, max) => {
        const cut = truncateUtf8(text, max);
        expect(text.startsWith(cut)).toBe(true);
        expect(Buffer.byteLength(cut, 'utf8')).toBeLessThanOrEqual(max);
        expect(Buffer.from(cut, 'utf8').toString('utf8')).toBe(cut);
        if (cut.length < text.length) {
          // One more code point would not have fitted.
          const next = String.fromCodePoint(text.codePointAt(cut.length) ?? 0);
          expect(Buffer.byteLength(cut + next, 'utf8')).toBeGreaterThan(max);
        }
      }),
    );
  });
});

/** The framer's reference model: split the whole stream at once. */
function frameAll(stream: Buffer, maxPending: number): { lines: string[]; tooLong: number } {
  const lines: string[] = [];
  let tooLong = 0;
  let start = 0;
  for (let i = 0; i <= stream.length; i++) {
    if (i < stream.length && stream[i] !== 0x0a && stream[i] !== 0x0d) continue;
    if (i === stream.length) {
      // Unterminated tail: held, not delivered.
      break;
    }
    const line = stream.subarray(start, i);
    start = i + 1;
    if (line.length === 0) continue;
    let rest = line.length;
    let tagsTooLong = false;
    if (line[0] === 0x40) {
      const space = line.indexOf(0x20);
      const tagBytes = space === -1 ? line.length : space + 1;
      tagsTooLong = tagBytes > MAX_TAG_BYTES;
      rest -= tagBytes;
    }
    if (line.length > maxPending || tagsTooLong || rest > MAX_LINE_BYTES) tooLong++;
    else lines.push(line.toString('latin1'));
  }
  return { lines, tooLong };
}

describe('LineFramer', () => {
  it('accepts CRLF, a lone LF and a lone CR as line ends and skips empty lines', () => {
    const lines: string[] = [];
    const framer = new LineFramer({ line: (l) => lines.push(l.toString()), tooLong: () => lines.push('<too long>') });
    framer.push(Buffer.from('NICK a\r\nUSER a 0 * :A\n\n\r\nPING x\rPO'));
    framer.push(Buffer.from('NG y\r\n'));
    expect(lines).toEqual(['NICK a', 'USER a 0 * :A', 'PING x', 'PONG y']);
  });

  it('reassembles a UTF-8 character split across reads', () => {
    const lines: string[] = [];
    const framer = new LineFramer({ line: (l) => lines.push(l.toString('utf8')), tooLong: () => undefined });
    const bytes = Buffer.from('PRIVMSG #c :héllo 😀\r\n', 'utf8');
    for (let i = 0; i < bytes.length; i++) framer.push(bytes.subarray(i, i + 1));
    expect(lines).toEqual(['PRIVMSG #c :héllo 😀']);
  });

  it('reports a line over 510 bytes (tags aside) as too long, and a tagged line within budget as fine', () => {
    const events: string[] = [];
    const framer = new LineFramer({ line: () => events.push('line'), tooLong: () => events.push('too long') });
    framer.push(Buffer.from(`PRIVMSG #c :${'x'.repeat(510 - 12)}\r\n`));
    framer.push(Buffer.from(`PRIVMSG #c :${'x'.repeat(511 - 12)}\r\n`));
    framer.push(Buffer.from(`@${'t'.repeat(4000)} PRIVMSG #c :${'x'.repeat(400)}\r\n`));
    framer.push(Buffer.from(`@${'t'.repeat(4100)} PING x\r\n`));
    expect(events).toEqual(['line', 'too long', 'line', 'too long']);
  });

  it('never holds more than its bound of an unterminated line, and reports the line once it ends', () => {
    const events: string[] = [];
    const framer = new LineFramer({ line: (l) => events.push(l.toString()), tooLong: () => events.push('too long') }, 8192);
    for (let i = 0; i < 100; i++) {
      framer.push(Buffer.alloc(1000, 0x61));
      expect(framer.buffered).toBeLessThanOrEqual(8192);
    }
    framer.push(Buffer.from('\r\nPING ok\r\n'));
    expect(events).toEqual(['too long', 'PING ok']);
  });

  it('gives the same lines however the stream is cut into chunks (reference model)', () => {
    const piece = fc.oneof(
      fc.constantFrom('\r\n', '\n', '\r', ' ', ':', '@', 'PING x', 'PRIVMSG #c :hi'),
      fc.string({ unit: 'binary-ascii', maxLength: 30 }),
      fc.integer({ min: 300, max: 5000 }).map((n) => 'y'.repeat(n)),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 20 }), (pieces, cuts) => {
        const stream = Buffer.from(pieces.join(''), 'latin1');
        const got: string[] = [];
        let tooLong = 0;
        const framer = new LineFramer({ line: (l) => got.push(l.toString('latin1')), tooLong: () => tooLong++ }, 8192);
        let offset = 0;
        for (let c = 0; offset < stream.length; c++) {
          const size = cuts[c % cuts.length];
          framer.push(stream.subarray(offset, offset + size));
          offset += size;
        }
        const model = frameAll(stream, 8192);
        expect(got).toEqual(model.lines);
        expect(tooLong).toBe(model.tooLong);
      }),
    );
  });

  it('refuses a bound too small to hold a legal line', () => {
    expect(() => new LineFramer({ line: () => undefined, tooLong: () => undefined }, 1000)).toThrow(RangeError);
  });
});

describe('nicks and case mapping', () => {
  it('folds only ASCII letters (CASEMAPPING=ascii)', () => {
    expect(foldCase('Ann[X]')).toBe('ann[x]');
    expect(foldCase('ÄBC')).toBe('Äbc');
  });

  it('accepts RFC nicks up to the length limit and rejects the rest', () => {
    for (const nick of ['ann', 'A', '[bot]', '`x', 'a-1', '_', 'x'.repeat(30)]) expect(isValidNick(nick, 30)).toBe(true);
    for (const nick of ['', '*', '1abc', '-a', 'a b', 'a,b', 'a:b', 'x'.repeat(31), 'é', 'a!b', 'a@b', '#c']) {
      expect(isValidNick(nick, 30)).toBe(false);
    }
  });
});
