/**
 * The log channels: which exist, what each carries, and the two halves of a log line's trip
 * through the broker.
 *
 * - **In** ({@link LogChannelDirectory.publish}, the sink every log source is given): an entry
 *   is published on its own topic `logs/<service>/<LEVEL>` (for pattern channels), then, for
 *   every filtered channel whose `Router` rule matches, on that channel's topic
 *   `channels/<name>`. With `--redis` the broker's bridge carries each publish to the other
 *   nodes too.
 * - **Out** ({@link LogChannelDirectory.deliver}): each channel holds ONE broker subscription
 *   while it has members (not one per member). Its handler renders the entry once
 *   (`renderEntry`) and queues the same `Buffer`s to every member (`Client.enqueue`), tagged
 *   with `@time=` or plain per the member's capabilities.
 *
 * Two kinds of channel:
 * - **filtered channels** (`#logs-all`, `#logs-error`, …) are `Router` rules, data, below in
 *   {@link FILTERED_CHANNELS}; each subscribes to its rule's destination `channels/<name>`;
 * - **pattern channels** `#logs/<pattern>` subscribe to `logs/<pattern>` directly, so
 *   `#logs/payments/#`, `#logs/api/ERROR` or `#logs/*\/ERROR` work as MQTT-style filters. They
 *   exist while they have members (at most `maxPatternChannels`).
 *
 * @module
 */
import { Router, TopicError, type PubSubBroker, type RouteRule, type Subscription } from 'logcaster';
import { parsePattern, resolveTopicSyntax } from 'logcaster/adapter';
import type { Channel, ChannelDirectory, ChannelRefusal } from '../irc/channel.js';
import type { Client, OutLine } from '../irc/client.js';
import { foldCase } from '../irc/names.js';
import type { LogEntry } from './entry.js';
import type { LogHistory } from './history.js';
import { JoinReplay } from './history-replay.js';
import { levelRank } from './level.js';
import { renderEntry } from './render.js';
import type { SharedHistory } from './stream-history.js';

/** A filtered channel: its name, its topic, and the routing rule that feeds it. */
export interface FilteredChannelDefinition {
  /** Channel name, `#` included. */
  readonly name: string;
  /** Topic (332): what the channel carries. */
  readonly topic: string;
  /** The rule; its destination is the topic the channel subscribes to. */
  readonly rule: RouteRule<LogEntry>;
}

const ERROR_RANK = levelRank('ERROR');
const WARNING_RANK = levelRank('WARNING');

/** The service words of {@link filteredChannels}. */
export interface ServiceWords {
  /** Services whose entries also go to `#logs-database`. */
  readonly database: readonly string[];
  /** Services whose entries also go to `#logs-security`. */
  readonly security: readonly string[];
}

/** The default service words (`--database-services`, `--security-services`). */
export const DEFAULT_SERVICE_WORDS: ServiceWords = {
  database: ['postgres', 'mysql', 'mariadb', 'redis', 'mongo'],
  security: ['sshd', 'sudo', 'pam', 'auth'],
};

/**
 * A test of a service name against `words`: true when one of the service's words (split at
 * `-`, `_`, `.`, `/`) starts with one of them, ignoring case (`postgres` takes `postgresql`
 * and `pg-postgres-1`, `mongo` takes `mongod`). Built once: one regular expression.
 *
 * @example
 * ```ts
 * serviceMatcher(['redis'])('redis-server'); // true
 * serviceMatcher(['redis'])('myredis'); // false
 * ```
 */
