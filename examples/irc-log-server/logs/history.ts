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
import { topicMatches, type PubSubBroker, type Subscription } from 'logcaster';
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
  /**
   * The id of the first entry recorded (ids then count up by one per entry). Starting from the
   * clock (microseconds) makes ids of a later process larger than any id an earlier one
   * handed out, so a browser resuming after a restart is told its lines are unknown instead of
   * being resumed in another numbering. @default Date.now() × 1000
   */
  firstId?: number;
}

/** What {@link LogHistory.since} answers: the held entries after an id, and what is lost before them. */
export interface HistorySince {
  /** Held entries after the id that match the pattern, oldest first, each with its id. */
  entries: { id: number; entry: LogEntry }[];
  /** Matching entries after the id that are no longer held: a count, or 'unknown'. */
  lost: number | 'unknown';
}

// A rough per-entry cost: the object, the message's UTF-16 code units, the names.
function sizeOf(entry: LogEntry): number {
  return 96 + 2 * (entry.message.length + entry.service.length + entry.category.length);
}

/** An entry and the topic it was published on. */
interface Slot {
  readonly entry: LogEntry;
  readonly topic: string;
  /** The entry's id (see {@link LogHistory.idOf}). */
  readonly seq: number;
}

/** What is left of an evicted slot: enough to count what a resume lost. */
interface Tombstone {
  readonly seq: number;
  readonly topic: string;
}

const TOMBSTONE_BYTES = 48;

/** A fixed-size ring of entries, oldest overwritten first. */
class Ring {
  private readonly items: (Slot | undefined)[];
  private next = 0;
  size = 0;
  bytes = 0;
  // The ids (and topics) of the last `capacity` evicted slots, oldest overwritten first.
  private readonly tombstones: (Tombstone | undefined)[];
  private nextTombstone = 0;
  /** The newest id whose tombstone was overwritten too: before it, losses cannot be counted. */
  forgottenThrough = -1;

  constructor(readonly capacity: number) {
    this.items = new Array<Slot | undefined>(capacity);
    this.tombstones = new Array<Tombstone | undefined>(capacity);
  }

  /** Adds `entry`; returns whether an older entry was evicted. */
  push(entry: LogEntry, topic: string, seq: number): boolean {
    const old = this.items[this.next];
    this.items[this.next] = { entry, topic, seq };
    this.next = (this.next + 1) % this.capacity;
    this.bytes += sizeOf(entry);
    if (old === undefined) {
      this.size++;
      return false;
    }
    this.bytes -= sizeOf(old.entry);
    const forgotten = this.tombstones[this.nextTombstone];
    if (forgotten === undefined) this.bytes += TOMBSTONE_BYTES;
    else this.forgottenThrough = forgotten.seq;
    this.tombstones[this.nextTombstone] = { seq: old.seq, topic: old.topic };
    this.nextTombstone = (this.nextTombstone + 1) % this.capacity;
    return true;
  }

  /** Evicted slots whose tombstone is still held (any order). */
  evictedSlots(): readonly (Tombstone | undefined)[] {
    return this.tombstones;
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
  /** The first id this history hands out, and the next. */
  readonly firstId: number;
  private nextId: number;
  private readonly ids = new WeakMap<LogEntry, number>();

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
    const firstId = options.firstId ?? Date.now() * 1000;
    if (!Number.isSafeInteger(firstId) || firstId < 1) throw new RangeError(`firstId must be a positive safe integer (got ${firstId})`);
    this.firstId = firstId;
    this.nextId = firstId;
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

  /**
   * The id of an entry this history recorded: per process, increasing in the order entries
   * were recorded, one id per entry (the same entry on `logs/…` and `channels/…` has one id).
   * `undefined` for an entry it never saw.
   */
  idOf(entry: LogEntry): number | undefined {
    return this.ids.get(entry);
  }

  /**
   * The held entries after id `afterId` that a subscription to `pattern` received (the last
   * `limit` of them, oldest first), and how many such entries are lost because the rings no
   * longer hold them: exact while the ring remembers what it evicted (one ring's worth),
   * 'unknown' before that, and for an id this history never handed out (another process's).
   * Held entries after `afterId` beyond the last `limit` count as lost too (they are not
   * returned). With no `afterId`: the last `limit` entries, nothing lost.
   */
  since(pattern: string, afterId: number | undefined, limit = Infinity): HistorySince {
    const channelTopic = pattern.startsWith('channels/');
    const ring = channelTopic ? this.rings.get(pattern) : this.shared;
    const entries: { id: number; entry: LogEntry }[] = [];
    let cut = 0;
    if (ring !== undefined) {
      const slots = ring.toArray();
      for (let i = slots.length - 1; i >= 0; i--) {
        const slot = slots[i];
        if (afterId === undefined ? entries.length >= limit : slot.seq <= afterId) break;
        if (!channelTopic && !topicMatches(pattern, slot.topic, this.broker.syntax)) continue;
        if (entries.length < limit) entries.push({ id: slot.seq, entry: slot.entry });
        else cut++;
      }
      entries.reverse();
    }
    if (afterId === undefined) return { entries, lost: 0 };
    if (afterId < this.firstId || afterId >= this.nextId) return { entries, lost: 'unknown' };
    if (ring === undefined) return { entries, lost: cut };
    if (afterId < ring.forgottenThrough) return { entries, lost: 'unknown' };
    let lost = cut;
    for (const tombstone of ring.evictedSlots()) {
      if (tombstone === undefined || tombstone.seq <= afterId) continue;
      if (channelTopic || topicMatches(pattern, tombstone.topic, this.broker.syntax)) lost++;
    }
    return { entries, lost };
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

  // The entry's id, given when it is first recorded.
  private seqOf(entry: LogEntry): number {
    let seq = this.ids.get(entry);
    if (seq === undefined) {
      seq = this.nextId++;
      this.ids.set(entry, seq);
    }
    return seq;
  }

  private record(topic: string, entry: LogEntry): void {
    if (topic.startsWith('channels/')) {
      let ring = this.rings.get(topic);
      if (ring === undefined) {
        // Only the fixed filtered channels publish here, so the map stays small.
        ring = new Ring(this.perChannel);
        this.rings.set(topic, ring);
      }
      if (ring.push(entry, topic, this.seqOf(entry))) this.evicted++;
      return;
    }
    // The broker also carries chat (`chat/…`): only log topics belong in the backlog.
    if (!topic.startsWith('logs/')) return;
    if (this.shared.push(entry, topic, this.seqOf(entry))) this.evicted++;
  }
}
