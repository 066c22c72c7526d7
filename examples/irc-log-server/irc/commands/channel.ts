/**
 * Channel commands: JOIN, PART, TOPIC, NAMES, LIST and channel MODE queries.
 *
 * @module
 */
import { isRefusal, type Channel } from '../channel.js';
import type { Client } from '../client.js';
import { foldCase } from '../names.js';
import { Numeric as N } from '../numerics.js';
import { sanitizeText } from '../text.js';
import { sendToChannel, shared, splitList, visibleMembers, type Handler, type ServerContext } from './context.js';

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

export const join: Handler = (ctx, client, params) => {
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
    if (isRefusal(joined)) {
      client.reply(joined.numeric, name, joined.text);
      continue;
    }
    sendToChannel(ctx, joined, client, shared({ source: client.mask, command: 'JOIN', params: [joined.name] }));
    topic(ctx, client, joined);
    names(ctx, client, joined);
    ctx.channels.replay?.(client, joined); // the recent lines, marked as history
  }
};

function leave(ctx: ServerContext, client: Client, channel: Channel, reason: string | undefined): void {
  const params = reason === undefined ? [channel.name] : [channel.name, reason];
  sendToChannel(ctx, channel, client, shared({ source: client.mask, command: 'PART', params, colon: reason !== undefined }));
  ctx.channels.part(client, channel);
}

export const part: Handler = (ctx, client, params) => {
  const reason = params.length > 1 ? sanitizeText(params[1]).slice(0, 200) : undefined;
  for (const name of splitList(params[0])) {
    const channel = ctx.channels.find(name);
    if (channel === undefined) client.reply(N.ERR_NOSUCHCHANNEL, name, 'No such channel');
    else if (!channel.members.has(client)) client.reply(N.ERR_NOTONCHANNEL, name, "You're not on that channel");
    else leave(ctx, client, channel, reason);
  }
};

export const topicCommand: Handler = (ctx, client, params) => {
  const channel = ctx.channels.find(params[0]);
  if (channel === undefined) client.reply(N.ERR_NOSUCHCHANNEL, params[0], 'No such channel');
  else if (params.length > 1) client.reply(N.ERR_CHANOPRIVSNEEDED, channel.name, "You're not channel operator: topics say what a channel carries");
  else topic(ctx, client, channel);
};

export const namesCommand: Handler = (ctx, client, params) => {
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

export const list: Handler = (ctx, client, params) => {
  const wanted = params.length > 0 ? new Set(splitList(params[0]).map(foldCase)) : undefined;
  client.reply(N.RPL_LISTSTART, 'Channel', 'Users  Name');
  for (const channel of ctx.channels.all()) {
    if (wanted !== undefined && !wanted.has(channel.key)) continue;
    client.reply(N.RPL_LIST, channel.name, String(channel.members.size + 1), `[+nt] ${channel.topic}`);
  }
  client.reply(N.RPL_LISTEND, 'End of /LIST');
};

export const mode: Handler = (ctx, client, params) => {
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
