import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHAT_PRIORITY, PROTECTED_PRIORITY } from '../irc/client.js';
import { LOG_LEVELS, detectLevel, levelRank, normalizeLevel } from './level.js';

describe('levels', () => {
  it('ranks levels from TRACE 0 to FATAL 7 in LOG_LEVELS order', () => {
    expect(LOG_LEVELS.map(levelRank)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(levelRank('ERROR')).toBeGreaterThan(levelRank('WARNING'));
  });

  it('normalises level names case-insensitively, with aliases', () => {
    for (const level of LOG_LEVELS) {
      expect(normalizeLevel(level.toLowerCase())).toBe(level);
      expect(normalizeLevel(` ${level} `)).toBe(level);
    }
    expect(normalizeLevel('warn')).toBe('WARNING');
    expect(normalizeLevel('Err')).toBe('ERROR');
    expect(normalizeLevel('crit')).toBe('CRITICAL');
    expect(normalizeLevel('emerg')).toBe('FATAL');
    expect(normalizeLevel('PANIC')).toBe('FATAL');
    expect(normalizeLevel('dbg')).toBe('DEBUG');
    expect(normalizeLevel('inf')).toBe('INFO');
  });

  it('returns undefined for names it does not know', () => {
    expect(normalizeLevel('')).toBeUndefined();
    expect(normalizeLevel('loud')).toBeUndefined();
    expect(normalizeLevel('toString')).toBeUndefined();
  });
});

describe('SendQ priorities on the levels\' scale', () => {
  it('protects ERROR and above, and ranks chat as WARNING', () => {
    expect(PROTECTED_PRIORITY).toBe(levelRank('ERROR'));
    expect(CHAT_PRIORITY).toBe(levelRank('WARNING'));
  });
});

describe('detectLevel', () => {
  it.each([
    ['2026-01-02T10:00:00Z ERROR payment failed', 'ERROR'],
    ['WARNING:root:disk almost full', 'WARNING'],
    ['[warn] disk 91% full', 'WARNING'],
    ['<error> upstream closed', 'ERROR'],
    ['(Debug) cache miss', 'DEBUG'],
    ['ts=2026-01-02 level=error msg="db down"', 'ERROR'],
    ['{"time":"x","level":"warn","msg":"slow"}', 'WARNING'],
    ['severity=CRIT something broke', 'CRITICAL'],
    ['E/ActivityManager: ANR in com.example', 'ERROR'],
    ['W/System.err( 1234): stack', 'WARNING'],
    ['01-02 10:00:00.123  1234  1234 D Tag: message', 'DEBUG'],
    ['<3>kernel: oops', 'ERROR'],
    ['<6>started', 'INFO'],
    ['<0>emergency', 'FATAL'],
    ['panic: runtime error: index out of range', 'FATAL'],
    ['Error: connect ECONNREFUSED 127.0.0.1:5432', 'ERROR'],
    ['Traceback (most recent call last):', 'ERROR'],
    ['java.lang.IllegalStateException: boom', 'ERROR'],
    ['FATAL out of memory', 'FATAL'],
    ['NOTICE: relation exists, skipping', 'NOTICE'],
    ['TRACE entering foo()', 'TRACE'],
    ['sshd[812]: error: PAM: Authentication failure', 'ERROR'],
    ['app: warn: cache cold', 'WARNING'],
    ['kernel: <4>[ 12.3] usb 1-1: reset', 'WARNING'],
    ['<134>Nov 29 21:00:00 host app: hi', 'INFO'],
    ['<11>boom', 'ERROR'],
  ] as const)('reads %j as %s', (line, level) => {
    expect(detectLevel(line)).toBe(level);
  });

  it.each([
    'server started on port 8080',
    'no error occurred',
    'disk I/O error rate normal',
    'ERROR_CODE=0',
    'INFORMATION_SCHEMA queried',
    'a <b> tag, and 1<2> 3',
    'the error: was fixed later in a much longer sentence that goes past the eighty character prefix window',
    '',
  ])('defaults %j to INFO', (line) => {
    expect(detectLevel(line)).toBe('INFO');
  });

  it('prefers an explicit level= field over words in the message', () => {
    expect(detectLevel('level=info msg="retrying after ERROR"')).toBe('INFO');
  });

  it('never throws and always returns a known level', () => {
    fc.assert(
      fc.property(fc.string(), (line) => {
        expect(LOG_LEVELS).toContain(detectLevel(line));
      }),
    );
  });
});