export function serviceMatcher(words: readonly string[]): (service: string) => boolean {
  if (words.length === 0) return () => false;
  const escaped = words.map((word) => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const pattern = new RegExp(`(?:^|[-_./])(?:${escaped.join('|')})`, 'i');
  return (service) => pattern.test(service);
}

// Syslog facilities auth (4) and authpriv (10): security whatever the severity.
const SECURITY_CATEGORIES = new Set(['SECURITY', 'AUTH', 'AUTHPRIV']);

/**
 * The filtered channels, as routing rules, with the given service words.
 *
 * @example
 * ```ts
 * filteredChannels({ database: ['pg'], security: ['sshd', 'vault'] });
 * ```
 */
export function filteredChannels(words: ServiceWords = DEFAULT_SERVICE_WORDS): readonly FilteredChannelDefinition[] {
  const isDatabase = serviceMatcher(words.database);
  const isSecurity = serviceMatcher(words.security);
  const list = (names: readonly string[]): string => (names.length === 0 ? '' : `, or services ${names.join(' ')}`);
  return [
    {
      name: '#logs-all',
      topic: 'Every log entry, all services and levels',
      rule: { name: 'logs-all', to: 'channels/logs-all' },
    },
    {
      name: '#logs-error',
      topic: 'ERROR, CRITICAL and FATAL entries',
      rule: { name: 'logs-error', when: (e) => levelRank(e.level) >= ERROR_RANK, to: 'channels/logs-error' },
    },
    {
      name: '#logs-warning',
      topic: 'WARNING and above',
      rule: { name: 'logs-warning', when: (e) => levelRank(e.level) >= WARNING_RANK, to: 'channels/logs-warning' },
    },
    {
      name: '#logs-database',
      topic: `Entries that mention database or sql${list(words.database)}`,
      rule: { name: 'logs-database', when: (e) => isDatabase(e.service) || /database|sql/i.test(e.message), to: 'channels/logs-database' },
    },
    {
      name: '#logs-security',
      topic: `Category SECURITY, syslog auth and authpriv, or entries that mention auth or permission${list(words.security)}`,
      rule: {
        name: 'logs-security',
        when: (e) => SECURITY_CATEGORIES.has(e.category) || isSecurity(e.service) || /auth|permission/i.test(e.message),
        to: 'channels/logs-security',
      },
    },
  ];
}

/** The filtered channels with the default service words. */
export const FILTERED_CHANNELS: readonly FilteredChannelDefinition[] = filteredChannels();

/** Prefix of pattern channels. */
export const PATTERN_PREFIX = '#logs/';
/** Longest channel name (`CHANNELLEN`). */
export const CHANNEL_LENGTH = 50;

/**
 * The topic an entry is published on for pattern channels: `logs/<service>/<LEVEL>`. The
 * service is lower-cased because IRC channel names are case-insensitive: `#logs/Payments/*`
 * and `#logs/payments/*` are one channel, so they must see the same entries.
 *
 * @example
 * ```ts
 * entryTopic({ service: 'Payments', level: 'ERROR', … }); // 'logs/payments/ERROR'
 * ```
 */
export function entryTopic(entry: LogEntry): string {
  return `logs/${foldCase(entry.service)}/${entry.level}`;
}

/** A log channel that exists: every filtered channel, and pattern channels while they have members. */
export class LogChannel implements Channel {
  /** Members, in join order. */
  readonly members = new Set<Client>();
  /** @internal the broker subscription, while there are members */
  subscription: Subscription<LogEntry> | undefined = undefined;

  /**
   * @param key - case-folded name, the key in every table.
   * @param name - as shown (canonical spelling).
   * @param pattern - the broker pattern it subscribes to while it has members.
   * @param topic - topic text (332).
   * @param kind - `'filtered'` (permanent) or `'pattern'` (exists while it has members).
   * @param createdAt - seconds since the epoch (329, 333).
   */
  constructor(
    readonly key: string,
    readonly name: string,
    readonly pattern: string,
    readonly topic: string,
    readonly kind: 'filtered' | 'pattern',
    readonly createdAt: number,
  ) {}
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
   * With `--redis`: the backlog every node shares, written here for each routed entry and read
   * on join for filtered channels (see history-replay.ts). @default none
   */
  sharedHistory?: SharedHistory;
  /** The server's name, the source of the replay's BATCH lines and notices. @default 'logcaster.local' */
  serverName?: string;
}

const PATTERN_CHARS = /^[A-Za-z0-9_.*#/-]+$/;

/**
 * Every log channel, keyed by folded name, with join/part bookkeeping and the broker
 * subscriptions. Memory is bounded: filtered channels are fixed, pattern channels are capped
 * and disappear with their last member.
 */
export class LogChannelDirectory implements ChannelDirectory {
  /** Entries published ({@link LogChannelDirectory.publish}). */
  published = 0;
  /** Lines queued to members (a line to n members counts n). */
  delivered = 0;
  private readonly channels = new Map<string, LogChannel>();
  private readonly options: LogChannelDirectoryOptions;
  private readonly router: Router<LogEntry>;
  private readonly replays: JoinReplay | undefined;
  private patternCount = 0;
  /** The filtered channels, as given (the web viewer offers the same). */
  readonly filtered: readonly FilteredChannelDefinition[];

  constructor(options: LogChannelDirectoryOptions) {
    this.options = options;
    const filtered = options.filtered ?? FILTERED_CHANNELS;
    this.filtered = filtered;
    this.router = new Router<LogEntry>(filtered.map((definition) => definition.rule));
    const createdAt = Math.floor(options.now() / 1000);
    for (const definition of filtered) {
      const to = typeof definition.rule.to === 'string' ? definition.rule.to : definition.rule.to[0];
      const key = foldCase(definition.name);
      this.channels.set(key, new LogChannel(key, definition.name, to, definition.topic, 'filtered', createdAt));
    }
    if (options.history !== undefined) {
      this.replays = new JoinReplay({
        history: options.history,
        shared: options.sharedHistory,
        settings: { serverName: options.serverName ?? 'logcaster.local', botMask: options.botMask, colour: options.colour },
        deliverHeld: (channel, member, entry) => this.deliverTo(channel as LogChannel, member, entry),
      });
    }
  }

  /**
   * Publishes one entry where the channels listen: on `logs/<service>/<LEVEL>`, and on the
   * `channels/<name>` topic of every filtered channel whose rule matches it. Four publishes
   * for an ERROR that mentions neither database nor auth, one entry object, no copies.
   *
   * @throws TopicError when the entry's service cannot be a topic level (sources validate it).
   */
  publish(entry: LogEntry): void {
    this.published++;
    const { broker, sharedHistory } = this.options;
    broker.publish(entryTopic(entry), entry);
    for (const topic of this.router.route(entry)) {
      broker.publish(topic, entry);
      sharedHistory?.record(topic, entry);
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
    const channel = this.findOrCreate(name);
    if ('numeric' in channel) return channel;
    if (client.channels.size >= this.options.maxChannelsPerClient) {
      this.dropIfUnused(channel);
      return { numeric: '405', text: `You have joined too many channels (limit ${this.options.maxChannelsPerClient})` };
    }
    // One subscription per channel; the handler closes over the channel, not over a member.
    channel.subscription ??= this.options.broker.subscribe(channel.pattern, (entry) => this.deliver(channel, entry));
    channel.members.add(client);
    client.channels.add(channel.key);
    return channel;
  }

  /** Removes `client` from `channel`; the last member out ends the subscription. */
  part(client: Client, joined: Channel): void {
    joined.members.delete(client);
    if (joined instanceof LogChannel) this.replays?.forget(joined, client);
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
    const channel = this.channels.get(joined.key);
    if (channel === joined) this.replays?.replay(client, channel);
  }

  /** Unsubscribes every channel and forgets the pattern channels. */
  close(): void {
    for (const channel of [...this.channels.values()]) {
      channel.subscription?.unsubscribe();
      channel.subscription = undefined;
      channel.members.clear();
      this.dropIfUnused(channel);
    }
  }

  /**
   * Checks a `#logs/<pattern>` name and gives its canonical form: the level position (the
   * second level after `logs`) in upper case, everything else in lower case, matching
   * {@link entryTopic}.
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

  /** The channel called `name`, creating a pattern channel if the name is one and there is room. */
  private findOrCreate(name: string): LogChannel | ChannelRefusal {
    const found = this.find(name);
    if (found !== undefined) return found;
    const spec = this.resolvePattern(name);
    if ('numeric' in spec) return spec;
    const existing = this.channels.get(spec.key);
    if (existing !== undefined) return existing;
    if (this.patternCount >= this.options.maxPatternChannels) {
      return { numeric: '403', text: `Too many pattern channels exist (limit ${this.options.maxPatternChannels}); join an existing one` };
    }
    const topic = `Entries published on ${spec.pattern} (topics are logs/<service>/<LEVEL>; * is one level, # the rest)`;
    const channel = new LogChannel(spec.key, spec.name, spec.pattern, topic, 'pattern', Math.floor(this.options.now() / 1000));
    this.channels.set(spec.key, channel);
    this.patternCount++;
    return channel;
  }

  private dropIfUnused(channel: LogChannel): void {
    if (channel.kind === 'pattern' && channel.members.size === 0 && this.channels.get(channel.key) === channel) {
      this.channels.delete(channel.key);
      this.patternCount--;
    }
  }

  /** The channel's subscription handler: renders the entry once, queues it to every member. */
  private deliver(channel: LogChannel, entry: LogEntry): void {
    const lines = renderEntry(entry, channel.name, this.options.botMask, { colour: this.options.colour });
    const priority = levelRank(entry.level);
    // Members whose backlog is still being read get this entry after it (history-replay.ts).
    const waiting = this.replays?.hold(channel, entry);
    for (let i = 0; i < lines.length; i++) {
      const tagged: OutLine = { bytes: lines[i].tagged, priority };
      const plain: OutLine = { bytes: lines[i].plain, priority };
      for (const member of channel.members) {
        if (waiting?.has(member) === true) continue;
        if (member.enqueue(member.serverTime ? tagged : plain)) this.delivered++;
      }
    }
  }

  /** One entry to one member (a held live entry, after its backlog). */
  private deliverTo(channel: LogChannel, member: Client, entry: LogEntry): void {
    const lines = renderEntry(entry, channel.name, this.options.botMask, { colour: this.options.colour });
    const priority = levelRank(entry.level);
    for (const line of lines) {
      if (member.enqueue({ bytes: member.serverTime ? line.tagged : line.plain, priority })) this.delivered++;
    }
  }
}
