import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import type { LogEntry } from '../entry.js';
import { parseLine, type FormatName } from './index.js';
import { EntryJoiner } from './multiline.js';

// The clock for lines without a timestamp: 2026-11-29T21:30:00Z.
const NOW = Date.UTC(2026, 10, 29, 21, 30);
const ctx = { defaultService: 'app', now: () => NOW };

/** Reads a recorded fixture as a source does: line by line, continuation lines joined. */
function read(file: string): { entries: LogEntry[]; formats: FormatName[] } {
  const entries: LogEntry[] = [];
  const formats: FormatName[] = [];
  const joiner = new EntryJoiner({ emit: (entry) => entries.push(entry), holdMs: 0 });
  for (const line of readFileSync(new URL(`./fixtures/${file}`, import.meta.url), 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const result = parseLine(line, ctx);
    if (!result.ok) throw new Error(`${file}: refused ${JSON.stringify(line)}: ${result.error}`);
    formats.push(result.format);
    joiner.push(result);
  }
  joiner.flush();
  return { entries, formats };
}

/** [level, service, category, first line of the message, ts] of each entry. */
const summary = (entries: LogEntry[]) => entries.map((e) => [e.level, e.service, e.category, e.message.split('\n')[0], e.ts]);

describe('pino (recorded from pino 9)', () => {
  const { entries, formats } = read('pino.jsonl');
  it('maps numeric levels, takes name as the service and time in ms', () => {
    expect(formats.every((f) => f === 'pino')).toBe(true);
    expect(summary(entries)).toEqual([
      ['WARNING', 'checkout', 'GENERAL', 'payment retry 2/3', 1795985942060],
      ['ERROR', 'checkout', 'GENERAL', 'order 42 failed', 1795985942060],
      ['FATAL', 'checkout', 'GENERAL', 'out of memory', 1795985942061],
      ['INFO', 'checkout', 'GENERAL', 'listening on :8080', 1795985942059],
      ['DEBUG', 'checkout', 'GENERAL', 'cache miss key=user:7', 1795985942061],
    ]);
  });
  it('appends err.stack to the message, one frame per line', () => {
    const lines = entries[1].message.split('\n');
    expect(lines[1]).toBe('Error: connect ECONNREFUSED 127.0.0.1:5432');
    expect(lines.slice(2).every((l) => l.startsWith('    at '))).toBe(true);
  });
});

describe('bunyan (recorded from bunyan 1)', () => {
  it('reads numeric levels, name, and ISO time', () => {
    const { entries, formats } = read('bunyan.jsonl');
    expect(new Set(formats)).toEqual(new Set(['pino']));
    expect(summary(entries)).toEqual([
      ['INFO', 'billing', 'GENERAL', 'invoice run started', Date.UTC(2026, 10, 29, 20, 59, 2, 179)],
      ['ERROR', 'billing', 'GENERAL', 'invoice 9 failed', Date.UTC(2026, 10, 29, 20, 59, 2, 179)],
      ['WARNING', 'billing', 'GENERAL', 'slow query 2300ms', Date.UTC(2026, 10, 29, 20, 59, 2, 180)],
    ]);
  });
});

describe('winston JSON (recorded from winston 3)', () => {
  it('maps npm levels, keeps the stack once, and reads a service from defaultMeta', () => {
    const { entries, formats } = read('winston.jsonl');
    expect(formats).toEqual(['winston', 'winston', 'winston', 'winston', 'winston', 'json-lines']);
    expect(summary(entries).map(([level, service, , message]) => [level, service, message])).toEqual([
      ['INFO', 'app', 'user signed in'],
      ['WARNING', 'app', 'password reset requested'],
      ['ERROR', 'app', 'Error: connect ECONNREFUSED 127.0.0.1:5432'],
      ['INFO', 'app', 'GET /health 200'],
      ['DEBUG', 'app', 'config loaded'],
      ['ERROR', 'user-service', 'database unreachable'],
    ]);
    expect(entries[2].message.split('\n').filter((l) => l.includes('ECONNREFUSED'))).toHaveLength(1);
    expect(entries[5].ts).toBe(Date.UTC(2026, 10, 29, 20, 59, 2, 293));
  });
});

describe('journald export (journalctl -o json)', () => {
  it('reads PRIORITY, SYSLOG_IDENTIFIER or the unit, the facility, microsecond time and byte-array messages', () => {
    const { entries, formats } = read('journald.jsonl');
    expect(new Set(formats)).toEqual(new Set(['journald']));
    expect(summary(entries)).toEqual([
      ['INFO', 'systemd', 'DAEMON', 'Started nginx.service - A high performance web server and a reverse proxy server.', 1795986000123],
      ['ERROR', 'sshd', 'AUTHPRIV', 'error: kex_exchange_identification: Connection closed by remote host', 1795986001500],
      ['WARNING', 'checkout', 'GENERAL', 'payment provider slow: 2300 ms', 1795986002000],
      ['CRITICAL', 'kernel', 'KERN', 'EXT4-fs error (device sda1): I/O error', 1795986003250],
      ['INFO', 'cron', 'DAEMON', '(root) CMD (run-parts /etc/cron.hourly)', 1795986004000],
    ]);
  });
});

describe('Docker', () => {
  it('json-file: reads the log text like any line (pino inside included), joins a stack trace, and uses Docker time', () => {
    const { entries, formats } = read('docker-json-file.log');
    expect(new Set(formats)).toEqual(new Set(['docker']));
    expect(summary(entries)).toEqual([
      ['INFO', 'app', 'GENERAL', 'Server listening on :3000', Date.UTC(2026, 10, 29, 21, 0, 0, 123)],
      ['ERROR', 'app', 'GENERAL', 'Error: connect ECONNREFUSED 10.0.0.5:6379', Date.UTC(2026, 10, 29, 21, 0, 1, 0)],
      ['WARNING', 'api', 'GENERAL', 'cache disabled', Date.UTC(2026, 10, 29, 21, 0, 2, 0)],
      ['INFO', 'app', 'GENERAL', 'GET /health 200 1.2ms', Date.UTC(2026, 10, 29, 21, 0, 3, 500)],
    ]);
    expect(entries[1].message.split('\n')).toHaveLength(3);
  });

  it('docker logs -f: plain lines, JSON lines and docker logs -t timestamps', () => {
    const { entries } = read('docker-logs.txt');
    expect(summary(entries)).toEqual([
      ['INFO', 'app', 'GENERAL', 'Server listening on :3000', NOW],
      ['ERROR', 'app', 'GENERAL', 'Error: connect ECONNREFUSED 10.0.0.5:6379', NOW],
      ['WARNING', 'api', 'GENERAL', 'cache disabled', 1795986002000],
      ['WARNING', 'app', 'GENERAL', '2026-11-29T21:00:03.500000000Z [warn] disk 91% full on /data', Date.UTC(2026, 10, 29, 21, 0, 3, 500)],
      ['INFO', 'app', 'GENERAL', 'GET /health 200 1.2ms', NOW],
    ]);
  });
});

describe('Fluent Bit (tail input, json_lines output)', () => {
  it('reads log like a line, date in seconds as the time, and joins a traceback', () => {
    const { entries, formats } = read('fluent-bit.jsonl');
    expect(new Set(formats)).toEqual(new Set(['docker']));
    expect(summary(entries)).toEqual([
      ['WARNING', 'app', 'GENERAL', '2026-11-29 21:00:00,123 WARNING worker: queue depth 1200', 1795986000123],
      ['ERROR', 'app', 'GENERAL', 'Traceback (most recent call last):', 1795986001500],
    ]);
    expect(entries[1].message.split('\n')).toHaveLength(3);
  });
});

describe('logfmt', () => {
  it('reads level, msg, service/app, time, and keeps the other pairs', () => {
    const { entries, formats } = read('logfmt.txt');
    expect(new Set(formats)).toEqual(new Set(['logfmt']));
    expect(summary(entries)).toEqual([
      ['INFO', 'api', 'GENERAL', 'server started port=8080', Date.UTC(2026, 10, 29, 21, 0, 0)],
      ['ERROR', 'api', 'GENERAL', 'db down err="dial tcp 10.0.0.7:5432: connect: connection refused" attempt=3', Date.UTC(2026, 10, 29, 21, 0, 1, 250)],
      ['WARNING', 'worker', 'GENERAL', 'queue depth high depth=1200', 1795986002500],
      ['DEBUG', 'app', 'GENERAL', 'tick', NOW],
      ['INFO', 'app', 'GENERAL', 'path C:\\tmp ok caller=main.go:42', Date.UTC(2026, 10, 29, 21, 0, 4)],
    ]);
  });
});

describe('syslog', () => {
  it('reads RFC 5424, RFC 3164 with and without a host, and file lines without <PRI>', () => {
    const { entries, formats } = read('syslog.txt');
    expect(new Set(formats)).toEqual(new Set(['syslog']));
    expect(summary(entries)).toEqual([
      ['NOTICE', 'nginx', 'LOCAL4', 'upstream timed out (110: Connection timed out)', Date.UTC(2026, 10, 29, 21, 0, 0, 3)],
      ['CRITICAL', 'su', 'AUTH', "'su root' failed for alice on /dev/pts/8", Date.UTC(2026, 10, 29, 21, 0, 1)],
      ['NOTICE', 'logger', 'USER', 'backup finished', Date.UTC(2026, 10, 29, 21, 0, 2)],
      ['ERROR', 'sshd', 'GENERAL', 'error: kex_exchange_identification: Connection closed by remote host', Date.UTC(2026, 10, 29, 21, 0, 3)],
      ['WARNING', 'kernel', 'GENERAL', '<4>[ 1234.5678] ata1: hard resetting link', Date.UTC(2026, 10, 29, 21, 0, 4, 123)],
      ['DEBUG', 'app', 'LOCAL7', 'debug without app', Date.UTC(2026, 10, 29, 21, 0, 5)],
      // recorded from util-linux `logger --tcp --rfc5424 -t backup -p user.err …`
      ['ERROR', 'backup', 'USER', 'backup failed: disk full', Date.UTC(2026, 10, 29, 21, 16, 42, 68)],
    ]);
  });

  it('puts a BSD timestamp that would be in the future in the previous year', () => {
    const result = parseLine('<14>Dec 31 23:59:00 host app: late', { defaultService: 'x', now: () => Date.UTC(2027, 0, 1, 0, 0, 30) });
    expect(result.ok && result.entry.ts).toBe(Date.UTC(2026, 11, 31, 23, 59));
  });
});

describe('plain text', () => {
  it('finds level words in the prefix and a mid-line <4>, joins Java and Python traces, and reads a leading timestamp', () => {
    const { entries, formats } = read('plain.txt');
    expect(new Set(formats)).toEqual(new Set(['plain']));
    expect(summary(entries)).toEqual([
      ['INFO', 'app', 'GENERAL', '2026-11-29 21:00:00,123 INFO app started', Date.UTC(2026, 10, 29, 21, 0, 0, 123)],
      ['ERROR', 'app', 'GENERAL', 'sshd[812]: error: PAM: Authentication failure for root', NOW],
      ['WARNING', 'app', 'GENERAL', 'kernel: <4>[ 12.345] usb 1-1: device descriptor read/64, error -71', NOW],
      ['ERROR', 'app', 'GENERAL', 'Exception in thread "main" java.lang.IllegalStateException: pool exhausted', NOW],
      ['ERROR', 'app', 'GENERAL', 'Traceback (most recent call last):', NOW],
      ['WARNING', 'app', 'GENERAL', '[warn] disk 91% full', NOW],
      ['INFO', 'app', 'GENERAL', 'all good', NOW],
    ]);
    expect(entries[3].message.split('\n')).toEqual([
      'Exception in thread "main" java.lang.IllegalStateException: pool exhausted',
      '\tat com.example.Pool.take(Pool.java:42)',
      '\tat com.example.Main.main(Main.java:7)',
      'Caused by: java.util.concurrent.TimeoutException',
      '\t... 2 more',
    ]);
    expect(entries[4].message.split('\n').at(-1)).toBe('ValueError: bad input');
  });

  it('raises a trace under a line that stated no level to ERROR, but keeps a stated level', () => {
    const levels = (text: string): string[] => {
      const out: string[] = [];
      const joiner = new EntryJoiner({ emit: (e) => out.push(e.level), holdMs: 0 });
      for (const line of text.split('\n')) {
        const r = parseLine(line, ctx);
        if (r.ok) joiner.push(r);
      }
      joiner.flush();
      return out;
    };
    expect(levels('request failed\n    at handler (app.js:1:1)')).toEqual(['ERROR']);
    expect(levels('[warn] retrying\n    at handler (app.js:1:1)')).toEqual(['WARNING']);
    expect(levels('one\ntwo')).toEqual(['INFO', 'INFO']);
  });
});

describe('parseLine refusals', () => {
  it.each([
    ['{"level":', 'invalid JSON'],
    ['[1,2]', 'must be a JSON object'],
    ['{"foo":1}', 'unrecognised JSON record'],
    ['{"level":"loud","service":"x","message":"m"}', 'level must be one of'],
  ])('refuses %j with a reason', (line, reason) => {
    const result = parseLine(line, ctx);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(reason);
  });

  it('reads a bracketed plain line that is not JSON as text', () => {
    const result = parseLine('[2026-11-29 21:00:00] ERROR boom', ctx);
    expect(result.ok && result.entry.level).toBe('ERROR');
  });

  it('normalises foreign service names and cuts oversized messages with a mark', () => {
    const result = parseLine(JSON.stringify({ level: 30, name: 'my app/v2', msg: 'x'.repeat(9000) }), ctx);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.entry.service).toBe('my-app-v2');
    expect(result.entry.message.length).toBeLessThanOrEqual(8192);
    expect(result.entry.message.endsWith(' [truncated]')).toBe(true);
  });
});

describe('EntryJoiner', () => {
  it('emits a held entry once the stream has been quiet for holdMs after a chunk', () => {
    vi.useFakeTimers();
    try {
      const out: string[] = [];
      const joiner = new EntryJoiner({ emit: (e) => out.push(e.message), holdMs: 5 });
      const r = parseLine('Error: boom', ctx);
      if (r.ok) joiner.push(r);
      joiner.idle();
      vi.advanceTimersByTime(4);
      expect(out).toEqual([]);
      vi.advanceTimersByTime(1);
      expect(out).toEqual(['Error: boom']);
    } finally {
      vi.useRealTimers();
    }
  });
});
