/**
 * IRC messages: parsing a line into a message, and serialising outbound messages safely.
 * Framing bytes into lines is in `framer.ts`; nothing here knows about sockets or channels.
 *
 * Rules followed (RFC 1459/2812 as modern clients use them, plus IRCv3 message tags):
 * - a line is at most 512 bytes with CRLF; IRCv3 tags are budgeted separately (4096 bytes);
 * - only the last parameter may contain spaces or start with `:`, and the serialiser adds the
 *   `:` exactly when it must;
 * - every parameter the server emits goes through {@link sanitizeText}: IRC has no escaping,
 *   so a CR or LF in a nick, topic or reason would forge a line with the server's authority.
 *
 * @module
 */
import { sanitizeText, truncateUtf8 } from './text.js';

/** Longest line without its CRLF, tags excluded: 512 - 2. */
export const MAX_LINE_BYTES = 510;
/** Longest IRCv3 tag section accepted, from `@` to the space after it. */
export const MAX_TAG_BYTES = 4096;

/** A parsed IRC message. */
export interface IrcMessage {
  /** IRCv3 message tags (unescaped); empty when there are none. */
  readonly tags: ReadonlyMap<string, string>;
  /** The `:source` prefix without its colon, if any. */
  readonly source: string | undefined;
  /** The command, upper-cased; a numeric stays as its three digits. */
  readonly command: string;
  /** The parameters, the trailing one last (without its colon). */
  readonly params: readonly string[];
}

const NO_TAGS: ReadonlyMap<string, string> = new Map();
const COMMAND = /^(?:[A-Za-z]+|\d{3})$/;

/**
 * Parses one line (without its line ending). Runs of spaces separate parameters, a parameter
 * that starts with `:` runs to the end of the line, and tag values are unescaped as IRCv3
 * says (`\:` `;`, `\s` space, `\\` backslash, `\r`, `\n`; any other escaped character stands for
 * itself).
 *
 * @returns the message, or `undefined` for a blank line or one without a valid command.
 * @example
 * ```ts
 * parseMessage('@time=x :nick!u@h PRIVMSG #logs-all :hello there');
 * // { tags: Map { time → 'x' }, source: 'nick!u@h', command: 'PRIVMSG', params: ['#logs-all', 'hello there'] }
 * ```
 */
export function parseMessage(line: string): IrcMessage | undefined {
  let i = 0;
  const n = line.length;
  const skipSpaces = (): void => {
    while (i < n && line.charCodeAt(i) === 0x20) i++;
  };
  const word = (): string => {
    const start = i;
    while (i < n && line.charCodeAt(i) !== 0x20) i++;
    return line.slice(start, i);
  };

  skipSpaces();
  let tags = NO_TAGS;
  if (line.charCodeAt(i) === 0x40 /* @ */) {
    i++;
    tags = parseTags(word());
    skipSpaces();
  }
  let source: string | undefined;
  if (line.charCodeAt(i) === 0x3a /* : */) {
    i++;
    source = word();
    skipSpaces();
  }
  const command = word();
  if (!COMMAND.test(command)) return undefined;

  const params: string[] = [];
  for (;;) {
    skipSpaces();
    if (i >= n) break;
    if (line.charCodeAt(i) === 0x3a) {
      params.push(line.slice(i + 1));
      break;
    }
    params.push(word());
  }
  return { tags, source, command: command.toUpperCase(), params };
}

const TAG_ESCAPES: Readonly<Record<string, string>> = { ':': ';', s: ' ', '\\': '\\', r: '\r', n: '\n' };

function parseTags(text: string): ReadonlyMap<string, string> {
  const tags = new Map<string, string>();
  for (const pair of text.split(';')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = eq === -1 ? pair : pair.slice(0, eq);
    const raw = eq === -1 ? '' : pair.slice(eq + 1);
    const value = raw.replace(/\\(.?)/g, (_match, c: string) => TAG_ESCAPES[c] ?? c);
    if (key !== '') tags.set(key, value);
  }
  return tags;
}

/** An outbound message, before serialisation. */
export interface OutboundMessage {
  /** Prefix without the colon, e.g. the server name or `nick!user@host`. */
  readonly source?: string;
  /** Command or three-digit numeric. */
  readonly command: string;
  /** Parameters; only the last may contain spaces. */
  readonly params?: readonly string[];
  /** Always mark the last parameter with `:` (message text, reasons, PONG tokens). @default false */
  readonly colon?: boolean;
  /**
   * Send the last parameter as a CTCP ACTION (`/me`): sanitised like any text, then wrapped in
   * `\x01ACTION …\x01` — the one CTCP the server lets users relay. @default false
   */
  readonly action?: boolean;
}

/**
 * Serialises a message as one line with CRLF, at most 512 bytes.
 *
 * Every parameter and the source are passed through {@link sanitizeText}. A middle parameter
 * cannot hold a space, start with `:` or be empty, so spaces are removed from it, leading
 * colons too, and an empty one becomes `*`. The last parameter gets a `:` when it is empty,
 * contains a space or starts with `:`. A line that would exceed 512 bytes has its last
 * parameter cut at a UTF-8 character boundary.
 *
 * @example
 * ```ts
 * formatMessage({ source: 'irc.example', command: '001', params: ['ann', 'Welcome ann'] });
 * // ':irc.example 001 ann :Welcome ann\r\n'
 * formatMessage({ command: 'PRIVMSG', params: ['#c', 'evil\r\nQUIT'] }); // 'PRIVMSG #c :evil QUIT\r\n'
 * ```
 */
export function formatMessage(message: OutboundMessage): string {
  let head = '';
  if (message.source !== undefined) head = `:${middle(message.source)} `;
  head += middle(message.command);
  const params = message.params ?? [];
  const last = params.length - 1;
  for (let p = 0; p < last; p++) head += ` ${middle(params[p])}`;
  if (last < 0) return `${head}\r\n`;

  const trailing = sanitizeText(params[last]);
  const needsColon =
    message.colon === true || message.action === true || trailing === '' || trailing.includes(' ') || trailing.charCodeAt(0) === 0x3a;
  head += needsColon ? ' :' : ' ';
  if (message.action === true) {
    const budget = MAX_LINE_BYTES - Buffer.byteLength(head, 'utf8') - 9; // "\x01ACTION " and "\x01"
    return `${head}\x01ACTION ${truncateUtf8(trailing, Math.max(0, budget))}\x01\r\n`;
  }
  const budget = MAX_LINE_BYTES - Buffer.byteLength(head, 'utf8');
  return `${head}${truncateUtf8(trailing, Math.max(0, budget))}\r\n`;
}

/** A middle parameter: sanitised, no spaces, no leading colon, never empty. */
function middle(value: string): string {
  const cleaned = sanitizeText(value).replace(/ +/g, '').replace(/^:+/, '');
  return cleaned === '' ? '*' : cleaned;
}
