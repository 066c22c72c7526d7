/**
 * The log channels that exist, and how entries reach their members.
 *
 * Each channel holds ONE broker subscription while it has members (not one per member). Its
 * handler renders the entry once (`renderEntry`) and pushes the same `Buffer`s to every
 * member's SendQ — `@time=`-tagged or plain according to the member's capabilities.
 *
 * @module
 */
import { TopicError, type PubSubBroker, type Subscription } from 'logcaster';
import { parsePattern, resolveTopicSyntax } from 'logcaster/adapter';
import type { Channel, ChannelDirectory, ChannelRefusal } from '../irc/channel.js';
import type { Client } from '../irc/client.js';
import { foldCase } from '../irc/names.js';
import type { OutLine } from '../irc/out-line.js';
import { CHANNEL_LENGTH, FILTERED_CHANNELS, PATTERN_PREFIX, type FilteredChannelDefinition } from './channels.js';
import type { LogEntry } from './entry.js';
import { levelRank } from './level.js';
import type { LogHistory } from './history.js';
import type { SharedHistory } from './stream-history.js';
import { replayHistory } from './history-replay.js';
import { renderEntry } from './render.js';

/** A log channel that exists: every filtered channel, and pattern channels while they have members. */
export class LogChannel implements Channel {
  /** Case-folded name, the key in every table. */
  readonly key: string;
  /** Name as shown (canonical spelling). */
  readonly name: string;
  /** The broker pattern it subscribes to while it has members. */
  readonly pattern: string;
  /** Topic text (332). */
  readonly topic: string;
  /** `'filtered'` (permanent) or `'pattern'` (exists while it has members). */
  readonly kind: 'filtered' | 'pattern';
  /** Creation time, seconds since the epoch (329, 333). */
  readonly createdAt: number;
  /** Members, in join order. */
  readonly members = new Set<Client>();
  /** @internal the broker subscription, while there are members */
  subscription: Subscription<LogEntry> | undefined = undefined;

  constructor(key: string, name: string, pattern: string, topic: string, kind: 'filtered' | 'pattern', createdAt: number) {
    this.key = key;
    this.name = name;
    this.pattern = pattern;
    this.topic = topic;
    this.kind = kind;
    this.createdAt = createdAt;
  }
}

/** Options of {@link LogChannelDirectory}. */
export interface LogChannelDirectoryOptions {
  broker: PubSubBroker<LogEntry>;
  /** `nick!user@host` of the log bot: the source of every log line. */
  botMask: string;
  /** Colour the level tags. */
  colour: boolean;
  /** Channels per client (405 past it). */
  maxChannelsPerClient: number;
  /** Pattern channels at once (403 past it). */
  maxPatternChannels: number;
  /** Clock in ms. */
  now: () => number;
  /** Filtered channels. @default {@link FILTERED_CHANNELS} */
  filtered?: readonly FilteredChannelDefinition[];
  /** Recent lines to replay on join. @default none (no replay) */
  history?: LogHistory;
  /**
   * With `--redis`: the backlog every node shares, read on join for filtered channels (the
   * local `history` answers pattern channels, and when Redis does not answer in time).
   * @default none
   */
  sharedHistory?: SharedHistory;
  /** The server's name, the source of the replay's BATCH lines and notices. @default 'logcaster.local' */
  serverName?: string;
}

