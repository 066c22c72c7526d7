import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LogEntryError, MAX_MESSAGE_LENGTH, entryFromText, parseLogEntry, type LogEntry } from './entry.js';

const clock = () => 1_700_000_000_000;

function fieldOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(LogEntryError);
    expect((error as LogEntryError).code).toBe('ERR_LOG_ENTRY');
    return (error as LogEntryError).field;
  }
  throw new Error('expected a LogEntryError');
}

describe('parseLogEntry', () => {
  const valid = { level: 'error', service: 'payments', category: 'database', message: 'db down', ts: 1234 };

  it('accepts a full entry, normalising level and category', () => {
    expect(parseLogEntry(valid, clock)).toEqual<LogEntry>({
      level: 'ERROR',
      service: 'payments',
      category: 'DATABASE',
      message: 'db down',
      ts: 1234,
    });
  });

  it('fills in the default category and the current time', () => {
    expect(parseLogEntry({ level: 'INFO', service: 'a', message: '' }, clock)).toEqual<LogEntry>({
      level: 'INFO',
      service: 'a',
      category: 'GENERAL',
      message: '',
      ts: clock(),
    });
  });

  it('reads an ISO 8601 timestamp', () => {
    expect(parseLogEntry({ ...valid, ts: '2026-11-25T05:51:38.123Z' }).ts).toBe(Date.UTC(2026, 10, 25, 5, 51, 38, 123));
  });

  it('ignores fields it does not know', () => {
    expect(parseLogEntry({ ...valid, host: 'web-1' }, clock)).not.toHaveProperty('host');
  });

  it('rejects values that are not objects', () => {
    for (const value of [null, 'x', 1, [], true, undefined]) expect(fieldOf(() => parseLogEntry(value))).toBe('entry');
  });

  it('rejects a missing, non-string or unknown level', () => {
    for (const level of [undefined, 3, 'loud', '']) expect(fieldOf(() => parseLogEntry({ ...valid, level }))).toBe('level');
  });

  it('rejects a service that is missing, empty, too long or could act as a topic level or wildcard', () => {
    for (const service of [undefined, '', 'x'.repeat(65), 'a/b', '*', '#', '$SYS', 'a b', 'é', 'a\r\nQUIT', 7]) {
      expect(fieldOf(() => parseLogEntry({ ...valid, service }))).toBe('service');
    }
    expect(parseLogEntry({ ...valid, service: 'x'.repeat(64) }).service).toHaveLength(64);
    expect(parseLogEntry({ ...valid, service: 'api-gateway_v2.1' }).service).toBe('api-gateway_v2.1');
  });

  it('rejects a category outside the charset', () => {
    for (const category of ['', 'a/b', '+', 'x'.repeat(65), 12]) {
      expect(fieldOf(() => parseLogEntry({ ...valid, category }))).toBe('category');
    }
  });

  it('rejects a missing, non-string or oversized message', () => {
    for (const message of [undefined, 5, { text: 'x' }, 'x'.repeat(MAX_MESSAGE_LENGTH + 1)]) {
      expect(fieldOf(() => parseLogEntry({ ...valid, message }))).toBe('message');
    }
    expect(parseLogEntry({ ...valid, message: 'x'.repeat(MAX_MESSAGE_LENGTH) }).message).toHaveLength(MAX_MESSAGE_LENGTH);
  });

  it('rejects a timestamp that is not a finite number or an ISO date', () => {
    for (const ts of [Number.NaN, Number.POSITIVE_INFINITY, 9e15, 'yesterday', '2026-13-45T00:00:00Z', true, {}]) {
      expect(fieldOf(() => parseLogEntry({ ...valid, ts }))).toBe('ts');
    }
  });

  it('accepts exactly the services made of 1-64 characters of [A-Za-z0-9_.-]', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 70 }), (service) => {
        const expected = /^[A-Za-z0-9_.-]{1,64}$/.test(service);
        let accepted = true;
        try {
          parseLogEntry({ level: 'INFO', service, message: 'm' });
        } catch (error) {
          if (!(error instanceof LogEntryError)) throw error;
          accepted = false;
        }
        expect(accepted).toBe(expected);
      }),
    );
  });
});

describe('entryFromText', () => {
  it('builds an entry from a line with the detected level and the given service', () => {
    expect(entryFromText('[ERROR] db down', 'app', clock)).toEqual<LogEntry>({
      level: 'ERROR',
      service: 'app',
      category: 'GENERAL',
      message: '[ERROR] db down',
      ts: clock(),
    });
  });

  it('cuts an oversized line to the message limit without splitting a surrogate pair', () => {
    const line = `${'x'.repeat(MAX_MESSAGE_LENGTH - 1)}😀tail`;
    const { message } = entryFromText(line, 'app', clock);
    expect(message).toBe('x'.repeat(MAX_MESSAGE_LENGTH - 1));
    expect(entryFromText('y'.repeat(MAX_MESSAGE_LENGTH + 10), 'app').message).toHaveLength(MAX_MESSAGE_LENGTH);
  });

  it('rejects an invalid service name', () => {
    expect(fieldOf(() => entryFromText('x', 'a/b'))).toBe('service');
  });
});
