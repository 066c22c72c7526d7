/**
 * The log entry: what producers send in, validated once at the edge so every later stage
 * (routing, topics, rendering) can trust its shape.
 *
 * @module
 */
import { LOG_LEVELS, detectLevel, normalizeLevel, type LogLevel } from './level.js';

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
