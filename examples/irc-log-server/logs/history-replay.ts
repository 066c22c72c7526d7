/**
 * Replaying a channel's recent lines to a member who joins, marked so a person can tell the
 * backlog from live lines:
 * - a client that negotiated `batch` gets them inside `BATCH +<ref> chathistory <channel>` …
 *   `BATCH -<ref>` (IRCv3 batch, the `chathistory` type), each line tagged `@batch=<ref>` and,
 *   with `server-time`, `time=<original time>`;
 * - any other client gets a NOTICE before and after, and each line starts with
 *   `[history HH:MM:SSZ]` (its original time, since without `server-time` the client would
 *   show the time it arrived).
 *
 * @module
 */
import type { Client } from '../irc/client.js';
import { REPLY_PRIORITY, type OutLine } from '../irc/out-line.js';
import type { LogEntry } from './entry.js';
import { levelRank } from './level.js';
import { renderEntry } from './render.js';

/** What a replay needs to know about the server. */
export interface ReplaySettings {
  /** The server's name, the source of BATCH lines and notices. */
  readonly serverName: string;
  /** `nick!user@host` of the log bot, the source of log lines. */
  readonly botMask: string;
  /** Colour the level tags. */
  readonly colour: boolean;
}

let batches = 0;

/** The `[history HH:MM:SSZ]` marker of a replayed line. */
export function historyMarker(ts: number): string {
  return `[history ${new Date(ts).toISOString().slice(11, 19)}Z]`;
}

/**
 * Queues `entries` (oldest first) to `client` as the backlog of `channel`.
 *
 * @returns the number of IRC lines queued.
 */
export function replayHistory(client: Client, channel: string, entries: readonly LogEntry[], settings: ReplaySettings): number {
  if (entries.length === 0) return 0;
  const batch = client.caps.has('batch');
  const tagged = client.serverTime;
  const marked = !(batch && tagged);
  const ref = `hist${(++batches).toString(36)}`;
  const server = settings.serverName;
  if (batch) client.send({ source: server, command: 'BATCH', params: [`+${ref}`, 'chathistory', channel] });
  else client.send({ source: server, command: 'NOTICE', params: [channel, `*** Last ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} of ${channel} (history):`], colon: true });
  let queued = 0;
  for (const entry of entries) {
    const lines = renderEntry(entry, channel, settings.botMask, { colour: settings.colour, marker: marked ? historyMarker(entry.ts) : undefined });
    const priority = levelRank(entry.level);
    for (const line of lines) {
      let bytes: Buffer;
      if (batch) bytes = tagged ? Buffer.concat([Buffer.from(`@batch=${ref};`), line.tagged.subarray(1)]) : Buffer.concat([Buffer.from(`@batch=${ref} `), line.plain]);
      else bytes = tagged ? line.tagged : line.plain;
      const out: OutLine = { bytes, priority };
      if (client.enqueue(out)) queued++;
    }
  }
  if (batch) client.send({ source: server, command: 'BATCH', params: [`-${ref}`] }, REPLY_PRIORITY);
  else client.send({ source: server, command: 'NOTICE', params: [channel, '*** End of history; live lines follow'], colon: true });
  return queued;
}
