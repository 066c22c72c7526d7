/**
 * winston's JSON format: `{"level":"info","message":"…","timestamp":"…"}` (npm levels: error,
 * warn, info, http, verbose, debug, silly), with `stack` from `format.errors({ stack: true })`
 * appended. Records with a `service` field are read as native JSON Lines instead.
 *
 * @module
 */
import { findLevel, normalizeLevel, type LogLevel } from '../level.js';
import { parsed, readTime, textOf, toName } from './fields.js';
import type { RecordFormat } from './types.js';

const NPM_LEVELS: Readonly<Record<string, LogLevel>> = { http: 'INFO', verbose: 'DEBUG', silly: 'TRACE' };

export const winstonFormat: RecordFormat = {
  name: 'winston',
  detect: (record) => typeof record.level === 'string' && 'message' in record,
  parse(record, ctx) {
    const raw = String(record.level);
    // winston's colorize() wraps the level in ANSI colour codes.
    const name = raw.replace(/\x1b\[[0-9;]*m/g, '');
    const stated = normalizeLevel(name) ?? NPM_LEVELS[name.toLowerCase()] ?? findLevel(name);
    let message = textOf(record.message) ?? '';
    const stack = record.stack;
    // format.errors() puts the error's message in both fields; the stack already starts with it.
    if (typeof stack === 'string' && !message.includes(stack)) message = stack.includes(message) ? stack : `${message}\n${stack}`;
    const service = toName(record.label ?? record.name, ctx.defaultService);
    return parsed(
      'winston',
      { level: stated ?? 'INFO', service, message, ts: readTime(record.timestamp ?? record.time) ?? ctx.now() },
      stated !== undefined,
    );
  },
};
