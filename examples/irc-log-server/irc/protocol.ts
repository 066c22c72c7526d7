/**
 * The IRC wire format: framing inbound bytes into lines, parsing a line into a message, and
 * serialising outbound messages safely. Nothing here knows about sockets or channels.
 *
 * Rules followed (RFC 1459/2812 as modern clients use them, plus IRCv3 message tags):
 * - a line is at most 512 bytes with CRLF; IRCv3 tags are budgeted separately (4096 bytes);
 * - CR, LF or CRLF ends a line; empty lines are ignored; TCP may cut anywhere, even inside a
 *   UTF-8 character, so framing works on bytes and decodes whole lines only;
 * - only the last parameter may contain spaces or start with `:`, and the serialiser adds the
 *   `:` exactly when it must;
 * - every parameter the server emits goes through {@link sanitizeText}: IRC has no escaping,
 *   so a CR or LF in a nick, topic or reason would forge a line with the server's authority.
 *
 * @module
 */
import { sanitizeText, truncateUtf8 } from '../logs/render.js';

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

/** Events of a {@link LineFramer}. */
export interface LineFramerHandlers {
  /** A complete line, line ending removed, never empty, within the limits. */
  line(line: Buffer): void;
  /** A line over the limits was discarded (once per such line). */
  tooLong(): void;
}

/**
 * Cuts a byte stream into IRC lines. CR, LF and CRLF all end a line (so a lone CR can never
 * smuggle a second command into one line), empty lines are skipped, and a line whose tags
 * exceed {@link MAX_TAG_BYTES} or whose rest exceeds {@link MAX_LINE_BYTES} is reported as too
 * long instead of delivered. At most `maxPendingBytes` of an unterminated line are kept:
 * beyond that the line is discarded up to its end (and reported once), so memory stays
 * bounded whatever a peer sends.
 *
 * @example
 * ```ts
 * const framer = new LineFramer({ line: (b) => console.log(b.toString()), tooLong: () => {} });
 * framer.push(Buffer.from('NICK a\r\nUS'));
 * framer.push(Buffer.from('ER a 0 * :A\n')); // logs 'NICK a', then 'USER a 0 * :A'
 * ```
 */
export class LineFramer {
  private readonly handlers: LineFramerHandlers;
  private readonly maxPendingBytes: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private discarding = false;

  /**
   * @param maxPendingBytes - bytes of an unterminated line kept before it is discarded.
   *   Minimum: {@link MAX_LINE_BYTES} + {@link MAX_TAG_BYTES}. @default 8192
   * @throws RangeError when `maxPendingBytes` is too small to hold a legal line.
   */
  constructor(handlers: LineFramerHandlers, maxPendingBytes = 8192) {
    if (!Number.isSafeInteger(maxPendingBytes) || maxPendingBytes < MAX_LINE_BYTES + MAX_TAG_BYTES) {
      throw new RangeError(`maxPendingBytes must be an integer >= ${MAX_LINE_BYTES + MAX_TAG_BYTES} (got ${maxPendingBytes})`);
    }
    this.handlers = handlers;
    this.maxPendingBytes = maxPendingBytes;
  }

  /** Bytes of the current unterminated line held in memory. */
  get buffered(): number {
    return this.pendingBytes;
  }

  /** Feeds bytes; calls the handlers synchronously for every line completed. */
  push(chunk: Buffer): void {
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b !== 0x0a && b !== 0x0d) continue;
      this.finish(chunk.subarray(start, i));
      start = i + 1;
    }
    if (start < chunk.length) this.hold(chunk.subarray(start));
  }

  private hold(part: Buffer): void {
    if (this.discarding) return;
    if (this.pendingBytes + part.length > this.maxPendingBytes) {
      this.pending = [];
      this.pendingBytes = 0;
      this.discarding = true;
      return;
    }
    // Copy: the chunk's memory belongs to the socket's read path.
    this.pending.push(Buffer.from(part));
    this.pendingBytes += part.length;
  }

  private finish(tail: Buffer): void {
    if (this.discarding) {
      this.discarding = false;
      this.handlers.tooLong();
      return;
    }
    let line = tail;
    if (this.pendingBytes > 0) {
      this.pending.push(tail);
      line = Buffer.concat(this.pending, this.pendingBytes + tail.length);
      this.pending = [];
      this.pendingBytes = 0;
    }
    if (line.length === 0) return;
    if (isTooLong(line)) this.handlers.tooLong();
    else this.handlers.line(line);
  }
}

