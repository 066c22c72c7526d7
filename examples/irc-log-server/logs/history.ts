/**
 * The join backlog: the last lines of every log channel, so a person who joins `#logs-error`
 * sees the recent errors first instead of nothing until the next one.
 *
 * One broker subscription on every topic records entries as they are delivered on this node
 * (with `--redis`, entries from every node arrive through the bridge, so each node's history
 * holds every node's lines from the moment it started). Memory is bounded and counted:
 * - a ring of `perChannel` entries per filtered-channel topic (`channels/<name>`);
 * - one shared ring of the last `patternBacklog` entries on `logs/<service>/<LEVEL>`, which a
 *   pattern channel (`#logs/*\/ERROR`) filters on join.
 *
 * @module
 */
import type { PubSubBroker, Subscription } from 'logcaster';
import type { LogEntry } from './entry.js';

/** Counters of a {@link LogHistory}. */
export interface HistoryStats {
  /** Entries held now, over all rings (an entry in two rings counts twice). */
  entries: number;
  /** Approximate bytes those entries take. */
  bytes: number;
  /** Entries pushed out of a ring by its bound. */
  evicted: number;
  /** Lines replayed to joining members. */
  replayed: number;
}

/** Options of {@link LogHistory}. */
export interface LogHistoryOptions {
  /** The broker to record from. */
  broker: PubSubBroker<LogEntry>;
  /** Entries kept per filtered channel, and the most a join replays. Range: 1–1000. @default 20 */
  perChannel?: number;
  /** Entries kept for pattern channels to filter. Minimum: perChannel. @default min(perChannel × 50, 5000) */
  patternBacklog?: number;
}

// A rough per-entry cost: the object, the message's UTF-16 code units, the names.
function sizeOf(entry: LogEntry): number {
  return 96 + 2 * (entry.message.length + entry.service.length + entry.category.length);
}

/** An entry and the topic it was published on. */
interface Slot {
  readonly entry: LogEntry;
  readonly topic: string;
}

/** A fixed-size ring of entries, oldest overwritten first. */
class Ring {
  private readonly items: (Slot | undefined)[];
  private next = 0;
  size = 0;
  bytes = 0;

  constructor(readonly capacity: number) {
    this.items = new Array<Slot | undefined>(capacity);
  }

  /** Adds `entry`; returns whether an older entry was evicted. */
  push(entry: LogEntry, topic: string): boolean {
    const old = this.items[this.next];
    this.items[this.next] = { entry, topic };
    this.next = (this.next + 1) % this.capacity;
    this.bytes += sizeOf(entry);
    if (old === undefined) {
      this.size++;
      return false;
    }
    this.bytes -= sizeOf(old.entry);
    return true;
  }

  /** The slots, oldest first. */
  toArray(): Slot[] {
    const out: Slot[] = [];
    for (let i = 0; i < this.size; i++) {
      const item = this.items[(this.next - this.size + i + this.capacity) % this.capacity];
      if (item !== undefined) out.push(item);
    }
    return out;
  }
}

/**
 * Recent entries per channel pattern, bounded. Create it before entries flow; {@link recent}
 * answers a channel's backlog on join.
 *
 * @example
 * ```ts
 * const history = new LogHistory({ broker, perChannel: 20 });
 * history.recent('channels/logs-error'); // the last 20 entries of #logs-error, oldest first
 * history.recent('logs/*\/ERROR');         // the last ERROR entries of any service
 * ```
 */
export class LogHistory {
  /** Entries a join replays at most. */
  readonly perChannel: number;
  private readonly rings = new Map<string, Ring>();
  private readonly shared: Ring;
  private readonly subscription: Subscription<LogEntry>;
  private readonly broker: PubSubBroker<LogEntry>;
  private evicted = 0;
  private replayed = 0;

  /** @throws RangeError for a bad `perChannel` or `patternBacklog`. */
  constructor(options: LogHistoryOptions) {
    const perChannel = options.perChannel ?? 20;
    if (!Number.isInteger(perChannel) || perChannel < 1 || perChannel > 1000) {
      throw new RangeError(`perChannel must be an integer in [1, 1000] (got ${perChannel})`);
    }
    const backlog = options.patternBacklog ?? Math.min(perChannel * 50, 5000);
    if (!Number.isInteger(backlog) || backlog < perChannel) {
      throw new RangeError(`patternBacklog must be an integer >= perChannel (got ${backlog})`);
    }
    this.perChannel = perChannel;
    this.broker = options.broker;
    this.shared = new Ring(backlog);
    const all = this.broker.syntax.multiLevelWildcard;
    this.subscription = this.broker.subscribe(all, (entry, topic) => this.record(topic, entry));
  }

  /** The broker subscription it holds (one, on every topic). */
  get subscriptions(): number {
    return this.subscription.active ? 1 : 0;
  }

  /** A snapshot of the counters. */
  stats(): HistoryStats {
    let entries = this.shared.size;
    let bytes = this.shared.bytes;
    for (const ring of this.rings.values()) {
      entries += ring.size;
      bytes += ring.bytes;
    }
    return { entries, bytes, evicted: this.evicted, replayed: this.replayed };
  }

  /**
   * The last entries (at most `perChannel`, oldest first) that a channel subscribed to
   * `pattern` received: a filtered channel's own ring, or the shared ring filtered by the
   * pattern for pattern channels.
   */
  recent(pattern: string): LogEntry[] {
    const ring = this.rings.get(pattern);
    if (ring !== undefined) return ring.toArray().map((slot) => slot.entry);
    const matches: LogEntry[] = [];
    const all = this.shared.toArray();
    for (let i = all.length - 1; i >= 0 && matches.length < this.perChannel; i--) {
      if (topicMatches(pattern, all[i].topic, this.broker.syntax)) matches.push(all[i].entry);
    }
    return matches.reverse();
  }

  /** Counts lines replayed to a joining member. */
  countReplayed(lines: number): void {
    this.replayed += lines;
  }

  /** Stops recording and forgets everything. */
  close(): void {
    this.subscription.unsubscribe();
    this.rings.clear();
  }

  private record(topic: string, entry: LogEntry): void {
    if (topic.startsWith('channels/')) {
      let ring = this.rings.get(topic);
      if (ring === undefined) {
        // Only the fixed filtered channels publish here, so the map stays small.
        ring = new Ring(this.perChannel);
        this.rings.set(topic, ring);
      }
      if (ring.push(entry, topic)) this.evicted++;
      return;
    }
    // The broker also carries chat (`chat/…`): only log topics belong in the backlog.
    if (!topic.startsWith('logs/')) return;
    if (this.shared.push(entry, topic)) this.evicted++;
  }
}

/** Whether `topic` matches `pattern` under the broker's syntax (`*` one level, `#` the rest). */
export function topicMatches(
  pattern: string,
  topic: string,
  syntax: { readonly separator: string; readonly singleLevelWildcard: string; readonly multiLevelWildcard: string },
): boolean {
  const p = pattern.split(syntax.separator);
  const t = topic.split(syntax.separator);
  for (let i = 0; i < p.length; i++) {
    if (p[i] === syntax.multiLevelWildcard) return true;
    if (i >= t.length) return false;
    if (p[i] !== syntax.singleLevelWildcard && p[i] !== t[i]) return false;
  }
  return p.length === t.length;
}
