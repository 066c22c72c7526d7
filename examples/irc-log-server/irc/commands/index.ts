/**
 * What each IRC command does: registration (CAP, PASS, NICK, USER), channels (JOIN, PART,
 * NAMES, TOPIC, LIST, WHO, MODE), messages (PRIVMSG, NOTICE) and the small queries clients
 * send on their own (WHOIS, USERHOST, ISON, AWAY, MOTD, LUSERS, VERSION). Replies follow
 * RFC 1459/2812 and the Modern IRC documentation; the numerics are in `protocol.ts`.
 *
 * @module
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { handleBotMessage, type BotContext } from '../../bot.js';
import { Channel, type ChannelDirectory } from '../../logs/channels.js';
import { CHAT_PRIORITY, REPLY_PRIORITY, type Client, type OutLine } from '../client.js';
import type { ServerConfig } from '../../config.js';
import { Numeric as N, foldCase, formatMessage, isValidNick, type IrcMessage, type OutboundMessage } from '../protocol.js';
import { formatServerTime, sanitizeText } from '../../logs/render.js';

/** What the command handlers need from the server. */
export interface ServerContext extends BotContext {
  readonly config: ServerConfig;
  readonly channels: ChannelDirectory;
  /** Folded nick → client, registered or not (a NICK reserves the nick at once). */
  readonly nicks: Map<string, Client>;
  /** Server start, for 003. */
  readonly createdAt: Date;
  /** Version string for 002/004/351 (no spaces). */
  readonly version: string;
  /** Lines of member chat relayed (a line to n members counts n). */
  chatRelayed: number;
}

/** Capabilities the server offers in `CAP LS`. */
export const CAPABILITIES: readonly string[] = ['multi-prefix', 'server-time', 'userhost-in-names'];

const PRE_REGISTRATION: ReadonlySet<string> = new Set(['CAP', 'PASS', 'NICK', 'USER', 'PING', 'PONG', 'QUIT']);
const MAX_TARGETS = 4;

type Handler = (ctx: ServerContext, client: Client, params: readonly string[]) => void;

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
  command.run(ctx, client, message.params);
}

/**
 * Takes a departing client out of the nick table and its channels, telling the members of
 * small channels it quit (each once). Called by the server when a connection starts closing.
 */
