/**
 * Server-Sent Events framing, injection-safe by construction.
 *
 * An SSE stream is text where CR, LF or CRLF end a field and an empty line ends an event, so a
 * producer's message containing `\n\ndata: …` must never reach the stream raw. Every event
 * here is `event: <name>` (a name from {@link SseEventName}, never from input), an optional
 * `id: <n>` (digits), and ONE `data:` line holding `JSON.stringify` of the payload. JSON
 * escapes CR and LF (`\r`, `\n`) and every other control character, so no field of an entry
 * can end a line, let alone an event; U+2028/U+2029, which JSON leaves raw, are not line ends
 * in SSE. {@link assertSingleLine} checks that anyway, because a framing bug here would be a
 * security bug.
 *
 * @module
 */
import { removeBidiControls } from '../irc/text.js';
import type { LogEntry } from '../logs/entry.js';

/**
 * The events a viewer receives:
 * - `hello`: once, first: what the stream carries and its limits; `resumed` says whether the
 *   stream continues from the browser's `Last-Event-ID`, `backlog` how many of the `entry`
 *   events that follow come from the history (before this connection) rather than live;
 * - `entry`: one log entry, `{ level, service, category, message, ts }`, with an `id:` (the
 *   history's id, digits only) when the server keeps history;
 * - `skipped`: `{ count, total }` — `count` lines fell out of this viewer's queue right here
 *   because it was not reading fast enough (`total` since it connected); or, right after
 *   `hello` on a resume, `{ count, reason: 'history' }` — `count` lines (a number, or
 *   `"unknown"`) the browser missed while disconnected that the history no longer holds.
 */
export type SseEventName = 'hello' | 'entry' | 'skipped';

const LINE_END = /[\r\n]/;

/**
 * Throws when `text` contains CR or LF. `JSON.stringify` never produces them; this guards
 * the invariant the framing relies on.
 *
 * @throws Error naming the field.
 */
export function assertSingleLine(text: string, what: string): string {
  if (LINE_END.test(text)) throw new Error(`SSE ${what} must not contain CR or LF`);
  return text;
}

/**
 * One SSE event: `event: <name>\n[id: <id>\n]data: <json>\n\n`.
 *
 * @param id - a non-negative safe integer for `Last-Event-ID`, if the event has one.
 * @throws RangeError for a bad `id`.
 * @example
 * ```ts
 * sseEvent('skipped', { count: 3, total: 3 }); // 'event: skipped\ndata: {"count":3,"total":3}\n\n'
 * ```
 */
export function sseEvent(name: SseEventName, data: unknown, id?: number): string {
  let head = `event: ${name}\n`;
  if (id !== undefined) {
    if (!Number.isSafeInteger(id) || id < 0) throw new RangeError(`id must be a non-negative safe integer (got ${String(id)})`);
    head += `id: ${id}\n`;
  }
  return `${head}data: ${assertSingleLine(JSON.stringify(data), 'data')}\n\n`;
}

/**
 * An SSE comment line (`: text`), ignored by browsers: a heartbeat that keeps proxies and
 * idle timers from closing a quiet stream.
 */
export function sseComment(text: string): string {
  return `: ${assertSingleLine(text, 'comment')}\n\n`;
}

/** How often the retry hint tells a browser to wait before reconnecting, in ms. */
export const SSE_RETRY_MS = 2000;

// One encoded frame per entry, shared by every viewer that receives it: an entry goes to
// many viewers, and JSON.stringify of an 8 KiB message is the costly part of sending it.
const entryFrames = new WeakMap<LogEntry, Buffer>();

/**
 * The `entry` event of a log entry, encoded once per entry (cached while the entry lives) and
 * shared by every viewer.
 *
 * @param id - the entry's history id (one entry always has the same id), if there is a history.
 */
export function entryFrame(entry: LogEntry, id?: number): Buffer {
  let frame = entryFrames.get(entry);
  if (frame === undefined) {
    const { level, ts } = entry;
    // Bidi controls would reorder what any viewer shows (the page, `curl -N` in a terminal):
    // removed, as the IRC side does; line breaks stay (a stack trace keeps its lines).
    const [service, category, message] = [removeBidiControls(entry.service), removeBidiControls(entry.category), removeBidiControls(entry.message)];
    frame = Buffer.from(sseEvent('entry', { level, service, category, message, ts }, id), 'utf8');
    entryFrames.set(entry, frame);
  }
  return frame;
}
