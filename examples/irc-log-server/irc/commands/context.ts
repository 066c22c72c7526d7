/**
 * What every command handler gets: the server's state as the IRC side sees it, and the small
 * helpers several command groups share. Nothing here knows what feeds the channels.
 *
 * @module
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Channel, ChannelDirectory } from '../channel.js';
import type { Client } from '../client.js';
import { formatMessage, type OutboundMessage } from '../message.js';
import { REPLY_PRIORITY, type OutLine } from '../out-line.js';

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
  readonly channels: ChannelDirectory;
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
}

/** One command's handler; `params` has at least the command's `minParams`. */
export type Handler = (ctx: ServerContext, client: Client, params: readonly string[]) => void;

/** Most targets in one PRIVMSG/NOTICE (`MAXTARGETS`). */
export const MAX_TARGETS = 4;

export function shared(message: OutboundMessage, priority = REPLY_PRIORITY): OutLine {
  return { bytes: Buffer.from(formatMessage(message), 'utf8'), priority };
}

/** Whether joins, parts and quits in `channel` are shown to the other members. */
export function announces(ctx: ServerContext, channel: Channel): boolean {
  return channel.members.size <= ctx.config.announceMembersUpTo;
}

/** Members `viewer` sees: all of them in a small channel, only itself in an auditorium. */
export function visibleMembers(ctx: ServerContext, channel: Channel, viewer: Client): Iterable<Client> {
  if (announces(ctx, channel)) return channel.members;
  return channel.members.has(viewer) ? [viewer] : [];
}

export function sendToChannel(ctx: ServerContext, channel: Channel, self: Client, line: OutLine): void {
  self.enqueue(line);
  if (announces(ctx, channel)) ctx.channels.relay(channel, self, line, line);
}

export function splitList(value: string): string[] {
  return value.split(',').filter((item) => item !== '');
}

export function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}
