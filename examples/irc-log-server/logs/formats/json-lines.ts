/**
 * The native format: `{"level":"error","service":"api","category":"HTTP","message":"…","ts":…}`,
 * validated strictly by `parseLogEntry` so that its errors teach the schema. Recognised by a
 * `service` field (winston records that carry one through `defaultMeta` read the same way;
 * their `timestamp` is taken when there is no `ts`).
 *
 * @module
 */
import { LogEntryError, parseLogEntry } from '../entry.js';
import { refused } from './fields.js';
import type { RecordFormat } from './types.js';

export const jsonLinesFormat: RecordFormat = {
  name: 'json-lines',
  detect: (record) => 'service' in record,
  parse(record, ctx) {
    const ts = record.ts ?? record.timestamp;
    try {
      const entry = parseLogEntry(ts === record.ts ? record : { ...record, ts }, ctx.now);
      return { ok: true, entry, format: 'json-lines', levelStated: true, joinable: false };
    } catch (error) {
      if (!(error instanceof LogEntryError)) throw error;
      return refused('json-lines', error.message, error.field ?? 'entry');
    }
  },
};