export function handleDeparture(ctx: ServerContext, client: Client, reason: string): void {
  if (client.nick !== undefined && ctx.nicks.get(foldCase(client.nick)) === client) ctx.nicks.delete(foldCase(client.nick));
  if (!client.registered) return;
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

// ---------------------------------------------------------------------------------------
// Helpers

function shared(message: OutboundMessage, priority = REPLY_PRIORITY): OutLine {
  return { bytes: Buffer.from(formatMessage(message), 'utf8'), priority };
}

/** Whether joins, parts and quits in `channel` are shown to the other members. */
function announces(ctx: ServerContext, channel: Channel): boolean {
  return channel.members.size <= ctx.config.announceMembersUpTo;
}

/** Members `viewer` sees: all of them in a small channel, only itself in an auditorium. */
function visibleMembers(ctx: ServerContext, channel: Channel, viewer: Client): Iterable<Client> {
  if (announces(ctx, channel)) return channel.members;
  return channel.members.has(viewer) ? [viewer] : [];
}

function sendToChannel(ctx: ServerContext, channel: Channel, self: Client, line: OutLine): void {
  self.enqueue(line);
  if (announces(ctx, channel)) ctx.channels.relay(channel, self, line, line);
}

function splitList(value: string): string[] {
  return value.split(',').filter((item) => item !== '');
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

// ---------------------------------------------------------------------------------------
// Registration

function tryRegister(ctx: ServerContext, client: Client): void {
  if (client.registered || client.nick === undefined || client.user === undefined || client.capNegotiating) return;
  const { password } = ctx.config;
  if (password !== undefined && (client.password === undefined || !sameSecret(client.password, password))) {
    client.reply(N.ERR_PASSWDMISMATCH, 'Password incorrect');
    client.close('Bad password');
    return;
  }
  client.registered = true;
  welcome(ctx, client);
}

function welcome(ctx: ServerContext, client: Client): void {
  const { config } = ctx;
  client.reply(N.RPL_WELCOME, `Welcome to the ${config.network} IRC network ${client.mask}`);
  client.reply(N.RPL_YOURHOST, `Your host is ${config.serverName}, running version ${ctx.version}`);
  client.reply(N.RPL_CREATED, `This server was created ${ctx.createdAt.toUTCString()}`);
  client.reply(N.RPL_MYINFO, config.serverName, ctx.version, 'i', 'nt');
  const tokens = [
    'CASEMAPPING=ascii',
    'CHANTYPES=#',
    'CHANMODES=,,,nt',
    'PREFIX=(ov)@+',
    `NICKLEN=${config.nickLength}`,
    'CHANNELLEN=50',
    'TOPICLEN=390',
    `NETWORK=${config.network}`,
    `CHANLIMIT=#:${config.maxChannelsPerClient}`,
    `MAXTARGETS=${MAX_TARGETS}`,
    'MODES=1',
    'AWAYLEN=200',
  ];
  client.reply(N.RPL_ISUPPORT, ...tokens, 'are supported by this server');
  motd(ctx, client);
}

function motd(ctx: ServerContext, client: Client): void {
  const lines = ctx.config.motd;
  if (lines.length === 0) {
    client.reply(N.ERR_NOMOTD, 'MOTD File is missing');
    return;
  }
  client.reply(N.RPL_MOTDSTART, `- ${ctx.config.serverName} Message of the day - `);
  for (const line of lines) client.reply(N.RPL_MOTD, `- ${line}`);
  client.reply(N.RPL_ENDOFMOTD, 'End of /MOTD command.');
}

const cap: Handler = (ctx, client, params) => {
  const sub = params[0].toUpperCase();
  const target = client.nick ?? '*';
  const send = (...rest: string[]): void => {
    client.send({ source: ctx.config.serverName, command: 'CAP', params: [target, ...rest], colon: true });
  };
  switch (sub) {
    case 'LS':
      if (!client.registered) client.capNegotiating = true;
      send('LS', CAPABILITIES.join(' '));
      return;
    case 'LIST':
      send('LIST', [...client.caps].join(' '));
      return;
    case 'REQ': {
      if (!client.registered) client.capNegotiating = true;
      const requested = params[1] ?? '';
      const names = requested.split(' ').filter((name) => name !== '');
      const known = names.length > 0 && names.every((name) => CAPABILITIES.includes(name.replace(/^-/, '')));
      if (!known) {
        send('NAK', requested);
        return;
      }
      for (const name of names) {
        if (name.startsWith('-')) client.caps.delete(name.slice(1));
        else client.caps.add(name);
      }
      send('ACK', requested);
      return;
    }
    case 'END':
      if (client.registered || !client.capNegotiating) return;
      client.capNegotiating = false;
      tryRegister(ctx, client);
      return;
    default:
      client.reply(N.ERR_INVALIDCAPCMD, params[0], 'Invalid CAP command');
  }
};

const pass: Handler = (_ctx, client, params) => {
  if (client.registered) {
    client.reply(N.ERR_ALREADYREGISTERED, 'You may not reregister');
    return;
  }
  client.password = params[0];
};

const nick: Handler = (ctx, client, params) => {
  const wanted = params[0];
  if (wanted === '') {
    client.reply(N.ERR_NONICKNAMEGIVEN, 'No nickname given');
    return;
  }
  if (!isValidNick(wanted, ctx.config.nickLength)) {
    client.reply(N.ERR_ERRONEUSNICKNAME, wanted, 'Erroneous nickname');
    return;
  }
  const folded = foldCase(wanted);
  const holder = ctx.nicks.get(folded);
  if (folded === foldCase(ctx.config.botNick) || (holder !== undefined && holder !== client)) {
    client.reply(N.ERR_NICKNAMEINUSE, wanted, 'Nickname is already in use');
    return;
  }
  const old = client.nick;
  if (old === wanted) return;
  const line = client.registered ? shared({ source: client.mask, command: 'NICK', params: [wanted], colon: true }) : undefined;
  if (old !== undefined) ctx.nicks.delete(foldCase(old));
  ctx.nicks.set(folded, client);
  client.nick = wanted;
  if (line !== undefined) {
    const told = new Set<Client>([client]);
    client.enqueue(line);
    for (const key of client.channels) {
      const channel = ctx.channels.find(key);
      if (channel === undefined || !announces(ctx, channel)) continue;
      for (const member of channel.members) {
        if (told.has(member)) continue;
        told.add(member);
        member.enqueue(line);
      }
    }
  }
  tryRegister(ctx, client);
};

const user: Handler = (ctx, client, params) => {
  if (client.registered || client.user !== undefined) {
    client.reply(N.ERR_ALREADYREGISTERED, 'You may not reregister');
    return;
  }
  const realname = sanitizeText(params[3]).trim();
  if (realname === '') {
    client.reply(N.ERR_NEEDMOREPARAMS, 'USER', 'Not enough parameters');
    return;
  }
  // No ident lookup: the `~` says the user name is the client's own claim.
  const name = params[0].replace(/[^A-Za-z0-9._-]/g, '').slice(0, 10);
  client.user = `~${name === '' ? 'user' : name}`;
  client.realname = realname.slice(0, 100);
  tryRegister(ctx, client);
};

const ping: Handler = (ctx, client, params) => {
  if (params.length === 0 || params[0] === '') {
    client.reply(N.ERR_NOORIGIN, 'No origin specified');
    return;
  }
  const server = ctx.config.serverName;
  client.send({ source: server, command: 'PONG', params: [server, params[0]], colon: true });
};

const pong: Handler = () => {
  // Any input counts as activity (see Client); nothing else to do.
};

const quit: Handler = (_ctx, client, params) => {
  const reason = params.length > 0 ? sanitizeText(params[0]).slice(0, 200) : '';
  client.close(reason === '' ? 'Quit' : `Quit: ${reason}`);
};

// ---------------------------------------------------------------------------------------
// Channels

function names(ctx: ServerContext, client: Client, channel: Channel): void {
  const { botNick } = ctx.config;
  const long = client.caps.has('userhost-in-names');
  const bot = long ? `@${ctx.botMask}` : `@${botNick}`;
  // Pack nicks into 353 lines that stay within 512 bytes.
  const head = `:${ctx.config.serverName} 353 ${client.nick ?? '*'} = ${channel.name} :`;
  const budget = 510 - Buffer.byteLength(head, 'utf8');
  let line = bot;
  for (const member of visibleMembers(ctx, channel, client)) {
    const entry = long ? member.mask : member.nick ?? '*';
    if (line.length + 1 + entry.length > budget) {
      client.reply(N.RPL_NAMREPLY, '=', channel.name, line);
      line = entry;
    } else {
      line += ` ${entry}`;
    }
  }
  client.reply(N.RPL_NAMREPLY, '=', channel.name, line);
  client.reply(N.RPL_ENDOFNAMES, channel.name, 'End of /NAMES list.');
}

function topic(ctx: ServerContext, client: Client, channel: Channel): void {
  client.reply(N.RPL_TOPIC, channel.name, channel.topic);
  client.reply(N.RPL_TOPICWHOTIME, channel.name, ctx.botMask, String(channel.createdAt));
}

const join: Handler = (ctx, client, params) => {
  if (params[0] === '0') {
    for (const key of [...client.channels]) {
      const channel = ctx.channels.find(key);
      if (channel !== undefined) leave(ctx, client, channel, 'Left all channels');
    }
    return;
  }
  for (const name of splitList(params[0])) {
    const existing = ctx.channels.find(name);
    if (existing !== undefined && existing.members.has(client)) continue;
    const joined = ctx.channels.join(client, name);
    if (!(joined instanceof Channel)) {
      client.reply(joined.numeric, name, joined.text);
      continue;
    }
    sendToChannel(ctx, joined, client, shared({ source: client.mask, command: 'JOIN', params: [joined.name] }));
    topic(ctx, client, joined);
    names(ctx, client, joined);
  }
};

function leave(ctx: ServerContext, client: Client, channel: Channel, reason: string | undefined): void {
  const params = reason === undefined ? [channel.name] : [channel.name, reason];
  sendToChannel(ctx, channel, client, shared({ source: client.mask, command: 'PART', params, colon: reason !== undefined }));
  ctx.channels.part(client, channel);
}

const part: Handler = (ctx, client, params) => {
  const reason = params.length > 1 ? sanitizeText(params[1]).slice(0, 200) : undefined;
  for (const name of splitList(params[0])) {
    const channel = ctx.channels.find(name);
    if (channel === undefined) client.reply(N.ERR_NOSUCHCHANNEL, name, 'No such channel');
    else if (!channel.members.has(client)) client.reply(N.ERR_NOTONCHANNEL, name, "You're not on that channel");
    else leave(ctx, client, channel, reason);
  }
};

const topicCommand: Handler = (ctx, client, params) => {
  const channel = ctx.channels.find(params[0]);
  if (channel === undefined) client.reply(N.ERR_NOSUCHCHANNEL, params[0], 'No such channel');
  else if (params.length > 1) client.reply(N.ERR_CHANOPRIVSNEEDED, channel.name, "You're not channel operator: topics say what a channel carries");
  else topic(ctx, client, channel);
};

const namesCommand: Handler = (ctx, client, params) => {
  if (params.length === 0) {
    client.reply(N.RPL_ENDOFNAMES, '*', 'End of /NAMES list.');
    return;
  }
  for (const name of splitList(params[0])) {
    const channel = ctx.channels.find(name);
    if (channel !== undefined) names(ctx, client, channel);
    else client.reply(N.RPL_ENDOFNAMES, name, 'End of /NAMES list.');
  }
};

const list: Handler = (ctx, client, params) => {
  const wanted = params.length > 0 ? new Set(splitList(params[0]).map(foldCase)) : undefined;
  client.reply(N.RPL_LISTSTART, 'Channel', 'Users  Name');
  for (const channel of ctx.channels.all()) {
    if (wanted !== undefined && !wanted.has(channel.key)) continue;
    client.reply(N.RPL_LIST, channel.name, String(channel.members.size + 1), `[+nt] ${channel.topic}`);
  }
  client.reply(N.RPL_LISTEND, 'End of /LIST');
};

function whoLine(ctx: ServerContext, client: Client, channel: string, who: Client | undefined): void {
  const server = ctx.config.serverName;
  if (who === undefined) {
    client.reply(N.RPL_WHOREPLY, channel, ctx.config.botNick, server, server, ctx.config.botNick, 'H@', '0 logcaster log bot');
  } else {
    client.reply(N.RPL_WHOREPLY, channel, who.user ?? '*', who.host, server, who.nick ?? '*', who.away === undefined ? 'H' : 'G', `0 ${who.realname}`);
  }
}

const who: Handler = (ctx, client, params) => {
  const mask = params.length > 0 ? params[0] : '*';
  const channel = mask.startsWith('#') ? ctx.channels.find(mask) : undefined;
  if (channel !== undefined) {
    whoLine(ctx, client, channel.name, undefined);
    for (const member of visibleMembers(ctx, channel, client)) whoLine(ctx, client, channel.name, member);
  } else if (foldCase(mask) === foldCase(ctx.config.botNick)) {
    whoLine(ctx, client, '*', undefined);
  } else {
    const target = ctx.nicks.get(foldCase(mask));
    if (target !== undefined && target.registered) whoLine(ctx, client, '*', target);
  }
  client.reply(N.RPL_ENDOFWHO, mask, 'End of /WHO list.');
};

const whois: Handler = (ctx, client, params) => {
  // WHOIS [server] nick: the nick is the last parameter.
  const wanted = params[params.length - 1];
  const server = ctx.config.serverName;
  if (foldCase(wanted) === foldCase(ctx.config.botNick)) {
    client.reply(N.RPL_WHOISUSER, ctx.config.botNick, ctx.config.botNick, server, '*', 'logcaster log bot: /msg logcaster help');
    client.reply(N.RPL_WHOISSERVER, ctx.config.botNick, server, 'logcaster');
  } else {
    const target = ctx.nicks.get(foldCase(wanted));
    if (target === undefined || !target.registered) {
      client.reply(N.ERR_NOSUCHNICK, wanted, 'No such nick/channel');
    } else {
      client.reply(N.RPL_WHOISUSER, target.nick ?? '*', target.user ?? '*', target.host, '*', target.realname);
      client.reply(N.RPL_WHOISSERVER, target.nick ?? '*', server, 'logcaster');
      if (target.away !== undefined) client.reply(N.RPL_AWAY, target.nick ?? '*', target.away);
    }
  }
  client.reply(N.RPL_ENDOFWHOIS, wanted, 'End of /WHOIS list.');
};

const mode: Handler = (ctx, client, params) => {
  const target = params[0];
  const modes = params[1];
  if (target.startsWith('#')) {
    const channel = ctx.channels.find(target);
    if (channel === undefined) client.reply(N.ERR_NOSUCHCHANNEL, target, 'No such channel');
    else if (modes === undefined) {
      client.reply(N.RPL_CHANNELMODEIS, channel.name, '+nt');
      client.reply(N.RPL_CREATIONTIME, channel.name, String(channel.createdAt));
    } else if (/^\+?b$/.test(modes) && params.length === 2) {
      client.reply(N.RPL_ENDOFBANLIST, channel.name, 'End of channel ban list');
    } else {
      client.reply(N.ERR_CHANOPRIVSNEEDED, channel.name, "You're not channel operator");
    }
    return;
  }
  const folded = foldCase(target);
  if (client.nick !== undefined && folded === foldCase(client.nick)) {
    if (modes === undefined) {
      client.reply(N.RPL_UMODEIS, client.invisible ? '+i' : '+');
      return;
    }
    if (!/^[+-]i*$/.test(modes) || !/^[+-]/.test(modes)) {
      client.reply(N.ERR_UMODEUNKNOWNFLAG, 'Unknown MODE flag');
      return;
    }
    const invisible = modes.startsWith('+');
    if (modes.length > 1 && client.invisible !== invisible) {
      client.invisible = invisible;
      client.send({ source: client.mask, command: 'MODE', params: [client.nick, modes.slice(0, 2)], colon: true });
    }
    return;
  }
  if (folded === foldCase(ctx.config.botNick) || ctx.nicks.has(folded)) client.reply(N.ERR_USERSDONTMATCH, "Can't change mode for other users");
  else client.reply(N.ERR_NOSUCHNICK, target, 'No such nick/channel');
};

// ---------------------------------------------------------------------------------------
// Messages

function message(command: 'PRIVMSG' | 'NOTICE'): Handler {
  const answers = command === 'PRIVMSG'; // errors for NOTICE are never answered, so bots cannot loop
  return (ctx, client, params) => {
    if (params.length === 0 || params[0] === '') {
      if (answers) client.reply(N.ERR_NORECIPIENT, `No recipient given (${command})`);
      return;
    }
    const raw = params[1] ?? '';
    const isAction = raw.startsWith('\x01ACTION ');
    const text = isAction ? raw.slice(8).replace(/\x01$/, '') : raw;
    if (sanitizeText(text).trim() === '') {
      if (answers) client.reply(N.ERR_NOTEXTTOSEND, 'No text to send');
      return;
    }
    for (const targetName of splitList(params[0]).slice(0, MAX_TARGETS)) {
      if (foldCase(targetName) === foldCase(ctx.config.botNick)) {
        if (answers && !isAction) handleBotMessage(ctx, client, text);
        continue;
      }
      const outbound: OutboundMessage = { source: client.mask, command, params: [targetName, text], colon: true, action: isAction };
      if (targetName.startsWith('#')) {
        const channel = ctx.channels.find(targetName);
        if (channel === undefined) {
          if (answers) client.reply(N.ERR_NOSUCHCHANNEL, targetName, 'No such channel');
        } else if (!channel.members.has(client)) {
          if (answers) client.reply(N.ERR_CANNOTSENDTOCHAN, channel.name, 'Cannot send to channel (no external messages)');
        } else {
          const [tagged, plain] = chatLines(ctx, { ...outbound, params: [channel.name, text] });
          ctx.chatRelayed += ctx.channels.relay(channel, client, tagged, plain);
        }
        continue;
      }
      const target = ctx.nicks.get(foldCase(targetName));
      if (target === undefined || !target.registered) {
        if (answers) client.reply(N.ERR_NOSUCHNICK, targetName, 'No such nick/channel');
        continue;
      }
      const [tagged, plain] = chatLines(ctx, { ...outbound, params: [target.nick ?? targetName, text] });
      if (target.enqueue(target.serverTime ? tagged : plain)) ctx.chatRelayed++;
      if (answers && target.away !== undefined) client.reply(N.RPL_AWAY, target.nick ?? targetName, target.away);
    }
  };
}

/** A chat line encoded once, with and without `@time=`. */
function chatLines(ctx: ServerContext, outbound: OutboundMessage): [OutLine, OutLine] {
  const line = formatMessage(outbound);
  const tagged = Buffer.from(`@time=${formatServerTime(ctx.config.now())} ${line}`, 'utf8');
  const plainStart = tagged.length - Buffer.byteLength(line, 'utf8');
  return [
    { bytes: tagged, priority: CHAT_PRIORITY },
    { bytes: tagged.subarray(plainStart), priority: CHAT_PRIORITY },
  ];
}

// ---------------------------------------------------------------------------------------
// Small queries

const away: Handler = (_ctx, client, params) => {
  const text = params.length > 0 ? sanitizeText(params[0]).slice(0, 200) : '';
  if (text === '') {
    client.away = undefined;
    client.reply(N.RPL_UNAWAY, 'You are no longer marked as being away');
  } else {
    client.away = text;
    client.reply(N.RPL_NOWAWAY, 'You have been marked as being away');
  }
};

const userhost: Handler = (ctx, client, params) => {
  const found: string[] = [];
  for (const name of params.slice(0, 5)) {
    const target = ctx.nicks.get(foldCase(name));
    if (target !== undefined && target.registered) found.push(`${target.nick ?? '*'}=${target.away === undefined ? '+' : '-'}${target.user ?? '*'}@${target.host}`);
  }
  client.reply(N.RPL_USERHOST, found.join(' '));
};

const ison: Handler = (ctx, client, params) => {
  const online: string[] = [];
  for (const name of params.join(' ').split(' ').slice(0, 32)) {
    if (name === '') continue;
    if (foldCase(name) === foldCase(ctx.config.botNick)) online.push(ctx.config.botNick);
    const target = ctx.nicks.get(foldCase(name));
    if (target !== undefined && target.registered && target.nick !== undefined) online.push(target.nick);
  }
  client.reply(N.RPL_ISON, online.join(' '));
};

const lusers: Handler = (ctx, client) => {
  const stats = ctx.stats();
  client.reply(N.RPL_LUSERCLIENT, `There are ${stats.clients + 1} users and 0 invisible on 1 server`);
  client.reply(N.RPL_LUSERCHANNELS, String(stats.channels), 'channels formed');
  client.reply(N.RPL_LUSERME, `I have ${stats.clients + 1} clients and 0 servers`);
};

const version: Handler = (ctx, client) => {
  client.reply(N.RPL_VERSION, ctx.version, ctx.config.serverName, 'logcaster example IRC log server');
};

interface Command {
  readonly minParams: number;
  readonly run: Handler;
}

const COMMANDS: ReadonlyMap<string, Command> = new Map<string, Command>([
  ['CAP', { minParams: 1, run: cap }],
  ['PASS', { minParams: 1, run: pass }],
  ['NICK', { minParams: 0, run: (ctx, client, params) => (params.length === 0 ? client.reply(N.ERR_NONICKNAMEGIVEN, 'No nickname given') : nick(ctx, client, params)) }],
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
  ['PRIVMSG', { minParams: 0, run: message('PRIVMSG') }],
  ['NOTICE', { minParams: 0, run: message('NOTICE') }],
  ['AWAY', { minParams: 0, run: away }],
  ['USERHOST', { minParams: 1, run: userhost }],
  ['ISON', { minParams: 1, run: ison }],
  ['MOTD', { minParams: 0, run: (ctx, client) => motd(ctx, client) }],
  ['LUSERS', { minParams: 0, run: lusers }],
  ['VERSION', { minParams: 0, run: version }],
]);
