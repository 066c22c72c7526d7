/**
 * What every command handler gets: the server's state as the IRC side sees it, and the small
 * helpers several command groups share. Nothing here knows what feeds the channels.
 *
 * @module
 */
import { nodeCrypto } from '../../node-crypto.js';
import type { Channel } from '../channel.js';
import type { ChannelRouter } from '../channel-router.js';
import { ChatChannel } from '../chat-channel.js';
import type { Client } from '../client.js';
import { formatMessage, type IrcMessage, type OutboundMessage } from '../message.js';
import { foldCase } from '../names.js';
import { Numeric as N } from '../numerics.js';
import type { Network, NetworkChange } from '../network.js';
import type { PasswordGuard } from '../password-guard.js';
import { RemoteUser, type RemoteUsers, type UserInfo, type UserView } from '../remote-users.js';
import { REPLY_PRIORITY, type OutLine } from '../client.js';

/** The settings the commands read (a `ServerConfig` has them all). */
export interface IrcSettings {
  /** Name of this server: source of replies, `004`. */
  readonly serverName: string;
  /** Network name (`001`, `NETWORK=`). */
  readonly network: string;
  /** Longest nick. */
  readonly nickLength: number;
  /** Channels per client (`CHANLIMIT`). */
  readonly maxChannelsPerClient: number;
  /** Message of the day, one string per line; empty for 422. */
  readonly motd: readonly string[];
  /** Connection password (`PASS`), if any. */
  readonly password: string | undefined;
  /** The service bot's nick: reserved, answered by {@link ServerContext.botMessage}. */
  readonly botNick: string;
  /** Joins, parts and quits are shown in channels with at most this many members. */
  readonly announceMembersUpTo: number;
  /** Clock in ms. */
  readonly now: () => number;
}

/** Counts the server reports in LUSERS. */
export interface IrcCounts {
  /** Open connections. */
  readonly clients: number;
  /** Channels with at least one member. */
  readonly channels: number;
}

/** What the command handlers need from the server. */
export interface ServerContext {
  readonly config: IrcSettings;
  /** Every channel: the log side's and the ordinary ones (`channels.chat`). */
  readonly channels: ChannelRouter;
  /** Folded nick → client, registered or not (a NICK reserves the nick at once). */
  readonly nicks: Map<string, Client>;
  /** Server start, for 003. */
  readonly createdAt: Date;
  /** Version string for 002/004/351 (no spaces). */
  readonly version: string;
  /** `nick!user@host` of the service bot. */
  readonly botMask: string;
  /** Lines of member chat relayed (a line to n members counts n). */
  chatRelayed: number;
  /** Current counts, for LUSERS. */
  stats(): IrcCounts;
  /** Answers a PRIVMSG a client sent to the bot (given by the server: the IRC side has no bot). */
  botMessage(client: Client, text: string): void;
  /** This node's id (unique per process): the prefix of its clients' ids, stamped on what it sends to the network. */
  readonly node: string;
  /** The other nodes, with `--redis`; absent: this node is the whole network. */
  network?: Network;
  /** The users of the other nodes (empty when this node is alone). */
  readonly remote: RemoteUsers;
  /** Wrong passwords per address, with a password set; absent: no password, nothing to guess. */
  readonly passwordGuard?: PasswordGuard;
}

/**
 * One command's handler; `params` has at least the command's `minParams`, `message` is the
 * whole message (its tags, for message-tags).
 */
export type Handler = (ctx: ServerContext, client: Client, params: readonly string[], message: IrcMessage) => void;

/** Most targets in one PRIVMSG/NOTICE (`MAXTARGETS`). */
export const MAX_TARGETS = 4;

/** A message encoded once, to queue to several clients. */
export function shared(message: OutboundMessage, priority = REPLY_PRIORITY): OutLine {
  return { bytes: Buffer.from(formatMessage(message), 'utf8'), priority };
}

/** How many members `channel` has, on every node. */
export function memberCount(ctx: ServerContext, channel: Channel): number {
  return channel.members.size + ctx.remote.membersOf(channel.key).size;
}

