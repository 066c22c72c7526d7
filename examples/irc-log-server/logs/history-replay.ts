/**
 * Replaying a channel's recent lines to a member who joins ({@link JoinReplay}: from this
 * node's history, or from the backlog every node shares in Redis or NATS), marked so a person can tell
 * the backlog from live lines:
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
import { REPLY_PRIORITY, type OutLine } from '../irc/client.js';
import type { LogEntry } from './entry.js';
import type { LogHistory } from './history.js';
import { levelRank } from './level.js';
import { renderEntry } from './render.js';
import type { SharedHistory } from './stream-history.js';

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

// How long a join waits for the shared backlog (Redis, NATS) before showing the local one.
const SHARED_HISTORY_TIMEOUT_MS = 2000;
// Live entries held per joining member while its backlog is read.
const MAX_HELD_ENTRIES = 1000;

/** What identifies an entry across nodes (the shared history returns copies). */
function entryKey(entry: LogEntry): string {
  return `${entry.ts}\u0000${entry.level}\u0000${entry.service}\u0000${entry.message}`;
}

/** A channel as the replay needs it. */
export interface ReplayedChannel {
  readonly name: string;
  /** The broker pattern its history is kept under. */
  readonly pattern: string;
  /** Filtered channels read the shared backlog (with `--redis`); pattern channels the local one. */
  readonly kind: 'filtered' | 'pattern';
  readonly members: ReadonlySet<Client>;
}

/** Options of {@link JoinReplay}. */
export interface JoinReplayOptions {
  /** This node's backlog. */
  readonly history: LogHistory;
  /** The backlog every node shares (`--redis`), for filtered channels. @default none */
  readonly shared?: SharedHistory;
  readonly settings: ReplaySettings;
  /** Queues one held live entry to one member, after its backlog. */
  readonly deliverHeld: (channel: ReplayedChannel, member: Client, entry: LogEntry) => void;
}

/**
 * The backlog a member gets on join. From this node's history it is queued at once; from the
 * shared one (Redis) it arrives later, so the member's live entries are held until then (the
 * history still comes first, and an entry both in it and live is shown once). Held entries
 * are bounded per member: the oldest gives way, as a full SendQ would drop it.
 */
export class JoinReplay {
  /** Members whose shared backlog is being read, with the live entries held for them. */
  private readonly waiting = new Map<ReplayedChannel, Map<Client, LogEntry[]>>();

  constructor(private readonly options: JoinReplayOptions) {}

  /** Queues the channel's recent lines to `client`, who just joined, marked as history. */
  replay(client: Client, channel: ReplayedChannel): void {
    const { history, shared, settings } = this.options;
    if (shared === undefined || channel.kind !== 'filtered') {
      history.countReplayed(replayHistory(client, channel.name, history.recent(channel.pattern), settings));
      return;
    }
    let members = this.waiting.get(channel);
    if (members === undefined) {
      members = new Map();
      this.waiting.set(channel, members);
    }
    members.set(client, []);
    let timer: NodeJS.Timeout | undefined;
    const local = (): LogEntry[] => history.recent(channel.pattern);
    const late = new Promise<LogEntry[]>((resolve) => {
      timer = setTimeout(() => resolve(local()), SHARED_HISTORY_TIMEOUT_MS);
      timer.unref();
    });
    void Promise.race([shared.fetch(channel.pattern, history.perChannel).catch(local), late]).then((entries) => {
      clearTimeout(timer);
      const held = this.waiting.get(channel)?.get(client);
      this.forget(channel, client);
      if (held === undefined || !channel.members.has(client)) return; // left meanwhile
      history.countReplayed(replayHistory(client, channel.name, entries, settings));
      const shown = new Set(entries.map(entryKey));
      for (const entry of held) if (!shown.has(entryKey(entry))) this.options.deliverHeld(channel, client, entry);
    });
  }

  /**
   * Holds a live `entry` of `channel` for the members still waiting for their backlog.
   *
   * @returns those members (they must not get the entry now), or undefined when none waits.
   */
  hold(channel: ReplayedChannel, entry: LogEntry): ReadonlyMap<Client, unknown> | undefined {
    const waiting = this.waiting.get(channel);
    if (waiting === undefined) return undefined;
    for (const held of waiting.values()) {
      if (held.length >= MAX_HELD_ENTRIES) held.shift();
      held.push(entry);
    }
    return waiting;
  }

  /** `client` left `channel` (or got its backlog): nothing more is held for it. */
  forget(channel: ReplayedChannel, client: Client): void {
    const members = this.waiting.get(channel);
    if (members === undefined) return;
    members.delete(client);
    if (members.size === 0) this.waiting.delete(channel);
  }
}
