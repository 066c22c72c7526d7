/**
 * pino and bunyan: `{"level":50,"time":1700000000000,"pid":1,"hostname":"h","name":"app","msg":"…","err":{…}}`.
 * Numeric levels (10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal), `msg`, `name` as
 * the service, `time` in ms (pino) or ISO (bunyan), and `err.stack` appended to the message.
 *
 * @module
 */
import { normalizeLevel, type LogLevel } from '../level.js';
import { parsed, readTime, textOf, toName } from './fields.js';
import type { RecordFormat } from './types.js';

/** pino/bunyan numeric level → ours: each threshold is the upper bound of a level. */
export function pinoLevel(level: number): LogLevel {
  if (level <= 10) return 'TRACE';
  if (level <= 20) return 'DEBUG';
  if (level <= 30) return 'INFO';
  if (level <= 40) return 'WARNING';
  if (level <= 50) return 'ERROR';
  return 'FATAL';
}

function errorStack(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { stack, message } = err as { stack?: unknown; message?: unknown };
  if (typeof stack === 'string') return stack;
  return typeof message === 'string' ? message : undefined;
}

export const pinoFormat: RecordFormat = {
  name: 'pino',
  detect: (record) =>
    typeof record.level === 'number' || ('msg' in record && ('pid' in record || 'hostname' in record || 'v' in record)),
  parse(record, ctx) {
    const raw = record.level;
    const stated = typeof raw === 'number' ? pinoLevel(raw) : typeof raw === 'string' ? normalizeLevel(raw) : undefined;
    const err = record.err ?? record.error;
    const stack = errorStack(err);
    let message = textOf(record.msg) ?? '';
    // pino logs `logger.error(err)` with the error's message as msg: do not repeat it.
    if (stack !== undefined && !message.includes(stack)) message = message === '' ? stack : `${message}\n${stack}`;
    return parsed(
      'pino',
      { level: stated ?? 'INFO', service: toName(record.name, ctx.defaultService), message, ts: readTime(record.time) ?? ctx.now() },
      stated !== undefined,
    );
  },
};
