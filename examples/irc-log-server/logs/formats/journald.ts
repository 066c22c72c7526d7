/**
 * journald's JSON export (`journalctl -o json`, one record per line): `MESSAGE`, `PRIORITY`
 * (syslog severity, a string), `SYSLOG_IDENTIFIER` or `_SYSTEMD_UNIT` as the service,
 * `SYSLOG_FACILITY` as the category, `__REALTIME_TIMESTAMP` in microseconds. A binary
 * `MESSAGE` comes as an array of bytes; a too-large one as `null`.
 *
 * @module
 */
import { findLevel } from '../level.js';
import { FACILITY_NAMES, SEVERITY_LEVELS, parsed, toName } from './fields.js';
import type { RecordFormat } from './types.js';

function messageText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((b) => typeof b === 'number')) return Buffer.from(value as number[]).toString('utf8');
  if (value === null) return '[message too large for journalctl to show]';
  return String(value);
}

function realtime(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^\d{1,17}$/.test(value)) return undefined;
  return Math.floor(Number(value) / 1000);
}

export const journaldFormat: RecordFormat = {
  name: 'journald',
  detect: (record) => 'MESSAGE' in record || '__CURSOR' in record,
  parse(record, ctx) {
    const message = messageText(record.MESSAGE);
    const priority = typeof record.PRIORITY === 'string' ? Number(record.PRIORITY) : Number.NaN;
    const stated = Number.isInteger(priority) && priority >= 0 && priority <= 7 ? SEVERITY_LEVELS[priority] : findLevel(message);
    const unit = typeof record._SYSTEMD_UNIT === 'string' ? record._SYSTEMD_UNIT.replace(/\.service$/, '') : undefined;
    const service = toName(record.SYSLOG_IDENTIFIER ?? unit ?? record._COMM, ctx.defaultService);
    const facility = typeof record.SYSLOG_FACILITY === 'string' ? FACILITY_NAMES[Number(record.SYSLOG_FACILITY)] : undefined;
    return parsed(
      'journald',
      { level: stated ?? 'INFO', service, category: facility, message, ts: realtime(record.__REALTIME_TIMESTAMP) ?? ctx.now() },
      stated !== undefined,
      true, // a trace sent through syslog/journald comes one message per line: joinable
    );
  },
};
