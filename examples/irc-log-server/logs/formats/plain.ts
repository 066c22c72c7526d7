/**
 * Plain text, the fallback: the level is read from the line (`detectLevel` in level.ts: level
 * words anywhere in the prefix, `<4>`, `[warn]`, `level=…`, a stack trace's first line), a
 * leading ISO 8601 timestamp (`docker logs -t`, Python's `2026-11-29 20:00:00,123`) becomes the
 * entry's time, and the whole line is the message. Plain lines can be joined: the indented
 * lines of a stack trace after an entry belong to it (see multiline.ts).
 *
 * @module
 */
import { findLevel } from '../level.js';
import { parsed, readTime } from './fields.js';
import type { TextFormat } from './types.js';

const LEADING_TIME = /^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)\s/;

export const plainFormat: TextFormat = {
  name: 'plain',
  detect: () => true,
  parse(line, ctx) {
    const stated = findLevel(line);
    const time = LEADING_TIME.exec(line);
    const ts = time === null ? undefined : readTime(time[1].replace(',', '.'));
    return parsed('plain', { level: stated ?? 'INFO', service: ctx.defaultService, message: line, ts: ts ?? ctx.now() }, stated !== undefined, true);
  },
};
