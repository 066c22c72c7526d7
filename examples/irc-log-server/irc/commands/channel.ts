/**
 * Channel commands: JOIN, PART, TOPIC, NAMES, LIST, KICK and INVITE. Channel MODE is in
 * `channel-modes.ts`. Log channels and ordinary channels answer with the same numerics; a
 * log channel's topic and modes belong to the server (482 to anyone trying to change them).
 *
 * @module
 */
import { isRefusal, type Channel } from '../channel.js';
import { ChatChannel, TOPIC_LENGTH } from '../chat-channel.js';
import type { Client } from '../client.js';
import { matchesMask } from '../mask.js';
import { foldCase } from '../names.js';
import { Numeric as N } from '../numerics.js';
import { sanitizeText, truncateUtf8 } from '../text.js';
import { RemoteUser, type UserView } from '../remote-users.js';
import {
  announce,
  audience,
  channelMember,
  everyMember,
  findUser,
  isMember,
  memberCount,
  sendToChannel,
  shared,
  splitList,
  visibleMembers,
  type Handler,
  type ServerContext,
} from './context.js';

/** Whether `viewer` may see that `channel` exists and who is in it (`+s` hides it from outsiders). */
export function canSee(channel: Channel, viewer: Client): boolean {
  return !(channel instanceof ChatChannel && channel.flags.has('s')) || channel.members.has(viewer);
}

/** The nick as NAMES shows it: prefixed, and as `nick!user@host` with userhost-in-names. */
function namesEntry(channel: ChatChannel, member: UserView, viewer: Client): string {
  const id = viewer.caps.has('userhost-in-names') ? member.mask : member.nick ?? '*';
  return channel.prefix(member, viewer.caps.has('multi-prefix')) + id;
}

/** 353 lines (packed within 512 bytes) and 366. */
export function names(ctx: ServerContext, client: Client, channel: Channel): void {
  const long = client.caps.has('userhost-in-names');
  const entries: string[] = [];
  let symbol = '=';
  if (channel instanceof ChatChannel) {
    if (channel.flags.has('s')) symbol = '@';
    for (const member of everyMember(ctx, channel)) entries.push(namesEntry(channel, member, client));
  } else {
    // The bot is the operator of every log channel, and only of those.
    entries.push(long ? `@${ctx.botMask}` : `@${ctx.config.botNick}`);
    for (const member of visibleMembers(ctx, channel, client)) entries.push(long ? member.mask : member.nick ?? '*');
  }
  const head = `:${ctx.config.serverName} 353 ${client.nick ?? '*'} ${symbol} ${channel.name} :`;
  const budget = 510 - Buffer.byteLength(head, 'utf8');
  let line = '';
  for (const entry of entries) {
    if (line !== '' && Buffer.byteLength(line, 'utf8') + 1 + Buffer.byteLength(entry, 'utf8') > budget) {
      client.reply(N.RPL_NAMREPLY, symbol, channel.name, line);
      line = entry;
    } else {
      line = line === '' ? entry : `${line} ${entry}`;
    }
  }
  if (line !== '') client.reply(N.RPL_NAMREPLY, symbol, channel.name, line);
  client.reply(N.RPL_ENDOFNAMES, channel.name, 'End of /NAMES list.');
}

/** 332 + 333 when there is a topic; on a query without one, 331 (never on JOIN). */
function topicReply(ctx: ServerContext, client: Client, channel: Channel, onJoin: boolean): void {
  if (channel instanceof ChatChannel) {
    if (channel.topic === '') {
      if (!onJoin) client.reply(N.RPL_NOTOPIC, channel.name, 'No topic is set');
      return;
    }
    client.reply(N.RPL_TOPIC, channel.name, channel.topic);
    client.reply(N.RPL_TOPICWHOTIME, channel.name, channel.topicSetBy, String(channel.topicSetAt));
    return;
  }
  client.reply(N.RPL_TOPIC, channel.name, channel.topic);
  client.reply(N.RPL_TOPICWHOTIME, channel.name, ctx.botMask, String(channel.createdAt));
}

/** Why `client` may not join `channel` (474, 473, 475, 471, in that order), if it may not. */
function admission(ctx: ServerContext, channel: ChatChannel, client: Client, key: string | undefined): [string, string] | undefined {
  const invited = channel.invited.has(foldCase(client.nick ?? ''));
  if (channel.isBanned(client) && !invited) return [N.ERR_BANNEDFROMCHAN, 'Cannot join channel (+b)'];
  if (channel.flags.has('i') && !invited) return [N.ERR_INVITEONLYCHAN, 'Cannot join channel (+i)'];
  if (channel.password !== undefined && key !== channel.password) return [N.ERR_BADCHANNELKEY, 'Cannot join channel (+k)'];
  if (channel.limit !== undefined && memberCount(ctx, channel) >= channel.limit && !invited) return [N.ERR_CHANNELISFULL, 'Cannot join channel (+l)'];
  return undefined;
}