function isTooLong(line: Buffer): boolean {
  let rest = line.length;
  if (line[0] === 0x40 /* @ */) {
    const space = line.indexOf(0x20);
    const tagBytes = space === -1 ? line.length : space + 1;
    if (tagBytes > MAX_TAG_BYTES) return true;
    rest -= tagBytes;
  }
  return rest > MAX_LINE_BYTES;
}

/**
 * Case-folds a nick or channel name under `CASEMAPPING=ascii`: only `A`–`Z` change.
 *
 * @example
 * ```ts
 * foldCase('Ann[1]'); // 'ann[1]'
 * ```
 */
export function foldCase(name: string): string {
  return /[A-Z]/.test(name) ? name.replace(/[A-Z]+/g, (s) => s.toLowerCase()) : name;
}

const NICK = /^[A-Za-z[\]\\`_^{|}][A-Za-z0-9[\]\\`_^{|}-]*$/;

/**
 * Whether `nick` is a valid nickname: a letter or one of `[]\`_^{|}` first, then letters,
 * digits, those specials or `-`, at most `maxLength` characters.
 *
 * @example
 * ```ts
 * isValidNick('ann', 30); // true
 * isValidNick('*', 30);   // false
 * ```
 */
export function isValidNick(nick: string, maxLength: number): boolean {
  return nick.length > 0 && nick.length <= maxLength && NICK.test(nick);
}

/**
 * The numeric replies and errors the server sends, by their RFC names. The values are the
 * three-digit codes as they appear on the wire.
 */
export const Numeric = {
  RPL_WELCOME: '001',
  RPL_YOURHOST: '002',
  RPL_CREATED: '003',
  RPL_MYINFO: '004',
  RPL_ISUPPORT: '005',
  RPL_UMODEIS: '221',
  RPL_LUSERCLIENT: '251',
  RPL_LUSERCHANNELS: '254',
  RPL_LUSERME: '255',
  RPL_AWAY: '301',
  RPL_USERHOST: '302',
  RPL_ISON: '303',
  RPL_UNAWAY: '305',
  RPL_NOWAWAY: '306',
  RPL_WHOISUSER: '311',
  RPL_WHOISSERVER: '312',
  RPL_ENDOFWHO: '315',
  RPL_ENDOFWHOIS: '318',
  RPL_WHOISCHANNELS: '319',
  RPL_LISTSTART: '321',
  RPL_LIST: '322',
  RPL_LISTEND: '323',
  RPL_CHANNELMODEIS: '324',
  RPL_CREATIONTIME: '329',
  RPL_NOTOPIC: '331',
  RPL_TOPIC: '332',
  RPL_TOPICWHOTIME: '333',
  RPL_VERSION: '351',
  RPL_WHOREPLY: '352',
  RPL_NAMREPLY: '353',
  RPL_ENDOFNAMES: '366',
  RPL_ENDOFBANLIST: '368',
  RPL_MOTD: '372',
  RPL_MOTDSTART: '375',
  RPL_ENDOFMOTD: '376',
  ERR_NOSUCHNICK: '401',
  ERR_NOSUCHCHANNEL: '403',
  ERR_CANNOTSENDTOCHAN: '404',
  ERR_TOOMANYCHANNELS: '405',
  ERR_NOORIGIN: '409',
  ERR_INVALIDCAPCMD: '410',
  ERR_NORECIPIENT: '411',
  ERR_NOTEXTTOSEND: '412',
  ERR_INPUTTOOLONG: '417',
  ERR_UNKNOWNCOMMAND: '421',
  ERR_NOMOTD: '422',
  ERR_NONICKNAMEGIVEN: '431',
  ERR_ERRONEUSNICKNAME: '432',
  ERR_NICKNAMEINUSE: '433',
  ERR_NOTONCHANNEL: '442',
  ERR_NOTREGISTERED: '451',
  ERR_NEEDMOREPARAMS: '461',
  ERR_ALREADYREGISTERED: '462',
  ERR_PASSWDMISMATCH: '464',
  ERR_BADCHANMASK: '476',
  ERR_CHANOPRIVSNEEDED: '482',
  ERR_UMODEUNKNOWNFLAG: '501',
  ERR_USERSDONTMATCH: '502',
} as const;

/** One of the {@link Numeric} codes. */
export type NumericCode = (typeof Numeric)[keyof typeof Numeric];
