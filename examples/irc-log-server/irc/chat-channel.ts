/**
 * Ordinary channels: the ones users make. Any valid channel name that is not a log channel
 * is created by its first JOIN (its creator gets `+o`) and disappears with its last member
 * (on every node: a channel with members on another node stays known here).
 * Unlike the log channels, their topic and modes belong to their operators.
 *
 * @module
 */
import type { Channel, ChannelRefusal } from './channel.js';
import type { Client, OutLine } from './client.js';
import { matchesMask } from './mask.js';
import { foldCase } from './names.js';
import type { ChannelState } from './network.js';

/** Longest channel name (`CHANNELLEN`). */
export const CHANNEL_NAME_LENGTH = 50;
/** Longest topic (`TOPICLEN`). */
export const TOPIC_LENGTH = 390;
/** Most entries in a channel's ban list (`MAXLIST=b:…`). */
export const MAX_BANS = 50;
/** Most pending invitations a channel remembers (the oldest is forgotten first). */
export const MAX_INVITES = 100;

/** The flag modes an ordinary channel can have (`CHANMODES=b,k,l,imnst`). */
export type FlagMode = 'i' | 'm' | 'n' | 's' | 't';

/** One entry of a ban list (367: mask, who set it, when). */
export interface BanEntry {
  readonly mask: string;
  readonly setBy: string;
  /** Seconds since the epoch. */
  readonly setAt: number;
}

/**
 * Whether `name` is a valid channel name: `#`, then 1–49 characters without space, comma,
 * or control characters (RFC 2812 `chanstring` forbids NUL, BELL, CR, LF, space and comma;
 * the other controls are refused too, because the serialiser strips them and `#\x02ops` would
 * show as a second `#ops`). `:` is refused as well: clients split on it.
 */
export function isValidChannelName(name: string): boolean {
  return name.length >= 2 && name.length <= CHANNEL_NAME_LENGTH && name.startsWith('#') && !/[\x00-\x20\x7F-\x9F,:\uFFFD]/.test(name);
}

const FLAG_ORDER = ['i', 'm', 'n', 's', 't'] as const;

/**
 * A channel users made, with its modes, operators and voiced members. With several nodes,
 * its state (topic, modes, bans, operators, invitations) is the same on every node that knows
 * the channel: each change is stamped with a version and sent to the others, and a node keeps
 * the state with the highest version (`version`, then `versionNode`), so concurrent changes on
 * two nodes end in the same state everywhere — the later one, whole.
 */
export class ChatChannel implements Channel {
  readonly key: string;
  readonly name: string;
  createdAt: number;
  /** This node's members. */
  readonly members = new Set<Client>();
  /** Channel operators (`@`, `+o`), by user id (on any node). */
  readonly ops = new Set<string>();
  /** Voiced members (`+`, `+v`), by user id. */
  readonly voiced = new Set<string>();
  /** Flag modes set; a new channel gets `+nt`, as most servers give. */
  readonly flags = new Set<FlagMode>(['n', 't']);
  /** Ban masks (`+b`), oldest first. */
  readonly bans: BanEntry[] = [];
  /** Folded nicks invited while `+i` matters (cleared when they join). */
  readonly invited = new Set<string>();
  /** Channel key (`+k`), if set. */
  password: string | undefined = undefined;
  /** Member limit (`+l`), if set. */
  limit: number | undefined = undefined;
  topic = '';
  /** Who set the topic (`nick!user@host`) and when (seconds), for 333. */
  topicSetBy = '';
  topicSetAt = 0;
  /** The version of this state; 0 until a node set it (a channel heard of only by its members). */
  version = 0;
  /** The node that made this version: breaks ties between versions made at once on two nodes. */
  versionNode = '';

  constructor(name: string, createdAt: number) {
    this.key = foldCase(name);
    this.name = name;
    this.createdAt = createdAt;
  }

  /** Remembers an invitation for `folded` (bounded: the oldest goes first). */
  invite(folded: string): void {
    this.invited.delete(folded);
    this.invited.add(folded);
    if (this.invited.size > MAX_INVITES) {
      const oldest = this.invited.values().next().value;
      if (oldest !== undefined) this.invited.delete(oldest);
    }
  }

  /** Whether `client` is banned (its mask matches a `+b` mask). */
  isBanned(client: Client): boolean {
    for (const ban of this.bans) if (matchesMask(ban.mask, client.mask)) return true;
    return false;
  }

  /** The mode string for 324: flags, then `k`/`l` with their values (the key only to members). */
  modeString(showKey: boolean): string[] {
    let letters = '+';
    const args: string[] = [];
    for (const flag of ['i', 'm', 'n', 's', 't'] as const) if (this.flags.has(flag)) letters += flag;
    if (this.password !== undefined) {
      letters += 'k';
      args.push(showKey ? this.password : '*');
    }
    if (this.limit !== undefined) {
      letters += 'l';
      args.push(String(this.limit));
    }
    return [letters, ...args];
  }

  /** The prefix(es) shown before `member` in NAMES/WHO: `@+` with multi-prefix, else the highest. */
  prefix(member: { readonly id: string }, multi: boolean): string {
    const op = this.ops.has(member.id) ? '@' : '';
    const voice = this.voiced.has(member.id) ? '+' : '';
    return multi ? op + voice : op || voice;
  }

  /** Marks a change made on this node: the next version, made by `node`. */
  touch(node: string): void {
    this.version++;
    this.versionNode = node;
  }

