/**
 * Queries about users: WHO, WHOIS, WHOWAS, USERHOST, ISON, and AWAY. The service bot answers
 * like a user everywhere (WHO, WHOIS, USERHOST, ISON agree about it). Users `+i` are left out
 * of mask queries unless they share a channel with the asker (RFC 2812 3.6.1); asked for by
 * their exact nick, they are answered (invisibility hides a user from searches, and WHOIS
 * answers by nick anyway).
 *
 * @module
 */
import type { Channel } from '../channel.js';
import { ChatChannel } from '../chat-channel.js';
import type { Client } from '../client.js';
import { matchesMask } from '../mask.js';
import { foldCase } from '../names.js';
import { Numeric as N } from '../numerics.js';
import { sanitizeText } from '../text.js';
import { canSee } from './channel.js';
import { RemoteUser, type UserView } from '../remote-users.js';
import { announce, audience, findUser, localUsers, shareChannel, shared, splitList, userInfo, visibleMembers, type Handler, type ServerContext } from './context.js';
import { idleSeconds, whowasOf } from './user-records.js';

const BOT_REALNAME = 'logcaster log bot: /msg logcaster help';

function isBot(ctx: ServerContext, nick: string): boolean {
  return foldCase(nick) === foldCase(ctx.config.botNick);
}

/** 352 for the bot. */
function whoBot(ctx: ServerContext, client: Client, channel: string): void {
  const { serverName: server, botNick } = ctx.config;
  client.reply(N.RPL_WHOREPLY, channel, botNick, server, server, botNick, channel === '*' ? 'H' : 'H@', "0 logcaster log bot");
}

/** The server a user is on: this one, or the other node's. */
function serverOf(ctx: ServerContext, user: UserView): string {
  return user instanceof RemoteUser ? user.server : ctx.config.serverName;
}

/** 352 for a user (of any node); `channel` gives its prefix there. */
function whoUser(ctx: ServerContext, client: Client, who: UserView, channel: Channel | undefined): void {
  let flags = who.away === undefined ? 'H' : 'G';
  if (channel instanceof ChatChannel) flags += channel.prefix(who, client.caps.has('multi-prefix'));
  const hops = who instanceof RemoteUser ? 1 : 0;
  client.reply(N.RPL_WHOREPLY, channel?.name ?? '*', who.user ?? '*', who.host, serverOf(ctx, who), who.nick ?? '*', flags, `${hops} ${who.realname}`);
}

export const who: Handler = (ctx, client, params) => {
  const mask = params.length > 0 && params[0] !== '' ? params[0] : '*';
  const opersOnly = params[1] === 'o';
  if (mask.startsWith('#')) {
    const channel = ctx.channels.find(mask);
    if (channel !== undefined && canSee(channel, client) && !opersOnly) {
      if (!(channel instanceof ChatChannel)) whoBot(ctx, client, channel.name);
      for (const member of visibleMembers(ctx, channel, client)) whoUser(ctx, client, member, channel);
    }
    client.reply(N.RPL_ENDOFWHO, channel?.name ?? mask, 'End of /WHO list.');
    return;
  }
  // `WHO 0` and `WHO *` mean everyone visible; otherwise a mask over nick, user, host, server, realname.
  const everyone = mask === '0' || mask === '*';
  const folded = foldCase(mask);
  if (!opersOnly) {
    const server = ctx.config.serverName;
    if (everyone || [ctx.config.botNick, server, 'logcaster log bot'].some((field) => matchesMask(mask, field))) whoBot(ctx, client, '*');
    for (const user of localUsers(ctx)) {
      const hidden = user.invisible && user !== client && !shareChannel(user, client);
      if (hidden && foldCase(user.nick ?? '') !== folded) continue;
      const fields = [user.nick ?? '', user.user ?? '', user.host, server, user.realname];
      if (everyone || fields.some((field) => matchesMask(mask, field))) whoUser(ctx, client, user, undefined);
    }
    for (const user of ctx.remote.all()) {
      const fields = [user.nick, user.user, user.host, user.server, user.realname];
      if (everyone || fields.some((field) => matchesMask(mask, field))) whoUser(ctx, client, user, undefined);
    }
  }
  client.reply(N.RPL_ENDOFWHO, mask, 'End of /WHO list.');
};