/** Every member of `channel`: this node's, then the other nodes'. */
export function* everyMember(ctx: ServerContext, channel: Channel): Iterable<UserView> {
  yield* channel.members;
  yield* ctx.remote.membersOf(channel.key);
}

/** Whether joins, parts and quits in `channel` are shown to the other members. */
export function announces(ctx: ServerContext, channel: Channel): boolean {
  // Ordinary channels are conversations: everyone sees everyone, whatever the size.
  return channel instanceof ChatChannel || memberCount(ctx, channel) <= ctx.config.announceMembersUpTo;
}

/** Members `viewer` sees (NAMES, WHO): all of them in a small channel, only itself in an auditorium. */
export function visibleMembers(ctx: ServerContext, channel: Channel, viewer: Client): Iterable<UserView> {
  if (announces(ctx, channel)) return everyMember(ctx, channel);
  return channel.members.has(viewer) ? [viewer] : [];
}

/** This node's members who are shown what happens in `channel`: all in a small channel, none in an auditorium. */
export function audience(ctx: ServerContext, channel: Channel): Iterable<Client> {
  return announces(ctx, channel) ? channel.members : [];
}

/** Sends `line` to `self` and to the members of `channel` (all of them when it announces). */
export function sendToChannel(ctx: ServerContext, channel: Channel, self: Client, line: OutLine): void {
  self.enqueue(line);
  if (announces(ctx, channel)) ctx.channels.relay(channel, self, line, line);
}

/** Tells the other nodes what changed here (nothing without them). */
export function announce(ctx: ServerContext, change: NetworkChange): void {
  ctx.network?.announce(change);
}

/** A registered client as the other nodes see it. */
export function userInfo(client: Client): UserInfo {
  const info = { id: client.id, nick: client.nick ?? '*', user: client.user ?? '*', host: client.host, realname: client.realname, signonAt: client.connectedAt };
  return client.away === undefined ? info : { ...info, away: client.away };
}

/** The items of a comma list, empty ones left out. */
export function splitList(value: string): string[] {
  return value.split(',').filter((item) => item !== '');
}

/** Compares two secrets in constant time. */
export function sameSecret(given: string, expected: string): boolean {
  const { createHash, timingSafeEqual } = nodeCrypto();
  const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** The registered client using `nick` on this node, if any. */
export function localUser(ctx: ServerContext, nick: string): Client | undefined {
  const client = ctx.nicks.get(foldCase(nick));
  return client !== undefined && client.registered ? client : undefined;
}

/** The user using `nick` on this node or on another, if any. */
export function findUser(ctx: ServerContext, nick: string): Client | RemoteUser | undefined {
  return localUser(ctx, nick) ?? ctx.remote.byNickname(nick);
}

/** Whether `user` (of any node) is on `channel`. */
export function isMember(channel: Channel, user: Client | RemoteUser): boolean {
  return user instanceof RemoteUser ? user.channels.has(channel.key) : channel.members.has(user);
}

/**
 * The member of `channel` using `nick` (on any node), for commands that act on one (KICK, MODE
 * +o/+v); when there is none, `client` is told why (401 no such nick, 441 not on that channel).
 */
export function channelMember(ctx: ServerContext, client: Client, channel: Channel, nick: string): Client | RemoteUser | undefined {
  const target = findUser(ctx, nick);
  if (target === undefined) {
    client.reply(N.ERR_NOSUCHNICK, nick, 'No such nick/channel');
    return undefined;
  }
  if (!isMember(channel, target)) {
    client.reply(N.ERR_USERNOTINCHANNEL, target.nick ?? nick, channel.name, "They aren't on that channel");
    return undefined;
  }
  return target;
}

/** Registered clients on this node, in nick-table order. */
export function* localUsers(ctx: ServerContext): Iterable<Client> {
  for (const client of ctx.nicks.values()) if (client.registered && client.nick !== undefined) yield client;
}

/** Whether `a` and `b` share at least one channel. */
export function shareChannel(a: Client, b: Client): boolean {
  for (const key of a.channels) if (b.channels.has(key)) return true;
  return false;
}