  /** The state the other nodes need, as data. */
  state(): ChannelState {
    return {
      name: this.name,
      createdAt: this.createdAt,
      topic: this.topic,
      topicSetBy: this.topicSetBy,
      topicSetAt: this.topicSetAt,
      flags: FLAG_ORDER.filter((flag) => this.flags.has(flag)).join(''),
      key: this.password,
      limit: this.limit,
      bans: this.bans.map((ban) => ({ ...ban })),
      ops: [...this.ops],
      voiced: [...this.voiced],
      invited: [...this.invited],
      version: this.version,
      versionNode: this.versionNode,
    };
  }

  /**
   * Takes `state` if it is newer than this one (a higher version, or the same version from a
   * node whose id sorts higher). Operators and voices are kept only for `isMember` users: a
   * state sent before someone left must not bring them back.
   *
   * @returns whether it was taken.
   */
  adopt(state: ChannelState, isMember: (id: string) => boolean): boolean {
    if (state.version < this.version || (state.version === this.version && state.versionNode <= this.versionNode)) return false;
    this.createdAt = state.createdAt;
    this.topic = state.topic;
    this.topicSetBy = state.topicSetBy;
    this.topicSetAt = state.topicSetAt;
    this.flags.clear();
    for (const flag of FLAG_ORDER) if (state.flags.includes(flag)) this.flags.add(flag);
    this.password = state.key;
    this.limit = state.limit;
    this.bans.splice(0, this.bans.length, ...state.bans.slice(0, MAX_BANS));
    this.ops.clear();
    for (const id of state.ops) if (isMember(id)) this.ops.add(id);
    this.voiced.clear();
    for (const id of state.voiced) if (isMember(id)) this.voiced.add(id);
    this.invited.clear();
    for (const nick of state.invited.slice(-MAX_INVITES)) this.invited.add(nick);
    this.version = state.version;
    this.versionNode = state.versionNode;
    return true;
  }

  /** Forgets what `id` held here (operator, voice): it left the channel. */
  forget(id: string): void {
    this.ops.delete(id);
    this.voiced.delete(id);
  }
}

/** Options of {@link ChatChannelDirectory}. */
export interface ChatChannelDirectoryOptions {
  /** Clock in ms. */
  readonly now: () => number;
  /** Channels per client (405 past it). */
  readonly maxChannelsPerClient: number;
  /** How many members the channel whose folded name is `key` has on the other nodes. @default none */
  readonly remoteMembers?: (key: string) => number;
}

/** The ordinary channels this node knows, keyed by folded name: those with members here or on another node. */
export class ChatChannelDirectory {
  private readonly channels = new Map<string, ChatChannel>();
  private readonly now: () => number;
  private readonly maxChannelsPerClient: number;
  private readonly remoteMembers: (key: string) => number;

  constructor(options: ChatChannelDirectoryOptions) {
    this.now = options.now;
    this.maxChannelsPerClient = options.maxChannelsPerClient;
    this.remoteMembers = options.remoteMembers ?? (() => 0);
  }

  /** How many ordinary channels exist (each has at least one member, here or on another node). */
  get size(): number {
    return this.channels.size;
  }

  find(name: string): ChatChannel | undefined {
    return this.channels.get(foldCase(name));
  }

  all(): IterableIterator<ChatChannel> {
    return this.channels.values();
  }

  /**
   * Adds `client`, creating the channel (with `client` as its operator) when it does not
   * exist. Admission rules (+i +k +l +b) are the JOIN command's: it checks them first.
   */
  join(client: Client, name: string): ChatChannel | ChannelRefusal {
    if (!isValidChannelName(name)) return { numeric: '476', text: 'Bad Channel Mask' };
    if (client.channels.size >= this.maxChannelsPerClient) {
      return { numeric: '405', text: `You have joined too many channels (limit ${this.maxChannelsPerClient})` };
    }
    let channel = this.find(name);
    if (channel === undefined) {
      channel = this.ensure(name);
      channel.ops.add(client.id);
    }
    channel.members.add(client);
    channel.invited.delete(foldCase(client.nick ?? ''));
    client.channels.add(channel.key);
    return channel;
  }

  /** The channel called `name`, made (with the default modes, no operator) if it does not exist. */
  ensure(name: string, createdAt = Math.floor(this.now() / 1000)): ChatChannel {
    let channel = this.find(name);
    if (channel === undefined) {
      channel = new ChatChannel(name, createdAt);
      this.channels.set(channel.key, channel);
    }
    return channel;
  }

  /** Removes `client`; the last member out, on every node, ends the channel. */
  part(client: Client, channel: ChatChannel): void {
    channel.members.delete(client);
    channel.forget(client.id);
    client.channels.delete(channel.key);
    this.dropIfEmpty(channel);
  }

  /** Ends `channel` if nobody is left on it, here or on another node. */
  dropIfEmpty(channel: ChatChannel): void {
    if (channel.members.size > 0 || this.remoteMembers(channel.key) > 0) return;
    if (this.channels.get(channel.key) === channel) this.channels.delete(channel.key);
  }

  /** Queues `tagged` or `plain` to every member but `from`; returns how many queued it. */
  relay(channel: ChatChannel, from: Client | undefined, tagged: OutLine, plain: OutLine): number {
    let queued = 0;
    for (const member of channel.members) {
      if (member === from) continue;
      if (member.enqueue(member.serverTime ? tagged : plain)) queued++;
    }
    return queued;
  }
}
