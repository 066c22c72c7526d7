/**
 * Syslog lines: RFC 5424 (`<165>1 2026-11-29T20:00:00.003Z host app 812 ID47 [sd] message`),
 * RFC 3164 (`<34>Nov 29 20:00:00 host su[812]: message`, host optional), and the same without
 * `<PRI>` as syslog daemons write them to files (`Nov 29 20:00:00 host sshd[812]: error: …`,
 * or with an ISO timestamp). `<PRI>` gives the level (severity = PRI % 8) and the category
 * (the facility); without it the level is read from the message.
 *
 * @module
 */
import { findLevel } from '../level.js';
import { FACILITY_NAMES, SEVERITY_LEVELS, parsed, readTime, toName } from './fields.js';
import type { ParseContext, TextFormat } from './types.js';

const RFC5424 = /^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: (.*))?$/s;
const BSD_TIME = '[A-Z][a-z]{2} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d';
const ISO_TIME = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?(?:Z|[+-]\\d\\d:\\d\\d)';
// [<PRI>]TIMESTAMP [HOST ]TAG[PID]: MESSAGE — the tag is the word before "[pid]:" or ":".
const RFC3164 = new RegExp(`^(?:<(\\d{1,3})>)?(${BSD_TIME}|${ISO_TIME}) (?:(\\S+) )?([^\\s:\\[\\]]+)(?:\\[(\\d+)\\])?: ?(.*)$`, 's');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A BSD timestamp has no year: the most recent such date not more than a day ahead of now. */
function bsdTime(text: string, now: number): number | undefined {
  const month = MONTHS.indexOf(text.slice(0, 3));
  const [day, clock] = [Number(text.slice(4, 6)), text.slice(7)];
  const [h, m, s] = clock.split(':').map(Number);
  if (month < 0) return undefined;
  const year = new Date(now).getUTCFullYear();
  const ts = Date.UTC(year, month, day, h, m, s);
  return ts > now + 86_400_000 ? Date.UTC(year - 1, month, day, h, m, s) : ts;
}

function priority(raw: string | undefined): { severity?: number; facility?: string } {
  if (raw === undefined) return {};
  const pri = Number(raw);
  if (pri > 191) return {};
  return { severity: pri % 8, facility: FACILITY_NAMES[pri >> 3] };
}

function parseSyslog(line: string, ctx: ParseContext) {
  const modern = RFC5424.exec(line);
  if (modern !== null) {
    const { severity, facility } = priority(modern[1]);
    const message = (modern[8] ?? '').replace(/^\uFEFF/, '');
    const stated = severity === undefined ? findLevel(message) : SEVERITY_LEVELS[severity];
    const app = modern[4] === '-' ? undefined : modern[4];
    return parsed(
      'syslog',
      { level: stated ?? 'INFO', service: toName(app, ctx.defaultService), category: facility, message, ts: readTime(modern[2]) ?? ctx.now() },
      stated !== undefined,
      true, // a trace sent through syslog/journald comes one message per line: joinable
    );
  }
  const bsd = RFC3164.exec(line);
  if (bsd === null) return undefined;
  const { severity, facility } = priority(bsd[1]);
  const message = bsd[6];
  const stated = severity === undefined ? findLevel(message) : SEVERITY_LEVELS[severity];
  const now = ctx.now();
  const ts = bsd[2].includes('T') ? readTime(bsd[2]) : bsdTime(bsd[2], now);
  return parsed(
    'syslog',
    { level: stated ?? 'INFO', service: toName(bsd[4], ctx.defaultService), category: facility, message, ts: ts ?? now },
    stated !== undefined,
    true,
  );
}

const SHAPE = new RegExp(`^(?:<\\d{1,3}>|${BSD_TIME} \\S|${ISO_TIME} \\S+ [^\\s:]+(?:\\[\\d+\\])?: )`);

export const syslogFormat: TextFormat = {
  name: 'syslog',
  detect: (line) => SHAPE.test(line),
  parse(line, ctx) {
    // A line that only starts like syslog ("<4>oops") is read as plain text by the caller.
    return parseSyslog(line, ctx) ?? { ok: false, format: 'syslog', error: 'not a syslog line', field: 'entry' };
  },
};