/** The channels of `target` (of any node) that `asker` may see, with prefixes, packed for 319. */
function whoisChannels(ctx: ServerContext, asker: Client, target: Client | RemoteUser): string[] {
  const names: string[] = [];
  for (const key of target.channels.keys()) {
    const channel = ctx.channels.find(key);
    if (channel === undefined) {
      // A pattern channel only the other node has: no modes to hide it.
      if (target instanceof RemoteUser) names.push(target.channels.get(key) ?? key);
      continue;
    }
    if (!canSee(channel, asker)) continue;
    names.push(channel instanceof ChatChannel ? channel.prefix(target, asker.caps.has('multi-prefix')) + channel.name : channel.name);
  }
  const lines: string[] = [];
  let line = '';
  for (const name of names) {
    if (line.length + name.length + 1 > 400) {
      lines.push(line);
      line = name;
    } else {
      line = line === '' ? name : `${line} ${name}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

export const whois: Handler = (ctx, client, params) => {
  // WHOIS [server] nick{,nick}: the nicks are the last parameter.
  const server = ctx.config.serverName;
  const wanted = params[params.length - 1];
  for (const nick of splitList(wanted).slice(0, 4)) {
    if (isBot(ctx, nick)) {
      const bot = ctx.config.botNick;
      client.reply(N.RPL_WHOISUSER, bot, bot, server, '*', BOT_REALNAME);
      client.reply(N.RPL_WHOISSERVER, bot, server, 'logcaster');
    } else {
      const target = findUser(ctx, nick);
      if (target === undefined) {
        client.reply(N.ERR_NOSUCHNICK, nick, 'No such nick/channel');
      } else {
        const shown = target.nick ?? nick;
        client.reply(N.RPL_WHOISUSER, shown, target.user ?? '*', target.host, '*', target.realname);
        for (const line of whoisChannels(ctx, client, target)) client.reply(N.RPL_WHOISCHANNELS, shown, line);
        client.reply(N.RPL_WHOISSERVER, shown, serverOf(ctx, target), 'logcaster');
        if (target.away !== undefined) client.reply(N.RPL_AWAY, shown, target.away);
        // Another node's user: its idle time is that node's to know; only the signon is shared.
        if (!(target instanceof RemoteUser)) {
          client.reply(N.RPL_WHOISIDLE, shown, String(idleSeconds(ctx, target)), String(Math.floor(target.connectedAt / 1000)), 'seconds idle, signon time');
        }
      }
    }
  }
  client.reply(N.RPL_ENDOFWHOIS, wanted, 'End of /WHOIS list.');
};

export const whowas: Handler = (ctx, client, params) => {
  const count = params.length > 1 ? Number(params[1]) : 0;
  const limit = Number.isInteger(count) && count > 0 ? count : Number.POSITIVE_INFINITY;
  for (const nick of splitList(params[0]).slice(0, 4)) {
    const entries = whowasOf(ctx, nick).slice(0, limit);
    if (entries.length === 0) client.reply(N.ERR_WASNOSUCHNICK, nick, 'There was no such nickname');
    for (const entry of entries) {
      client.reply(N.RPL_WHOWASUSER, entry.nick, entry.user, entry.host, '*', entry.realname);
      client.reply(N.RPL_WHOISSERVER, entry.nick, ctx.config.serverName, new Date(entry.at).toUTCString());
    }
    client.reply(N.RPL_ENDOFWHOWAS, nick, 'End of WHOWAS');
  }
};

export const away: Handler = (ctx, client, params) => {
  const text = params.length > 0 ? sanitizeText(params[0]).slice(0, 200) : '';
  const was = client.away;
  if (text === '') {
    client.away = undefined;
    client.reply(N.RPL_UNAWAY, 'You are no longer marked as being away');
  } else {
    client.away = text;
    client.reply(N.RPL_NOWAWAY, 'You have been marked as being away');
  }
  if (was === client.away) return;
  announce(ctx, { type: 'user', user: userInfo(client) });
  // away-notify: everyone who shares a channel and asked for it hears of the change, once.
  const line = shared({ source: client.mask, command: 'AWAY', params: client.away === undefined ? [] : [client.away], colon: client.away !== undefined });
  const told = new Set<Client>([client]);
  for (const key of client.channels) {
    const channel = ctx.channels.find(key);
    if (channel === undefined) continue;
    for (const member of audience(ctx, channel)) {
      if (told.has(member) || !member.caps.has('away-notify')) continue;
      told.add(member);
      member.enqueue(line);
    }
  }
};

export const userhost: Handler = (ctx, client, params) => {
  const found: string[] = [];
  for (const name of params.join(' ').split(' ').filter((n) => n !== '').slice(0, 5)) {
    if (isBot(ctx, name)) {
      found.push(`${ctx.config.botNick}=+${ctx.config.botNick}@${ctx.config.serverName}`);
      continue;
    }
    const target = findUser(ctx, name);
    if (target !== undefined) found.push(`${target.nick ?? '*'}=${target.away === undefined ? '+' : '-'}${target.user ?? '*'}@${target.host}`);
  }
  client.reply(N.RPL_USERHOST, found.join(' '));
};

export const ison: Handler = (ctx, client, params) => {
  const online: string[] = [];
  for (const name of params.join(' ').split(' ').slice(0, 32)) {
    if (name === '') continue;
    if (isBot(ctx, name)) {
      online.push(ctx.config.botNick);
      continue;
    }
    const target = findUser(ctx, name);
    if (target?.nick !== undefined) online.push(target.nick);
  }
  client.reply(N.RPL_ISON, online.join(' '));
};
