/**
 * The log entry: what producers send in, validated once at the edge so every later stage
 * (routing, topics, rendering) can trust its shape.
 *
 * @module
 */

/** Levels from least to most severe; the index is the rank used by the filtered channels. */
export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'CRITICAL', 'FATAL'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A validated log entry. */
export interface LogEntry {
  /** Severity, normalised to one of {@link LOG_LEVELS}. */
  level: LogLevel;
  /** Producing service; 1–64 characters of `[A-Za-z0-9_.-]`, used as a topic level. */
  service: string;
  /** Upper-case category such as `HTTP` or `DATABASE`; same charset as `service`. */
  category: string;
  /** The text, at most {@link MAX_MESSAGE_LENGTH} UTF-16 code units; may span several lines. */
  message: string;
  /** When it happened, in milliseconds since the epoch. */
  ts: number;
}

/** Longest accepted `message`, in UTF-16 code units (JavaScript string length). */
export const MAX_MESSAGE_LENGTH = 8192;

/** Category given to entries that name none. */
export const DEFAULT_CATEGORY = 'GENERAL';

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

/** Names of the {@link LogEntry} fields a {@link LogEntryError} can point at. */
export type LogEntryField = 'entry' | keyof LogEntry;

/**
 * Thrown by {@link parseLogEntry} for an entry that does not validate. `field` names the
 * offending field (`entry` when the value is not an object at all).
 */
export class LogEntryError extends Error {
  /** Stable error code. */
  readonly code = 'ERR_LOG_ENTRY' as const;
  /** The field that failed validation. */
  readonly field?: LogEntryField;

  constructor(message: string, field?: LogEntryField) {
    super(message);
    this.name = 'LogEntryError';
    this.field = field;
  }
}

// Service and category become topic levels (`logs/<service>/<level>`) and IRC text: no '/',
// no wildcards, no '$' (MQTT-style system topics), no spaces.
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

// The range `Date` can represent.
const MAX_TS = 8.64e15;

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : String(value);
}

function parseName(value: unknown, field: 'service' | 'category'): string {
  if (typeof value !== 'string') throw new LogEntryError(`${field} must be a string (got ${describe(value)})`, field);
  if (!NAME.test(value)) {
    throw new LogEntryError(
      `${field} must be 1-64 characters of [A-Za-z0-9_.-] (got ${describe(value)})`,
      field,
    );
  }
  return value;
}

function parseTs(value: unknown, now: () => number): number {
  if (value === undefined || value === null) return now();
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || Math.abs(value) > MAX_TS) {
      throw new LogEntryError(`ts must be a finite number of milliseconds since the epoch (got ${value})`, 'ts');
    }
    return value;
  }
  if (typeof value === 'string') {
    // Date.parse also accepts loose formats; require something that looks like ISO 8601.
    const ms = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
    if (Number.isNaN(ms)) throw new LogEntryError(`ts must be an ISO 8601 date (got ${describe(value)})`, 'ts');
    return ms;
  }
  throw new LogEntryError(`ts must be a number (ms) or an ISO 8601 string (got ${describe(value)})`, 'ts');
}

/**
 * Validates a decoded JSON value as a log entry.
 *
 * - `level` (required): a level name or alias, see {@link normalizeLevel}.
 * - `service` (required): 1–64 characters of `[A-Za-z0-9_.-]`.
 * - `category` (optional, default {@link DEFAULT_CATEGORY}): upper-cased, same charset.
 * - `message` (required): a string of at most {@link MAX_MESSAGE_LENGTH} code units.
 * - `ts` (optional, default `now()`): milliseconds since the epoch, or an ISO 8601 string.
 *
 * Other fields are ignored. Control characters in `message` are kept here: removing them is
 * the renderer's job, so the entry stays faithful for non-IRC consumers.
 *
 * @param now - clock for a missing `ts`. @default Date.now
 * @throws {@link LogEntryError} naming the first field that fails.
 * @example
 * ```ts
 * parseLogEntry({ level: 'warn', service: 'payments', message: 'slow' });
 * // { level: 'WARNING', service: 'payments', category: 'GENERAL', message: 'slow', ts: Date.now() }
 * ```
 */
