/**
 * Rendering log entries as IRC lines, safely.
 *
 * Untrusted text goes through `sanitizeText` (irc/text.ts) first; colour is applied
 * afterwards, deliberately, by level; and long or multi-line messages become several lines,
 * each within IRC's 512 bytes.
 *
 * Each line is rendered once into a `Buffer` that every member of the channel shares.
 *
 * @module
 */
import { IRC_LINE_BYTES, formatServerTime, sanitizeText, splitUtf8 } from '../irc/text.js';
import type { LogEntry } from './entry.js';
import type { LogLevel } from './level.js';

/** Options of {@link formatLogText} and {@link renderEntry}. */
export interface RenderOptions {
  /**
   * Colour the `[LEVEL]` tag with mIRC colour codes. The codes are added after the text has
   * been sanitised, so a producer can never choose colours or hide text.
   *
   * @default true
   */
  colour?: boolean;
  /**
   * Text put before the `[LEVEL]` tag of every line, e.g. `[history 20:51:03Z]` for replayed
   * lines that a client cannot otherwise tell from live ones. Sanitised like the message.
   *
   * @default none
   */
  marker?: string;
}

// mIRC colour numbers chosen to read on dark and light backgrounds alike. Two digits always,
// so a digit that follows can never be taken as part of the code.
const LEVEL_STYLE: Readonly<Record<LogLevel, string>> = {
  TRACE: '\x0314', // grey
  DEBUG: '\x0310', // teal
  INFO: '\x0303', // green
  NOTICE: '\x0312', // blue
  WARNING: '\x0307', // orange
  ERROR: '\x0304', // red
  CRITICAL: '\x02\x0304', // bold red
  FATAL: '\x02\x0300,04', // bold white on red
};
const RESET = '\x0F';

/**
 * The `[LEVEL] service/category: ` part that starts every line of an entry. Service and
 * category are shown as the entry has them (`api/HTTP`, `Billing/DATABASE`: their case is
 * information); the category is left out when it is the default `GENERAL`.
 */
function formatPrefix(entry: LogEntry, colour: boolean, marker = ''): string {
  const level = sanitizeText(entry.level);
  const tag = colour && Object.hasOwn(LEVEL_STYLE, level) ? `${LEVEL_STYLE[level as LogLevel]}[${level}]${RESET}` : `[${level}]`;
  const category = sanitizeText(entry.category);
  const where =
    category === '' || category === 'GENERAL'
      ? sanitizeText(entry.service)
      : `${sanitizeText(entry.service)}/${category}`;
  return `${marker === '' ? '' : `${sanitizeText(marker)} `}${tag} ${where}: `;
}

/**
 * The one-line text of an entry: `[ERROR] payments/DATABASE: connection refused`. The message
 * is sanitised (line breaks become spaces; use {@link renderEntry} to get one IRC line per
 * message line) and the level tag is coloured by level unless `{ colour: false }`.
 *
 * @example
 * ```ts
 * formatLogText({ level: 'ERROR', service: 'payments', category: 'DATABASE', message: 'down', ts: 0 }, { colour: false });
 * // '[ERROR] payments/DATABASE: down'
 * ```
 */
export function formatLogText(entry: LogEntry, options: RenderOptions = {}): string {
  return formatPrefix(entry, options.colour ?? true) + sanitizeText(entry.message);
}

/**
 * One rendered IRC line, encoded once and shared by every member of the channel. `plain`
 * is a view into `tagged`, so both cost one allocation.
 */
export interface RenderedLine {
  /** `:<source> PRIVMSG <channel> :<text>\r\n`, at most 512 bytes. */
  readonly plain: Buffer;
  /** `@time=<iso> ` followed by `plain`, for clients that negotiated `server-time`. */
  readonly tagged: Buffer;
}

const LINE_BREAK = /\r\n|[\r\n\u2028\u2029]/;
// Channel names and the source are single IRC words.
const SPACES = / +/g;
// Shortest text budget worth sending: a prefix that leaves less is a configuration mistake.
const MIN_TEXT_BYTES = 64;

/**
 * Renders an entry as PRIVMSG lines from `source` to `channel`: one line per line of the
 * message (blank lines skipped), each split with {@link splitUtf8} so that every `plain` line
 * is at most 512 bytes including CRLF, each starting with the `[LEVEL] service: ` prefix.
 * `channel` and `source` are sanitised and their spaces removed, so they cannot inject either.
 *
 * @param channel - the target, e.g. `#logs-error`.
 * @param source - the sender prefix, e.g. `logcaster!logcaster@logcaster.local`.
 * @throws RangeError when `channel` or `source` is empty after sanitising, or so long that less
 *   than 64 bytes per line would be left for the text.
 * @example
 * ```ts
 * const [line] = renderEntry(entry, '#logs-all', 'logcaster!bot@localhost');
 * socket.write(client.serverTime ? line.tagged : line.plain);
 * ```
 */
export function renderEntry(
  entry: LogEntry,
  channel: string,
  source: string,
  options: RenderOptions = {},
): RenderedLine[] {
  const target = sanitizeText(channel).replace(SPACES, '');
  const from = sanitizeText(source).replace(SPACES, '');
  if (target === '') throw new RangeError(`channel must not be empty after sanitising (got ${JSON.stringify(channel)})`);
  if (from === '') throw new RangeError(`source must not be empty after sanitising (got ${JSON.stringify(source)})`);

  const head = `:${from} PRIVMSG ${target} :`;
  const prefix = formatPrefix(entry, options.colour ?? true, options.marker);
  const textBudget = IRC_LINE_BYTES - 2 - Buffer.byteLength(head, 'utf8') - Buffer.byteLength(prefix, 'utf8');
  if (textBudget < MIN_TEXT_BYTES) {
    throw new RangeError(
      `source and channel leave only ${textBudget} bytes of text per line (need >= ${MIN_TEXT_BYTES}); got source ${JSON.stringify(from)}, channel ${JSON.stringify(target)}`,
    );
  }
  const tag = `@time=${formatServerTime(entry.ts)} `;
  const tagBytes = Buffer.byteLength(tag, 'utf8');

  const lines: RenderedLine[] = [];
  const messageLines = entry.message.split(LINE_BREAK);
  for (let l = 0; l < messageLines.length; l++) {
    const text = sanitizeText(messageLines[l]);
    if (text.trim() === '') continue;
    const pieces = splitUtf8(text, textBudget);
    for (let p = 0; p < pieces.length; p++) {
      const tagged = Buffer.from(`${tag}${head}${prefix}${pieces[p]}\r\n`, 'utf8');
      lines.push(Object.freeze({ plain: tagged.subarray(tagBytes), tagged }));
    }
  }
  if (lines.length === 0) {
    // An empty or blank message still shows that something was logged.
    const tagged = Buffer.from(`${tag}${head}${prefix}\r\n`, 'utf8');
    lines.push(Object.freeze({ plain: tagged.subarray(tagBytes), tagged }));
  }
  return lines;
}