const PATTERN_CHARS = /^[A-Za-z0-9_.*#/-]+$/;
// How long a join waits for the shared (Redis) backlog before showing the local one.
const SHARED_HISTORY_TIMEOUT_MS = 2000;
// Live entries held per joining member while its backlog is read.
const MAX_HELD_ENTRIES = 1000;

/** What identifies an entry across nodes (the shared history returns copies). */
function entryKey(entry: LogEntry): string {
  return `${entry.ts}\u0000${entry.level}\u0000${entry.service}\u0000${entry.message}`;
}

/**
 * Every channel, keyed by folded name, with join/part bookkeeping and the broker
 * subscriptions. Memory is bounded: filtered channels are fixed, pattern channels are capped
 * and disappear with their last member.
 */
export class LogChannelDirectory implements ChannelDirectory {
  /** Lines queued to members' SendQs (a line to n members counts n). */
  delivered = 0;
  private readonly channels = new Map<string, LogChannel>();
  private readonly options: LogChannelDirectoryOptions;
  private patternCount = 0;
  /** Members whose backlog is being read from the shared history: live entries wait here. */
  private readonly waiting = new Map<LogChannel, Map<Client, LogEntry[]>>();

  constructor(options: LogChannelDirectoryOptions) {
    this.options = options;
    const createdAt = Math.floor(options.now() / 1000);
    for (const definition of options.filtered ?? FILTERED_CHANNELS) {
      const to = typeof definition.rule.to === 'string' ? definition.rule.to : definition.rule.to[0];
      const key = foldCase(definition.name);
      this.channels.set(key, new LogChannel(key, definition.name, to, definition.topic, 'filtered', createdAt));
    }
  }

  /** Pattern channels that exist now. */
  get patternChannels(): number {
    return this.patternCount;
  }

  /** Channels with at least one member. */
  get activeChannels(): number {
    let active = 0;
    for (const channel of this.channels.values()) if (channel.members.size > 0) active++;
    return active;
  }

  /** The channel called `name`, if it exists. */
  find(name: string): LogChannel | undefined {
    return this.channels.get(foldCase(name));
  }

  /** Every existing channel: the filtered ones first, then pattern channels in creation order. */
  all(): IterableIterator<LogChannel> {
    return this.channels.values();
  }

  /**
   * Adds `client` to the channel called `name`, creating a pattern channel (and its
   * subscription) as needed. The caller checks that the client is not already a member.
   *
   * @returns the channel, or why not.
   */
  join(client: Client, name: string): LogChannel | ChannelRefusal {
    let channel = this.find(name);
    if (channel === undefined) {
      const spec = this.resolvePattern(name);
      if ('numeric' in spec) return spec;
      channel = this.channels.get(spec.key);
      if (channel === undefined) {
        if (this.patternCount >= this.options.maxPatternChannels) {
          return { numeric: '403', text: `Too many pattern channels exist (limit ${this.options.maxPatternChannels}); join an existing one` };
        }
        const topic = `Entries published on ${spec.pattern} (topics are logs/<service>/<LEVEL>; * is one level, # the rest)`;
        channel = new LogChannel(spec.key, spec.name, spec.pattern, topic, 'pattern', Math.floor(this.options.now() / 1000));
        this.channels.set(spec.key, channel);
        this.patternCount++;
      }
    }
    if (client.channels.size >= this.options.maxChannelsPerClient) {
      this.dropIfUnused(channel);
      return { numeric: '405', text: `You have joined too many channels (limit ${this.options.maxChannelsPerClient})` };
    }
    if (channel.subscription === undefined) {
      const target = channel;
      // One subscription per channel; the handler closes over the channel, not over a member.
      target.subscription = this.options.broker.subscribe(target.pattern, (entry) => this.deliver(target, entry));
    }
    channel.members.add(client);
    client.channels.add(channel.key);
    return channel;
  }

  /** Removes `client` from `channel`; the last member out ends the subscription. */
  part(client: Client, joined: Channel): void {
    joined.members.delete(client);
    if (joined instanceof LogChannel) this.waiting.get(joined)?.delete(client);
    client.channels.delete(joined.key);
    const channel = this.channels.get(joined.key);
    if (channel !== joined || channel.members.size > 0) return;
    channel.subscription?.unsubscribe();
    channel.subscription = undefined;
    this.dropIfUnused(channel);
  }

  /**
   * Queues `line` (tagged or plain per member) to every member except `from`.
   *
   * @returns how many members queued it.
   */
  relay(channel: Channel, from: Client | undefined, tagged: OutLine, plain: OutLine): number {
    let queued = 0;
    for (const member of channel.members) {
      if (member === from) continue;
      if (member.enqueue(member.serverTime ? tagged : plain)) queued++;
    }
    return queued;
  }

  /** Queues the channel's recent lines to `client`, who just joined, marked as history. */
  replay(client: Client, joined: Channel): void {
    const history = this.options.history;
    const channel = this.channels.get(joined.key);
    if (history === undefined || channel !== joined) return;
    const settings = { serverName: this.options.serverName ?? 'logcaster.local', botMask: this.options.botMask, colour: this.options.colour };
    const shared = this.options.sharedHistory;
    if (shared === undefined || channel.kind !== 'filtered') {
      history.countReplayed(replayHistory(client, channel.name, history.recent(channel.pattern), settings));
      return;
    }
    // The backlog comes from Redis, asynchronously: hold this member's live entries until it
    // has been replayed, so the history still comes first and nothing is shown twice.
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
      this.waiting.get(channel)?.delete(client);
      if (this.waiting.get(channel)?.size === 0) this.waiting.delete(channel);
      if (held === undefined || !channel.members.has(client)) return; // left meanwhile
      history.countReplayed(replayHistory(client, channel.name, entries, settings));
      const shown = new Set(entries.map(entryKey));
      for (const entry of held) if (!shown.has(entryKey(entry))) this.deliverTo(channel, client, entry);
    });
  }

  /** Unsubscribes every channel and forgets the pattern channels. */
  close(): void {
    for (const channel of this.channels.values()) {
      channel.subscription?.unsubscribe();
      channel.subscription = undefined;
      channel.members.clear();
    }
    for (const channel of [...this.channels.values()]) this.dropIfUnused(channel);
  }

  /**
   * Checks a `#logs/<pattern>` name and gives its canonical form: the level position (the
   * second level after `logs`) in upper case, everything else in lower case, matching
   * `entryTopic` (channels.ts).
   */
  resolvePattern(name: string): { key: string; name: string; pattern: string } | ChannelRefusal {
    if (!name.startsWith('#')) return { numeric: '403', text: 'No such channel' };
    if (foldCase(name.slice(0, PATTERN_PREFIX.length)) !== PATTERN_PREFIX) {
      return { numeric: '403', text: `No such channel; try ${FILTERED_CHANNELS.map((c) => c.name).join(' ')} or ${PATTERN_PREFIX}<service>/<LEVEL>` };
    }
    if (name.length > CHANNEL_LENGTH) return { numeric: '476', text: `Bad Channel Mask: longer than ${CHANNEL_LENGTH} characters` };
    const tail = name.slice(PATTERN_PREFIX.length);
    if (!PATTERN_CHARS.test(tail)) {
      return { numeric: '476', text: 'Bad Channel Mask: use letters, digits, _ . - and the wildcards * and # between /' };
    }
    const levels = tail.split('/');
    if (levels.includes('')) return { numeric: '476', text: 'Bad Channel Mask: empty level' };
    for (let i = 0; i < levels.length; i++) levels[i] = i === 1 ? levels[i].toUpperCase() : foldCase(levels[i]);
    const pattern = `logs/${levels.join('/')}`;
    try {
      parsePattern(pattern, resolveTopicSyntax());
    } catch (error) {
      if (error instanceof TopicError) return { numeric: '476', text: `Bad Channel Mask: ${error.message}` };
      throw error;
    }
    const canonical = `${PATTERN_PREFIX}${levels.join('/')}`;
    return { key: foldCase(canonical), name: canonical, pattern };
  }

  private dropIfUnused(channel: LogChannel): void {
    if (channel.kind === 'pattern' && channel.members.size === 0 && this.channels.get(channel.key) === channel) {
      this.channels.delete(channel.key);
      this.patternCount--;
    }
  }

  private deliver(channel: LogChannel, entry: LogEntry): void {
    // Rendered once for the channel; every member gets the same bytes.
    const lines = renderEntry(entry, channel.name, this.options.botMask, { colour: this.options.colour });
    const priority = levelRank(entry.level);
    const waiting = this.waiting.get(channel);
    if (waiting !== undefined) {
      // Members whose backlog is on its way get this entry after it (bounded: the oldest held
      // entry gives way, as a full SendQ would drop it).
      for (const held of waiting.values()) {
        if (held.length >= MAX_HELD_ENTRIES) held.shift();
        held.push(entry);
      }
    }
    for (let i = 0; i < lines.length; i++) {
      const tagged: OutLine = { bytes: lines[i].tagged, priority };
      const plain: OutLine = { bytes: lines[i].plain, priority };
      if (waiting === undefined) {
        this.delivered += this.relay(channel, undefined, tagged, plain);
        continue;
      }
      for (const member of channel.members) {
        if (!waiting.has(member) && member.enqueue(member.serverTime ? tagged : plain)) this.delivered++;
      }
    }
  }

  /** One entry to one member (a held live entry after its backlog). */
  private deliverTo(channel: LogChannel, member: Client, entry: LogEntry): void {
    const lines = renderEntry(entry, channel.name, this.options.botMask, { colour: this.options.colour });
    const priority = levelRank(entry.level);
    for (const line of lines) {
      if (member.enqueue({ bytes: member.serverTime ? line.tagged : line.plain, priority })) this.delivered++;
    }
  }
}
