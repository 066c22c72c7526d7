/**
 * Log levels: the eight we show, their ranks, the spellings seen in the wild, and how a level
 * is recognised in a plain-text line.
 *
 * @module
 */

/** Levels from least to most severe; the index is the rank used by the filtered channels. */
export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'CRITICAL', 'FATAL'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

const RANK: ReadonlyMap<string, number> = new Map(LOG_LEVELS.map((level, index) => [level, index]));

// Spellings seen in the wild (syslog, logcat, Go, Python, Rust) mapped to ours.
const ALIASES: ReadonlyMap<string, LogLevel> = new Map<string, LogLevel>([
  ['WARN', 'WARNING'],
  ['ERR', 'ERROR'],
  ['CRIT', 'CRITICAL'],
  ['ALERT', 'CRITICAL'],
  ['EMERG', 'FATAL'],
  ['EMERGENCY', 'FATAL'],
  ['PANIC', 'FATAL'],
  ['DBG', 'DEBUG'],
  ['INF', 'INFO'],
]);

/**
 * The rank of a level: `TRACE` 0 … `FATAL` 7, so `levelRank(a) >= levelRank('ERROR')` reads as
 * "ERROR and above".
 *
 * @example
 * ```ts
 * levelRank('WARNING'); // 4
 * ```
 */
export function levelRank(level: LogLevel): number {
  const rank = RANK.get(level);
  if (rank === undefined) throw new TypeError(`unknown log level ${JSON.stringify(level)}`);
  return rank;
}

/**
 * Maps a level name, case-insensitively and with common aliases (`WARN`, `ERR`, `CRIT`,
 * `EMERG`, `PANIC`, `DBG`, `INF`, `ALERT`, `EMERGENCY`), to a {@link LogLevel}.
 *
 * @returns the level, or `undefined` when the name is not recognised.
 * @example
 * ```ts
 * normalizeLevel('warn'); // 'WARNING'
 * normalizeLevel('loud'); // undefined
 * ```
 */
export function normalizeLevel(s: string): LogLevel | undefined {
  const upper = s.trim().toUpperCase();
  if (RANK.has(upper)) return upper as LogLevel;
  return ALIASES.get(upper);
}

// Plain-text level recognition, most explicit form first.
const WORDS = [...LOG_LEVELS, ...ALIASES.keys()].join('|');
// level=error, lvl: "warn", "level":"ERROR", severity=crit
const KEY_VALUE = new RegExp(`\\b(?:level|lvl|severity|loglevel)"?\\s*[=:]\\s*"?(${WORDS})\\b`, 'i');
// [warn], <ERROR>, (Info): level names only, so "[E]" or "[x]" mean nothing.
const BRACKETED = new RegExp(`[[<(](${WORDS})[\\])>]`, 'i');
// Android logcat at the start of a line: brief "E/Tag( 123): ..." or threadtime
// "01-02 10:00:00.123  1234  1234 E Tag: ...". Anchored so prose such as "I/O error" is not read as INFO.
const LOGCAT = /^(?:\d\d-\d\d\s+\d\d:\d\d:\d\d\.\d+\s+)?([VDIWEF])\/[^\s:(]+\s*(?:\(\s*\d+\s*\))?:/;
const LOGCAT_THREADTIME = /^\d\d-\d\d\s+\d\d:\d\d:\d\d\.\d+\s+\d+\s+\d+\s+([VDIWEF])\s/;
const LOGCAT_LEVELS: Readonly<Record<string, LogLevel>> = {
  V: 'TRACE',
  D: 'DEBUG',
  I: 'INFO',
  W: 'WARNING',
  E: 'ERROR',
  F: 'FATAL',
};
// syslog / sd-daemon priority "<3>" (0 emerg … 7 debug), at the start or after a prefix such as
// "kernel: <4>" (within the first 80 characters); a full PRI "<134>" keeps its severity (n % 8).
const SYSLOG_PRIORITY = /^<(\d{1,3})>|(?<=^.{0,80}\s)<([0-7])>/;
const SYSLOG_LEVELS: readonly LogLevel[] = ['FATAL', 'CRITICAL', 'CRITICAL', 'ERROR', 'WARNING', 'NOTICE', 'INFO', 'DEBUG'];
// A bare upper-case word ("2026-01-02 ERROR db down", "WARNING:root:..."); lower-case bare
// words are too common in ordinary prose ("no error") to mean anything.
const BARE_UPPER = new RegExp(`(?<![A-Za-z0-9_])(${WORDS})(?![A-Za-z0-9_])`);
// "Error: ...", "panic: ..." at the start of a line (Node, Go), or a level word with a colon
// in the prefix after the program's name: "sshd[812]: error: …", "app: WARN: …".
const LEADING_WORD = new RegExp(`^\\s*(${WORDS})\\s*:`, 'i');
const PREFIX_WORD = new RegExp(`^.{0,80}?[\\]:]\\s+(${WORDS})\\s*:(?:\\s|$)`, 'i');
// The first line of a Python or Java stack trace.
const TRACE_START = /^\s*(?:Traceback \(most recent call last\)|Exception in thread\b|\w+(?:\.\w+)*(?:Exception|Error): )/;

/**
 * Recognises the level of a plain-text log line: `level=error` / `"level":"warn"`, a bracketed
 * `[warn]` / `<ERROR>`, a syslog priority `<3>` (at the start, or after a short prefix such as
 * `kernel: <4>`), Android logcat `E/Tag`, a bare upper-case `ERROR` / `WARN`, a leading
 * `Error:` / `panic:` or a level word with a colon after the program's name
 * (`sshd[812]: error: …`), or the first line of a Python or
 * Java stack trace. The first form found wins, in that order; nothing recognised means `INFO`.
 *
 * @example
 * ```ts
 * detectLevel('2026-01-02T10:00:00Z [warn] disk 91% full'); // 'WARNING'
 * detectLevel('ts=1 level=error msg="db down"');           // 'ERROR'
 * detectLevel('E/ActivityManager: ANR in com.example');   // 'ERROR'
 * detectLevel('hello');                                     // 'INFO'
 * ```
 */
export function detectLevel(line: string): LogLevel {
  return findLevel(line) ?? 'INFO';
}

/**
 * Like {@link detectLevel}, but `undefined` when the line states no level, so a caller can
 * tell "INFO because it says so" from "INFO because nothing was said".
 *
 * @example
 * ```ts
 * findLevel('sshd[812]: error: PAM: auth failure'); // 'ERROR'
 * findLevel('hello');                               // undefined
 * ```
 */
export function findLevel(line: string): LogLevel | undefined {
  let match = KEY_VALUE.exec(line) ?? BRACKETED.exec(line);
  if (match !== null) return normalizeLevel(match[1]) ?? 'INFO';
  match = SYSLOG_PRIORITY.exec(line);
  if (match !== null) {
    const pri = Number(match[1] ?? match[2]);
    if (pri <= 191) return SYSLOG_LEVELS[pri % 8];
  }
  match = LOGCAT.exec(line) ?? LOGCAT_THREADTIME.exec(line);
  if (match !== null) return LOGCAT_LEVELS[match[1]];
  match = BARE_UPPER.exec(line) ?? LEADING_WORD.exec(line) ?? PREFIX_WORD.exec(line);
  if (match !== null) return normalizeLevel(match[1]) ?? 'INFO';
  return TRACE_START.test(line) ? 'ERROR' : undefined;
}
