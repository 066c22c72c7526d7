/**
 * Reading one line of any format people emit: JSON records (native JSON Lines, pino/bunyan,
 * winston, journald export, Docker json-file) recognised by their fields, then text lines
 * (syslog, logfmt, plain) recognised by their shape. Every source (TCP ingest, stdin) reads
 * lines through {@link parseLine}, so they accept the same formats.
 *
 * @module
 */
import { dockerFormat } from './docker.js';
import { refused } from './fields.js';
import { journaldFormat } from './journald.js';
import { jsonLinesFormat } from './json-lines.js';
import { logfmtFormat } from './logfmt.js';
import { pinoFormat } from './pino.js';
import { plainFormat } from './plain.js';
import { syslogFormat } from './syslog.js';
import type { LineResult, ParseContext, RecordFormat, TextFormat } from './types.js';
import { winstonFormat } from './winston.js';

export type { FormatName, LineResult, ParseContext, ParsedLine, RefusedLine } from './types.js';

/** Text formats, most specific first; plain text takes whatever is left. */
const TEXT_FORMATS: readonly TextFormat[] = [syslogFormat, logfmtFormat, plainFormat];

function parseText(line: string, ctx: ParseContext): LineResult {
  for (const format of TEXT_FORMATS) {
    if (!format.detect(line)) continue;
    const result = format.parse(line, ctx);
    if (result.ok) return result;
  }
  return plainFormat.parse(line, ctx);
}

/** JSON record formats, in the order they are tried: the most distinctive fields first. */
// Docker's `log` text is read like a whole line: it may itself be pino JSON.
const RECORD_FORMATS: readonly RecordFormat[] = [
  journaldFormat,
  dockerFormat((line, ctx) => parseLine(line, ctx)),
  pinoFormat,
  jsonLinesFormat,
  winstonFormat,
];

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

/**
 * Reads one line (without its line ending) as a log entry, whatever its format.
 *
 * A line starting with `{` must be a JSON object of a known shape (else it is refused with
 * `invalid JSON` or what is missing); a line that is a JSON array is refused; anything else is
 * syslog, logfmt or plain text and always reads.
 *
 * @example
 * ```ts
 * const ctx = { defaultService: 'stdin', now: Date.now };
 * parseLine('{"level":50,"time":1700000000000,"name":"api","msg":"boom"}', ctx);
 * // { ok: true, format: 'pino', entry: { level: 'ERROR', service: 'api', message: 'boom', … }, … }
 * parseLine('<34>Nov 29 20:00:00 host sshd[812]: Failed password', ctx).entry.level; // 'CRITICAL'
 * ```
 */
export function parseLine(line: string, ctx: ParseContext): LineResult {
  const first = line.trimStart().charAt(0);
  if (first === '{' || first === '[') {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      // A bracketed plain line ("[warn] disk full") is text; a brace always means JSON.
      if (first === '[') return parseText(line, ctx);
      return refused(undefined, 'invalid JSON', null);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return refused(undefined, `a log entry must be a JSON object (got ${describe(value)})`);
    }
    const record = value as Record<string, unknown>;
    for (const format of RECORD_FORMATS) if (format.detect(record)) return format.parse(record, ctx);
    return refused(
      undefined,
      'unrecognised JSON record: expected level and message (JSON Lines, winston), msg (pino, bunyan), MESSAGE (journald) or log and stream (Docker)',
    );
  }
  return parseText(line, ctx);
}
