/**
 * Ordinary channels: the ones users make. Any valid channel name that is not a log channel
 * is created by its first JOIN (its creator gets `+o`) and disappears with its last member.
 * Unlike the log channels, their topic and modes belong to their operators.
 *
 * @module
 */
import type { Channel, ChannelRefusal } from './channel.js';
import type { Client } from './client.js';
import { matchesMask } from './mask.js';
import { foldCase } from './names.js';
import type { OutLine } from './client.js';

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

/** A channel users made, with its modes, operators and voiced members. */
export class ChatChannel implements Channel {
  readonly key: string;
  readonly name: string;
  readonly createdAt: number;
  readonly members = new Set<Client>();
  /** Channel operators (`@`, `+o`). */
  readonly ops = new Set<Client>();
  /** Voiced members (`+`, `+v`). */
  readonly voiced = new Set<Client>();
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
  prefix(member: Client, multi: boolean): string {
    const op = this.ops.has(member) ? '@' : '';
    const voice = this.voiced.has(member) ? '+' : '';
    return multi ? op + voice : op || voice;
  }
}

/** The ordinary channels of this node, keyed by folded name. */
export class ChatChannelDirectory {
  private readonly channels = new Map<string, ChatChannel>();
  private readonly now: () => number;
  private readonly maxChannelsPerClient: number;

  constructor(options: { now: () => number; maxChannelsPerClient: number }) {
    this.now = options.now;
    this.maxChannelsPerClient = options.maxChannelsPerClient;
  }

  /** How many ordinary channels exist (each has at least one member). */
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
      channel = new ChatChannel(name, Math.floor(this.now() / 1000));
      this.channels.set(channel.key, channel);
      channel.ops.add(client);
    }
    channel.members.add(client);
    channel.invited.delete(foldCase(client.nick ?? ''));
    client.channels.add(channel.key);
    return channel;
  }

  /** Removes `client`; the last member out ends the channel. */
  part(client: Client, channel: ChatChannel): void {
    channel.members.delete(client);
    channel.ops.delete(client);
    channel.voiced.delete(client);
    client.channels.delete(channel.key);
    if (channel.members.size === 0 && this.channels.get(channel.key) === channel) this.channels.delete(channel.key);
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
