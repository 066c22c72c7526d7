/**
 * What each IRC command does, by group: registration (CAP, PASS, NICK, USER, QUIT, MOTD),
 * channels (JOIN, PART, TOPIC, NAMES, LIST, KICK, INVITE; MODE in modes.ts), user queries
 * (WHO, WHOIS, WHOWAS, USERHOST, ISON, AWAY), messages (PRIVMSG, NOTICE, TAGMSG; CTCP in
 * ctcp.ts) and the server (PING, PONG, LUSERS, VERSION, TIME, OPER). Replies
 * follow RFC 1459/2812 and the Modern IRC documentation; the numerics are in `../numerics.ts`.
 * A new command is a handler in its group's file and one row in {@link COMMANDS}.
 *
 * @module
 */
import type { Client } from '../client.js';
import type { IrcMessage } from '../message.js';
import { foldCase } from '../names.js';
import { Numeric as N } from '../numerics.js';
import { invite, join, kick, list, namesCommand, part, topicCommand } from './channel.js';
import { announce, announces, shared, type Handler, type ServerContext } from './context.js';
import { message } from './messaging.js';
import { mode } from './modes.js';
import { away, ison, userhost, who, whois, whowas } from './query.js';
import { cap, motd, nick, pass, pendingNick, quit, user } from './registration.js';
import { lusers, oper, ping, pong, time, version } from './server.js';
import { rememberNick } from './user-records.js';

export { CAPABILITIES, TOO_MANY_ATTEMPTS } from './registration.js';
export { deliverChat } from './messaging.js';
export { applyRemote, applySnapshot, forgetNode, localSnapshot, type Origin, type Snapshot } from './remote.js';
export type { IrcCounts, IrcSettings, ServerContext } from './context.js';

const PRE_REGISTRATION: ReadonlySet<string> = new Set(['CAP', 'PASS', 'NICK', 'USER', 'PING', 'PONG', 'QUIT']);

/**
 * Runs one message from `client`: 451 for anything but registration commands before
 * registration, 461 when parameters are missing, 421 for unknown commands.
 */
export function dispatch(ctx: ServerContext, client: Client, message: IrcMessage): void {
  const command = COMMANDS.get(message.command);
  if (!client.registered && !PRE_REGISTRATION.has(message.command)) {
    client.reply(N.ERR_NOTREGISTERED, 'You have not registered');
    return;
  }
  if (command === undefined) {
    client.reply(N.ERR_UNKNOWNCOMMAND, message.command, 'Unknown command');
    return;
  }
  if (message.params.length < command.minParams) {
    if (message.command !== 'NOTICE') client.reply(N.ERR_NEEDMOREPARAMS, message.command, 'Not enough parameters');
    return;
  }
  command.run(ctx, client, message.params, message);
}

/**
 * Takes a departing client out of the nick table and its channels, telling the members of
 * small channels it quit (each once). Called by the server when a connection starts closing.
 */
export function handleDeparture(ctx: ServerContext, client: Client, reason: string): void {
  if (client.nick !== undefined && ctx.nicks.get(foldCase(client.nick)) === client) {
    ctx.nicks.delete(foldCase(client.nick));
    ctx.network?.claims?.release(foldCase(client.nick));
  }
  // A claim still in flight is released when it settles (registration.ts); its reservation goes now.
  const pending = pendingNick(client);
  if (pending !== undefined && ctx.nicks.get(pending) === client) ctx.nicks.delete(pending);
  if (!client.registered) return;
  rememberNick(ctx, client);
  announce(ctx, { type: 'quit', id: client.id, reason });
  const quit = shared({ source: client.mask, command: 'QUIT', params: [reason], colon: true });
  const told = new Set<Client>([client]);
  for (const key of [...client.channels]) {
    const channel = ctx.channels.find(key);
    if (channel === undefined) continue;
    if (announces(ctx, channel)) {
      for (const member of channel.members) {
        if (told.has(member)) continue;
        told.add(member);
        member.enqueue(quit);
      }
    }
    ctx.channels.part(client, channel);
  }
}

interface Command {
  readonly minParams: number;
  readonly run: Handler;
}

const COMMANDS: ReadonlyMap<string, Command> = new Map<string, Command>([
  ['CAP', { minParams: 1, run: cap }],
  ['PASS', { minParams: 1, run: pass }],
  ['NICK', { minParams: 0, run: (ctx, client, params, message) => (params.length === 0 ? client.reply(N.ERR_NONICKNAMEGIVEN, 'No nickname given') : nick(ctx, client, params, message)) }],
  ['USER', { minParams: 4, run: user }],
  ['PING', { minParams: 0, run: ping }],
  ['PONG', { minParams: 0, run: pong }],
  ['QUIT', { minParams: 0, run: quit }],
  ['JOIN', { minParams: 1, run: join }],
  ['PART', { minParams: 1, run: part }],
  ['TOPIC', { minParams: 1, run: topicCommand }],
  ['NAMES', { minParams: 0, run: namesCommand }],
  ['LIST', { minParams: 0, run: list }],
  ['WHO', { minParams: 0, run: who }],
  ['WHOIS', { minParams: 1, run: whois }],
  ['MODE', { minParams: 1, run: mode }],
  ['KICK', { minParams: 2, run: kick }],
  ['INVITE', { minParams: 2, run: invite }],
  ['PRIVMSG', { minParams: 0, run: message('PRIVMSG') }],
  ['NOTICE', { minParams: 0, run: message('NOTICE') }],
  ['TAGMSG', { minParams: 0, run: message('TAGMSG') }],
  ['WHOWAS', { minParams: 1, run: whowas }],
  ['TIME', { minParams: 0, run: time }],
  ['OPER', { minParams: 2, run: oper }],
  ['AWAY', { minParams: 0, run: away }],
  ['USERHOST', { minParams: 1, run: userhost }],
  ['ISON', { minParams: 1, run: ison }],
  ['MOTD', { minParams: 0, run: (ctx, client) => motd(ctx, client) }],
  ['LUSERS', { minParams: 0, run: lusers }],
  ['VERSION', { minParams: 0, run: version }],
]);
