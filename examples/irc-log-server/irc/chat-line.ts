/**
 * What users say to each other, as it travels and as it is written out. A {@link ChatEvent}
 * is plain data (it crosses nodes as JSON); {@link ChatLines} encodes it once per variant a
 * recipient can need: with or without `@time=` (server-time), and with or without `msgid` and
 * the client tags (message-tags).
 *
 * Tags follow IRCv3's two budgets: the sender's client tags may fill the 4,094 bytes of tag
 * data a client may send, and the server's own (`time`, `msgid`) have their own 510 bytes,
 * written first; so a message accepted with its tags is relayed with all of them.
 *
 * User text is relayed as sent, CTCP (`\x01`) and formatting codes included: only what
 * would break the line itself (NUL, CR, LF) is replaced. Log text is another matter and is
 * fully sanitised on the log side.
 *
 * @module
 */
import { nodeCrypto } from '../node-crypto.js';
import type { Client } from './client.js';
import { MAX_LINE_BYTES, MAX_TAG_BYTES, formatMessage } from './message.js';
import { CHAT_PRIORITY, type OutLine } from './client.js';
import { formatServerTime, truncateUtf8 } from './text.js';

/** One message a user sent, as every node needs it. */
export interface ChatEvent {
  readonly kind: 'chat';
  /** The node the sender is on. */
  readonly node: string;
  /** The sender's connection id on that node (so it is not sent its own line back). */
  readonly from: string;
  /** `nick!user@host` of the sender. */
  readonly source: string;
  readonly command: 'PRIVMSG' | 'NOTICE' | 'TAGMSG';
  /** The channel name or nick, as shown to the recipients. */
  readonly target: string;
  /** The text; empty for TAGMSG. */
  readonly text: string;
  /** Client-only tags (`+name=value`, escaped, `;`-joined); empty when none. */
  readonly clientTags: string;
  /**
   * The IRCv3 `msgid`: unique on the network, the same for every recipient, on every node, and
   * in the sender's echo (see {@link newMsgid}).
   */
  readonly msgid: string;
  /** When the server received it, ms since the epoch (`server-time`). */
  readonly time: number;
}

// Keeps CTCP and formatting; a line break or NUL would end or corrupt the line.
const LINE_BREAKERS = /[\r\n]+|\0/g;

/** Makes user text safe for one line without otherwise changing it (CTCP passes through). */
export function sanitizeChat(text: string): string {
  return text.replace(LINE_BREAKERS, (match) => (match === '\0' ? '' : ' ')).replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

const CLIENT_TAG_KEY = /^\+[A-Za-z0-9][A-Za-z0-9./-]*$/;
const TAG_VALUE_ESCAPES: Readonly<Record<string, string>> = { ';': '\\:', ' ': '\\s', '\\': '\\\\', '\r': '\\r', '\n': '\\n' };

/** A tag value as IRCv3 escapes it on the wire. */
function escapeTagValue(value: string): string {
  return value.replace(/[; \\\r\n]/g, (c) => TAG_VALUE_ESCAPES[c] ?? c);
}

/** Tag data a client may send (IRCv3): the tag section less its `@` and trailing space. */
const MAX_CLIENT_TAG_DATA = MAX_TAG_BYTES - 2;

/**
 * The client-only tags (`+…`) of an incoming message, re-escaped for relaying; other tags
 * are the server's business and are dropped. What is kept is never longer than what the
 * client sent (re-escaping gives back at most the bytes it read), so the framer's limit on
 * the tag section keeps it within the client budget; the check below only holds that line.
 */
export function clientTagsOf(tags: ReadonlyMap<string, string>): string {
  let out = '';
  let bytes = 0;
  for (const [key, value] of tags) {
    if (!CLIENT_TAG_KEY.test(key)) continue;
    const escaped = escapeTagValue(value);
    const pair = escaped === '' ? key : `${key}=${escaped}`;
    const pairBytes = Buffer.byteLength(pair, 'utf8') + (out === '' ? 0 : 1);
    if (bytes + pairBytes > MAX_CLIENT_TAG_DATA) continue;
    out += out === '' ? pair : `;${pair}`;
    bytes += pairBytes;
  }
  return out;
}

/**
 * A fresh `msgid`: a random UUID, so ids are unique across nodes and restarts without any
 * coordination (IRCv3 message-ids lists RFC 4122 UUIDs among suitable formats).
 */
export function newMsgid(): string {
  return nodeCrypto().randomUUID();
}

/** A chat line encoded lazily, once per variant, shared by every recipient of that variant. */
export class ChatLines {
  private readonly event: ChatEvent;
  private body: string | undefined;
  private readonly variants: (OutLine | undefined)[] = [undefined, undefined, undefined, undefined];

  constructor(event: ChatEvent) {
    this.event = event;
  }

  /**
   * The line for `client`, or `undefined` when it should not get it (a TAGMSG to a client
   * without message-tags).
   */
  for(client: Client): OutLine | undefined {
    const tags = client.caps.has('message-tags');
    if (this.event.command === 'TAGMSG' && !tags) return undefined;
    const index = (client.serverTime ? 1 : 0) + (tags ? 2 : 0);
    let line = this.variants[index];
    if (line === undefined) {
      line = this.encode(client.serverTime, tags);
      this.variants[index] = line;
    }
    return line;
  }

  private encode(time: boolean, tags: boolean): OutLine {
    this.body ??= this.formatBody();
    const parts: string[] = [];
    // The server's tags first, so they are never the ones pushed past a client's limit.
    if (time) parts.push(`time=${formatServerTime(this.event.time)}`);
    if (tags) parts.push(`msgid=${escapeTagValue(this.event.msgid)}`);
    if (tags && this.event.clientTags !== '') parts.push(this.event.clientTags);
    const text = parts.length === 0 ? this.body : `@${parts.join(';')} ${this.body}`;
    return { bytes: Buffer.from(text, 'utf8'), priority: CHAT_PRIORITY };
  }

  private formatBody(): string {
    const { source, command, target, text } = this.event;
    if (command === 'TAGMSG') return formatMessage({ source, command, params: [target] });
    // The head is built by the serialiser (it sanitises source and target); the text is ours.
    const head = formatMessage({ source, command, params: [target, 'x'] }).slice(0, -4);
    const budget = MAX_LINE_BYTES - Buffer.byteLength(head, 'utf8') - 2;
    return `${head} :${truncateUtf8(sanitizeChat(text), budget)}\r\n`;
  }
}