export const join: Handler = (ctx, client, params) => {
  if (params[0] === '0') {
    for (const key of [...client.channels]) {
      const channel = ctx.channels.find(key);
      if (channel !== undefined) leave(ctx, client, channel, 'Left all channels');
    }
    return;
  }
  const keys = params.length > 1 ? params[1].split(',') : [];
  const names_ = params[0].split(',');
  for (let i = 0; i < names_.length; i++) {
    const name = names_[i];
    if (name === '') continue;
    if (!name.startsWith('#')) {
      client.reply(N.ERR_NOSUCHCHANNEL, name, 'No such channel');
      continue;
    }
    const existing = ctx.channels.find(name);
    if (existing !== undefined && existing.members.has(client)) continue;
    if (existing instanceof ChatChannel) {
      const refused = admission(ctx, existing, client, keys[i]);
      if (refused !== undefined) {
        client.reply(refused[0], existing.name, refused[1]);
        continue;
      }
    }
    const joined = ctx.channels.join(client, name);
    if (isRefusal(joined)) {
      client.reply(joined.numeric, name, joined.text);
      continue;
    }
    sendToChannel(ctx, joined, client, shared({ source: client.mask, command: 'JOIN', params: [joined.name] }));
    announce(ctx, { type: 'join', id: client.id, channel: joined.name });
    if (joined instanceof ChatChannel && joined.version === 0 && joined.ops.has(client.id)) {
      // A channel made by this join: the other nodes learn its first state (its operator).
      joined.touch(ctx.network?.node ?? '');
      announce(ctx, { type: 'channel', state: joined.state() });
    }
    if (client.away !== undefined) {
      // away-notify: members learn at once that the newcomer is away.
      const away = shared({ source: client.mask, command: 'AWAY', params: [client.away], colon: true });
      for (const member of audience(ctx, joined)) if (member !== client && member.caps.has('away-notify')) member.enqueue(away);
    }
    topicReply(ctx, client, joined, true);
    names(ctx, client, joined);
    ctx.channels.replay?.(client, joined); // the recent lines, marked as history
  }
};

function leave(ctx: ServerContext, client: Client, channel: Channel, reason: string | undefined): void {
  const params = reason === undefined ? [channel.name] : [channel.name, reason];
  sendToChannel(ctx, channel, client, shared({ source: client.mask, command: 'PART', params, colon: reason !== undefined }));
  ctx.channels.part(client, channel);
  announce(ctx, reason === undefined ? { type: 'part', id: client.id, channel: channel.name } : { type: 'part', id: client.id, channel: channel.name, reason });
}

export const part: Handler = (ctx, client, params) => {
  const reason = params.length > 1 && params[1] !== '' ? sanitizeText(params[1]).slice(0, 200) : undefined;
  for (const name of splitList(params[0])) {
    const channel = ctx.channels.find(name);
    if (channel === undefined) client.reply(N.ERR_NOSUCHCHANNEL, name, 'No such channel');
    else if (!channel.members.has(client)) client.reply(N.ERR_NOTONCHANNEL, channel.name, "You're not on that channel");
    else leave(ctx, client, channel, reason);
  }
};

export const topicCommand: Handler = (ctx, client, params) => {
  const channel = ctx.channels.find(params[0]);
  if (channel === undefined || !canSee(channel, client)) {
    client.reply(N.ERR_NOSUCHCHANNEL, params[0], 'No such channel');
    return;
  }
  if (params.length === 1) {
    topicReply(ctx, client, channel, false);
    return;
  }
  if (!(channel instanceof ChatChannel)) {
    client.reply(N.ERR_CHANOPRIVSNEEDED, channel.name, "You're not channel operator: topics say what a channel carries");
    return;
  }
  if (!channel.members.has(client)) {
    client.reply(N.ERR_NOTONCHANNEL, channel.name, "You're not on that channel");
    return;
  }
  if (channel.flags.has('t') && !channel.ops.has(client.id)) {
    client.reply(N.ERR_CHANOPRIVSNEEDED, channel.name, "You're not channel operator");
    return;
  }
  channel.topic = truncateUtf8(sanitizeText(params[1]), TOPIC_LENGTH);
  channel.topicSetBy = client.mask;
  channel.topicSetAt = Math.floor(ctx.config.now() / 1000);
  const line = { source: client.mask, command: 'TOPIC', params: [channel.name, channel.topic] };
  sendToChannel(ctx, channel, client, shared({ ...line, colon: true }));
  channel.touch(ctx.network?.node ?? '');
  announce(ctx, { type: 'channel', state: channel.state(), line });
};

export const namesCommand: Handler = (ctx, client, params) => {
  if (params.length === 0) {
    client.reply(N.RPL_ENDOFNAMES, '*', 'End of /NAMES list.');
    return;
  }
  for (const name of splitList(params[0])) {
    const channel = ctx.channels.find(name);
    if (channel !== undefined && canSee(channel, client)) names(ctx, client, channel);
    else client.reply(N.RPL_ENDOFNAMES, name, 'End of /NAMES list.');
  }
};

