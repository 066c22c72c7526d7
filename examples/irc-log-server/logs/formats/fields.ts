/**
 * Field helpers the format parsers share: lenient service names, message bounds and
 * timestamps from the many spellings tools use.
 *
 * Foreign formats are read leniently (a pino `name` of `my app` becomes the service `my-app`,
 * a too-long message is cut and marked) because their producers cannot be asked to change;
 * the native JSON Lines format stays strict, so its errors teach producers the schema.
 *
 * @module
 */
import { DEFAULT_CATEGORY, MAX_MESSAGE_LENGTH, type LogEntry } from '../entry.js';
import type { LogLevel } from '../level.js';
import type { FormatName, ParsedLine, RefusedLine } from './types.js';

const NAME_CHARS = /[^A-Za-z0-9_.-]+/g;

/**
 * A service or category name from a foreign field: characters outside `[A-Za-z0-9_.-]`
 * become `-`, cut to 64; `fallback` when nothing usable is left.
 *
 * @example
 * ```ts
 * toName('my app', 'stdin'); // 'my-app'
 * toName(undefined, 'stdin'); // 'stdin'
 * ```
 */
export function toName(value: unknown, fallback: string): string {
  if (typeof value !== 'string' && typeof value !== 'number') return fallback;
  const name = String(value).replace(NAME_CHARS, '-').replace(/^-+|-+$/g, '').slice(0, 64);
  return name === '' ? fallback : name;
}

/** Cuts `text` to the message bound without splitting a surrogate pair, marking the cut. */
export function clampMessage(text: string): string {
  if (text.length <= MAX_MESSAGE_LENGTH) return text;
  const mark = ' [truncated]';
  let end = MAX_MESSAGE_LENGTH - mark.length;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return text.slice(0, end) + mark;
}

const MAX_TS = 8.64e15;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/;

/**
 * A timestamp in ms from a number (ms since the epoch; values below 1e11 are read as
 * seconds, as Python and Go loggers write them) or an ISO 8601 / RFC 3339 string (nanosecond
 * fractions included). `undefined` when absent or unreadable: the caller then uses `now()`.
 */
export function readTime(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) {
    const ms = Math.floor(Math.abs(value) < 1e11 ? value * 1000 : value);
    return Math.abs(ms) <= MAX_TS ? ms : undefined;
  }
  if (typeof value === 'string' && ISO_DATE.test(value)) {
    // Date.parse reads at most milliseconds: drop further fraction digits first.
    const ms = Date.parse(value.replace(/(\.\d{3})\d+/, '$1').replace(' ', 'T'));
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/** The text of a field that may be a string, a number or a structure. */
export function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === undefined || value === null) return undefined;
  try {
    return JSON.stringify(value);
  } catch {
    // A structure JSON.parse produced always serialises; anything else is shown by type.
    return `[${typeof value}]`;
  }
}

/** Builds a successful result. */
export function parsed(
  format: FormatName,
  fields: { level: LogLevel; service: string; message: string; ts: number; category?: string },
  levelStated: boolean,
  joinable = false,
): ParsedLine {
  const entry: LogEntry = {
    level: fields.level,
    service: fields.service,
    category: fields.category ?? DEFAULT_CATEGORY,
    message: clampMessage(fields.message),
    ts: fields.ts,
  };
  return { ok: true, entry, format, levelStated, joinable };
}

/** Builds a refusal. */
export function refused(format: FormatName | undefined, error: string, field: RefusedLine['field'] | null = 'entry'): RefusedLine {
  return { ok: false, format, error, field: field ?? undefined };
}

/** Syslog severities 0–7 on our scale. */
export const SEVERITY_LEVELS: readonly LogLevel[] = ['FATAL', 'CRITICAL', 'CRITICAL', 'ERROR', 'WARNING', 'NOTICE', 'INFO', 'DEBUG'];

/** Syslog facilities 0–23, as categories. */
export const FACILITY_NAMES: readonly string[] = [
  'KERN', 'USER', 'MAIL', 'DAEMON', 'AUTH', 'SYSLOG', 'LPR', 'NEWS', 'UUCP', 'CRON', 'AUTHPRIV', 'FTP',
  'NTP', 'AUDIT', 'ALERT', 'CLOCK', 'LOCAL0', 'LOCAL1', 'LOCAL2', 'LOCAL3', 'LOCAL4', 'LOCAL5', 'LOCAL6', 'LOCAL7',
];
