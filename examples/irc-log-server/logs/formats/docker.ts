/**
 * Docker's `json-file` log driver (`/var/lib/docker/containers/<id>/<id>-json.log`):
 * `{"log":"text\n","stream":"stderr","time":"2026-11-29T20:00:00.123456789Z"}`, one record per
 * line of the container's output. The `log` text is read like any line (it may itself be
 * pino JSON, logfmt or plain text); Docker's `time` is the timestamp. A stack trace is one
 * record per line, so these records can be joined.
 *
 * Fluent Bit's `json_lines` output of a `tail` input has the same shape with `date` (seconds,
 * a float) instead of `stream` and `time`: `{"date":1795986000.123,"log":"text"}`.
 *
 * @module
 */
import { readTime, refused } from './fields.js';
import type { LineResult, ParseContext, RecordFormat } from './types.js';

/** Makes the Docker format, reading the `log` text with `parseText`. */
export function dockerFormat(parseText: (line: string, ctx: ParseContext) => LineResult): RecordFormat {
  return {
    name: 'docker',
    detect: (record) => typeof record.log === 'string' && (typeof record.stream === 'string' || typeof record.date === 'number'),
    parse(record, ctx) {
      const text = String(record.log).replace(/\r?\n$/, '');
      const time = readTime(record.time) ?? readTime(record.date);
      const inner = parseText(text, time === undefined ? ctx : { defaultService: ctx.defaultService, now: () => time });
      if (!inner.ok) return refused('docker', `in the log field: ${inner.error}`, inner.field);
      return { ...inner, format: 'docker', entry: { ...inner.entry, ts: time ?? inner.entry.ts } };
    },
  };
}