/** What LIST shows for a channel: its user count (the bot counts in log channels) and modes. */
function listEntry(ctx: ServerContext, channel: Channel): [number, string] {
  if (channel instanceof ChatChannel) {
    const modes = `[${channel.modeString(false).join(' ')}]`;
    return [memberCount(ctx, channel), channel.topic === '' ? modes : `${modes} ${channel.topic}`];
  }
  return [memberCount(ctx, channel) + 1, `[+nt] ${channel.topic}`];
}

export const list: Handler = (ctx, client, params) => {
  // LIST [<mask>{,<mask>}|>n|<n] (ELIST=MU): name masks, or user counts above/below n.
  const masks: string[] = [];
  let above = -1;
  let below = Number.POSITIVE_INFINITY;
  for (const item of params.length > 0 ? splitList(params[0]) : []) {
    const count = /^([<>])(\d+)$/.exec(item);
    if (count === null) masks.push(item);
    else if (count[1] === '>') above = Number(count[2]);
    else below = Number(count[2]);
  }
  client.reply(N.RPL_LISTSTART, 'Channel', 'Users  Name');
  for (const channel of ctx.channels.all()) {
    if (!canSee(channel, client)) continue;
    if (masks.length > 0 && !masks.some((mask) => matchesMask(mask, channel.name))) continue;
    const [users, text] = listEntry(ctx, channel);
    if (users <= above || users >= below) continue;
    client.reply(N.RPL_LIST, channel.name, String(users), text);
  }
  client.reply(N.RPL_LISTEND, 'End of /LIST');
};

export const kick: Handler = (ctx, client, params) => {
  const channel = ctx.channels.find(params[0]);
  if (channel === undefined || !canSee(channel, client)) {
    client.reply(N.ERR_NOSUCHCHANNEL, params[0], 'No such channel');
    return;
  }
  if (!channel.members.has(client)) {
    client.reply(N.ERR_NOTONCHANNEL, channel.name, "You're not on that channel");
    return;
  }
  if (!(channel instanceof ChatChannel) || !channel.ops.has(client.id)) {
    client.reply(N.ERR_CHANOPRIVSNEEDED, channel.name, "You're not channel operator");
    return;
  }
  const reason = params.length > 2 && params[2] !== '' ? sanitizeText(params[2]).slice(0, 200) : client.nick ?? '';
  for (const nick of splitList(params[1])) {
    const target = channelMember(ctx, client, channel, nick);
    if (target === undefined) continue;
    const line = shared({ source: client.mask, command: 'KICK', params: [channel.name, target.nick ?? nick, reason], colon: true });
    sendToChannel(ctx, channel, client, line);
    removeMember(ctx, channel, target);
    announce(ctx, { type: 'kick', id: target.id, channel: channel.name, by: client.mask, reason });
  }
};

/** Takes a member of any node off `channel` here (its own node does the same when it hears of it). */
function removeMember(ctx: ServerContext, channel: ChatChannel, member: Client | RemoteUser): void {
  if (!(member instanceof RemoteUser)) {
    ctx.channels.part(member, channel);
    return;
  }
  ctx.remote.part(member, channel.key);
  channel.forget(member.id);
  ctx.channels.chat.dropIfEmpty(channel);
}

export const invite: Handler = (ctx, client, params) => {
  const [nick, name] = params;
  const target = findUser(ctx, nick);
  if (target === undefined) {
    client.reply(N.ERR_NOSUCHNICK, nick, 'No such nick/channel');
    return;
  }
  const channel = ctx.channels.find(name);
  if (channel === undefined) {
    client.reply(N.ERR_NOSUCHCHANNEL, name, 'No such channel');
    return;
  }
  if (!channel.members.has(client)) {
    client.reply(N.ERR_NOTONCHANNEL, channel.name, "You're not on that channel");
    return;
  }
  if (isMember(channel, target)) {
    client.reply(N.ERR_USERONCHANNEL, target.nick ?? nick, channel.name, 'is already on channel');
    return;
  }
  if (channel instanceof ChatChannel) {
    if (channel.flags.has('i') && !channel.ops.has(client.id)) {
      client.reply(N.ERR_CHANOPRIVSNEEDED, channel.name, "You're not channel operator");
      return;
    }
    channel.invite(foldCase(target.nick ?? nick));
  }
  client.reply(N.RPL_INVITING, target.nick ?? nick, channel.name);
  const line = shared({ source: client.mask, command: 'INVITE', params: [target.nick ?? nick, channel.name], colon: true });
  if (target instanceof RemoteUser) announce(ctx, { type: 'invite', id: target.id, nick: target.nick, channel: channel.name, by: client.mask });
  else target.enqueue(line);
  // invite-notify: the other members of an ordinary channel (its operators, when +i) hear of
  // it too; a log channel is an audience, not a conversation, and is not told.
  if (!(channel instanceof ChatChannel)) return;
  for (const member of channel.members) {
    if (member === client || !member.caps.has('invite-notify')) continue;
    if (channel.flags.has('i') && !channel.ops.has(member.id)) continue;
    member.enqueue(line);
  }
};