export function parseLogEntry(value: unknown, now: () => number = Date.now): LogEntry {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new LogEntryError(`a log entry must be a JSON object (got ${describe(value)})`, 'entry');
  }
  const record = value as Record<string, unknown>;

  const rawLevel = record.level;
  if (typeof rawLevel !== 'string') throw new LogEntryError(`level must be a string (got ${describe(rawLevel)})`, 'level');
  const level = normalizeLevel(rawLevel);
  if (level === undefined) {
    throw new LogEntryError(`level must be one of ${LOG_LEVELS.join(', ')} (got ${describe(rawLevel)})`, 'level');
  }

  const service = parseName(record.service, 'service');

  const rawCategory = record.category;
  const category =
    rawCategory === undefined || rawCategory === null
      ? DEFAULT_CATEGORY
      : parseName(rawCategory, 'category').toUpperCase();

  const message = record.message;
  if (typeof message !== 'string') {
    throw new LogEntryError(`message must be a string (got ${describe(message)})`, 'message');
  }
  if (message.length > MAX_MESSAGE_LENGTH) {
    throw new LogEntryError(`message must be at most ${MAX_MESSAGE_LENGTH} characters (got ${message.length})`, 'message');
  }

  return { level, service, category, message, ts: parseTs(record.ts, now) };
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
// syslog / sd-daemon priority prefix "<3>" (0 emerg … 7 debug).
const SYSLOG_PRIORITY = /^<([0-7])>/;
const SYSLOG_LEVELS: readonly LogLevel[] = ['FATAL', 'CRITICAL', 'CRITICAL', 'ERROR', 'WARNING', 'NOTICE', 'INFO', 'DEBUG'];
// A bare upper-case word ("2026-01-02 ERROR db down", "WARNING:root:..."); lower-case bare
// words are too common in ordinary prose ("no error") to mean anything.
const BARE_UPPER = new RegExp(`(?<![A-Za-z0-9_])(${WORDS})(?![A-Za-z0-9_])`);
// "Error: ...", "panic: ..." at the start of a line (Node, Go).
const LEADING_WORD = new RegExp(`^\\s*(${WORDS})\\s*:`, 'i');
// The first line of a Python or Java stack trace.
const TRACE_START = /^\s*(?:Traceback \(most recent call last\)|Exception in thread\b|\w+(?:\.\w+)*(?:Exception|Error): )/;

/**
 * Recognises the level of a plain-text log line: `level=error` / `"level":"warn"`, a bracketed
 * `[warn]` / `<ERROR>`, a syslog priority prefix `<3>`, Android logcat `E/Tag`, a bare
 * upper-case `ERROR` / `WARN`, a leading `Error:` / `panic:`, or the first line of a Python or
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
  let match = KEY_VALUE.exec(line) ?? BRACKETED.exec(line);
  if (match !== null) return normalizeLevel(match[1]) ?? 'INFO';
  match = SYSLOG_PRIORITY.exec(line);
  if (match !== null) return SYSLOG_LEVELS[Number(match[1])];
  match = LOGCAT.exec(line) ?? LOGCAT_THREADTIME.exec(line);
  if (match !== null) return LOGCAT_LEVELS[match[1]];
  match = BARE_UPPER.exec(line) ?? LEADING_WORD.exec(line);
  if (match !== null) return normalizeLevel(match[1]) ?? 'INFO';
  return TRACE_START.test(line) ? 'ERROR' : 'INFO';
}

/**
 * Turns one plain-text line (the `--stdin` source) into an entry: level from
 * {@link detectLevel}, category {@link DEFAULT_CATEGORY}, timestamp `now()`. The line is kept
 * as the message, cut to {@link MAX_MESSAGE_LENGTH} without splitting a surrogate pair.
 *
 * @param service - the service to attribute the line to.
 * @param now - clock for the timestamp. @default Date.now
 * @throws {@link LogEntryError} when `service` is not a valid service name.
 * @example
 * ```ts
 * entryFromText('[ERROR] db down', 'app'); // { level: 'ERROR', service: 'app', category: 'GENERAL', … }
 * ```
 */
export function entryFromText(line: string, service: string, now: () => number = Date.now): LogEntry {
  let message = line;
  if (message.length > MAX_MESSAGE_LENGTH) {
    let end = MAX_MESSAGE_LENGTH;
    const last = message.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff) end -= 1; // do not keep half a surrogate pair
    message = message.slice(0, end);
  }
  return {
    level: detectLevel(line),
    service: parseName(service, 'service'),
    category: DEFAULT_CATEGORY,
    message,
    ts: now(),
  };
}
