/**
 * logfmt (Go's log/slog text handler, logrus, Heroku): `time=… level=error msg="db down" service=api err="timeout"`.
 * `level`/`lvl`/`severity`, `msg`/`message`, `service`/`app`/`svc`/`component`/`logger`,
 * `time`/`ts`/`t`, `category`; every other pair is kept after the message, so nothing is lost.
 *
 * @module
 */
import { findLevel, normalizeLevel } from '../level.js';
import { parsed, readTime, toName } from './fields.js';
import type { TextFormat } from './types.js';

const PAIR = /([^\s=]+)(?:=("(?:[^"\\]|\\.)*"|\S*))?/g;
const CONSUMED = new Set(['level', 'lvl', 'severity', 'msg', 'message', 'service', 'app', 'svc', 'component', 'logger', 'time', 'ts', 't', 'category']);

function unquote(value: string): string {
  if (!value.startsWith('"')) return value;
  try {
    return JSON.parse(value) as string;
  } catch {
    // Not valid JSON escaping ("C:\path"): keep the text between the quotes as written.
    return value.slice(1, -1);
  }
}

/** The key/value pairs of a logfmt line, in order (a bare word has the value `undefined`). */
export function logfmtPairs(line: string): Map<string, string | undefined> {
  const pairs = new Map<string, string | undefined>();
  for (const match of line.matchAll(PAIR)) {
    if (!pairs.has(match[1])) pairs.set(match[1], match[2] === undefined ? undefined : unquote(match[2]));
  }
  return pairs;
}

export const logfmtFormat: TextFormat = {
  name: 'logfmt',
  // Starts with key=value and names a level or a message.
  detect: (line) => /^[\w.-]+=/.test(line) && /(?:^|\s)(?:msg|message|level|lvl)=/.test(line),
  parse(line, ctx) {
    const pairs = logfmtPairs(line);
    const get = (...keys: string[]): string | undefined => {
      for (const key of keys) {
        const value = pairs.get(key);
        if (value !== undefined && value !== '') return value;
      }
      return undefined;
    };
    const rawLevel = get('level', 'lvl', 'severity');
    const stated = rawLevel === undefined ? undefined : normalizeLevel(rawLevel) ?? findLevel(rawLevel);
    const rest: string[] = [];
    for (const [key, value] of pairs) {
      if (CONSUMED.has(key)) continue;
      if (value === undefined) rest.push(key);
      else rest.push(/[\s"]/.test(value) ? `${key}=${JSON.stringify(value)}` : `${key}=${value}`);
    }
    const message = [get('msg', 'message') ?? '', ...rest].filter((part) => part !== '').join(' ');
    const rawTime = get('time', 'ts', 't');
    const time = rawTime === undefined ? undefined : readTime(/^\d+(\.\d+)?$/.test(rawTime) ? Number(rawTime) : rawTime);
    return parsed(
      'logfmt',
      {
        level: stated ?? 'INFO',
        service: toName(get('service', 'app', 'svc', 'component', 'logger'), ctx.defaultService),
        category: get('category') === undefined ? undefined : toName(get('category'), 'GENERAL').toUpperCase(),
        message,
        ts: time ?? ctx.now(),
      },
      stated !== undefined,
    );
  },
};
