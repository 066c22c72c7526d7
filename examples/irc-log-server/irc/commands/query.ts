/**
 * Queries about users: WHO, WHOIS, USERHOST, ISON, and AWAY.
 *
 * @module
 */
import type { Client } from '../client.js';
import { foldCase } from '../names.js';
import { Numeric as N } from '../numerics.js';
import { sanitizeText } from '../text.js';
import { visibleMembers, type Handler, type ServerContext } from './context.js';

function whoLine(ctx: ServerContext, client: Client, channel: string, who: Client | undefined): void {
  const server = ctx.config.serverName;
  if (who === undefined) {
    client.reply(N.RPL_WHOREPLY, channel, ctx.config.botNick, server, server, ctx.config.botNick, 'H@', '0 logcaster log bot');
  } else {
    client.reply(N.RPL_WHOREPLY, channel, who.user ?? '*', who.host, server, who.nick ?? '*', who.away === undefined ? 'H' : 'G', `0 ${who.realname}`);
  }
}

export const who: Handler = (ctx, client, params) => {
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

export const whois: Handler = (ctx, client, params) => {
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

export const away: Handler = (_ctx, client, params) => {
  const text = params.length > 0 ? sanitizeText(params[0]).slice(0, 200) : '';
  if (text === '') {
    client.away = undefined;
    client.reply(N.RPL_UNAWAY, 'You are no longer marked as being away');
  } else {
    client.away = text;
    client.reply(N.RPL_NOWAWAY, 'You have been marked as being away');
  }
};

export const userhost: Handler = (ctx, client, params) => {
  const found: string[] = [];
  for (const name of params.slice(0, 5)) {
    const target = ctx.nicks.get(foldCase(name));
    if (target !== undefined && target.registered) found.push(`${target.nick ?? '*'}=${target.away === undefined ? '+' : '-'}${target.user ?? '*'}@${target.host}`);
  }
  client.reply(N.RPL_USERHOST, found.join(' '));
};

export const ison: Handler = (ctx, client, params) => {
  const online: string[] = [];
  for (const name of params.join(' ').split(' ').slice(0, 32)) {
    if (name === '') continue;
    if (foldCase(name) === foldCase(ctx.config.botNick)) online.push(ctx.config.botNick);
    const target = ctx.nicks.get(foldCase(name));
    if (target !== undefined && target.registered && target.nick !== undefined) online.push(target.nick);
  }
  client.reply(N.RPL_ISON, online.join(' '));
};
