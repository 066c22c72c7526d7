/**
 * MODE: channel modes (`+o +v` members, `+b` bans, `+k` key, `+l` limit, flags `+i +m +n +s +t`)
 * and the user mode `+i`. A log channel's modes are the server's: they can be read, never
 * changed (482). Changes need channel operator status (482) and are announced to the channel
 * as one MODE line with what was actually applied.
 *
 * @module
 */
import { ChatChannel, MAX_BANS, type FlagMode } from '../chat-channel.js';
import type { Client } from '../client.js';
import { normalizeBanMask } from '../mask.js';
import { foldCase } from '../names.js';
import { Numeric as N } from '../numerics.js';
import { sanitizeText } from '../text.js';
import { canSee } from './channel.js';
import { channelMember, sendToChannel, shared, type Handler, type ServerContext } from './context.js';

/** Most mode changes with a parameter in one MODE command (`MODES=`). */
export const MAX_MODES = 4;

const FLAGS: ReadonlySet<string> = new Set(['i', 'm', 'n', 's', 't']);

function listBans(client: Client, channel: ChatChannel): void {
  for (const ban of channel.bans) client.reply(N.RPL_BANLIST, channel.name, ban.mask, ban.setBy, String(ban.setAt));
  client.reply(N.RPL_ENDOFBANLIST, channel.name, 'End of channel ban list');
}

/** Applies a channel mode string; answers errors and announces what changed. */
function changeChannelModes(ctx: ServerContext, client: Client, channel: ChatChannel, modes: string, args: string[]): void {
  let adding = true;
  let applied = '';
  let appliedSign = '';
  const appliedArgs: string[] = [];
  let withParam = 0;
  let refusedOp = false;
  const isOp = channel.ops.has(client);
  const record = (sign: string, letter: string, arg?: string): void => {
    if (sign !== appliedSign) {
      applied += sign;
      appliedSign = sign;
    }
    applied += letter;
    if (arg !== undefined) appliedArgs.push(arg);
  };
  const needOp = (): boolean => {
    if (isOp) return true;
    if (!refusedOp) client.reply(N.ERR_CHANOPRIVSNEEDED, channel.name, "You're not channel operator");
    refusedOp = true;
    return false;
  };
  for (const letter of modes) {
    if (letter === '+' || letter === '-') {
      adding = letter === '+';
      continue;
    }
    const sign = adding ? '+' : '-';
    if (FLAGS.has(letter)) {
      if (!needOp()) continue;
      const flag = letter as FlagMode;
      if (channel.flags.has(flag) === adding) continue;
      if (adding) channel.flags.add(flag);
      else channel.flags.delete(flag);
      record(sign, letter);
      continue;
    }
    switch (letter) {
      case 'o':
      case 'v': {
        const nick = args.shift();
        if (nick === undefined) {
          client.reply(N.ERR_INVALIDMODEPARAM, channel.name, letter, '*', 'You must specify a nick');
          continue;
        }
        if (!needOp() || ++withParam > MAX_MODES) continue;
        const target = channelMember(ctx, client, channel, nick);
        if (target === undefined) continue;
        const set = letter === 'o' ? channel.ops : channel.voiced;
        if (set.has(target) === adding) continue;
        if (adding) set.add(target);
        else set.delete(target);
        record(sign, letter, target.nick ?? nick);
        continue;
      }
      case 'b': {
        const raw = args.shift();
        if (raw === undefined) {
          listBans(client, channel);
          continue;
        }
        if (!needOp() || ++withParam > MAX_MODES) continue;
        const mask = normalizeBanMask(sanitizeText(raw).replace(/ /g, ''));
        const at = channel.bans.findIndex((ban) => foldCase(ban.mask) === foldCase(mask));
        if (adding) {
          if (at !== -1) continue;
          if (channel.bans.length >= MAX_BANS) {
            client.reply(N.ERR_BANLISTFULL, channel.name, mask, 'Channel ban list is full');
            continue;
          }
          channel.bans.push({ mask, setBy: client.mask, setAt: Math.floor(ctx.config.now() / 1000) });
        } else {
          if (at === -1) continue;
          channel.bans.splice(at, 1);
        }
        record(sign, 'b', mask);
        continue;
      }
      case 'k': {
        const key = args.shift();
        if (adding) {
          if (key === undefined || !/^[\x21-\x7E]{1,23}$/.test(key) || key.includes(',')) {
            client.reply(N.ERR_INVALIDMODEPARAM, channel.name, 'k', key === undefined || key === '' ? '*' : sanitizeText(key), 'Invalid key: 1-23 printable characters, no comma');
            continue;
          }
          if (!needOp() || ++withParam > MAX_MODES) continue;
          if (channel.password !== undefined) {
            client.reply(N.ERR_KEYSET, channel.name, 'Channel key already set');
            continue;
          }
          channel.password = key;
          record(sign, 'k', key);
        } else {
          if (!needOp() || channel.password === undefined) continue;
          channel.password = undefined;
          record(sign, 'k', '*');
        }
        continue;
      }
      case 'l': {
        if (adding) {
          const raw = args.shift();
          const limit = raw === undefined ? NaN : Number(raw);
          if (!Number.isInteger(limit) || limit < 1 || limit > 1_000_000) {
            client.reply(N.ERR_INVALIDMODEPARAM, channel.name, 'l', raw === undefined || raw === '' ? '*' : sanitizeText(raw), 'Invalid limit: a whole number from 1');
            continue;
          }
          if (!needOp() || ++withParam > MAX_MODES) continue;
          if (channel.limit === limit) continue;
          channel.limit = limit;
          record(sign, 'l', String(limit));
        } else {
          if (!needOp() || channel.limit === undefined) continue;
          channel.limit = undefined;
          record(sign, 'l');
        }
        continue;
      }
      default:
        client.reply(N.ERR_UNKNOWNMODE, sanitizeText(letter), 'is unknown mode char to me');
    }
  }
  if (applied === '') return;
  sendToChannel(ctx, channel, client, shared({ source: client.mask, command: 'MODE', params: [channel.name, applied, ...appliedArgs] }));
}

function userMode(ctx: ServerContext, client: Client, target: string, modes: string | undefined): void {
  const folded = foldCase(target);
  if (client.nick === undefined || folded !== foldCase(client.nick)) {
    if (folded === foldCase(ctx.config.botNick) || ctx.nicks.has(folded)) client.reply(N.ERR_USERSDONTMATCH, "Can't change mode for other users");
    else client.reply(N.ERR_NOSUCHNICK, target, 'No such nick/channel');
    return;
  }
  if (modes === undefined) {
    client.reply(N.RPL_UMODEIS, client.invisible ? '+i' : '+');
    return;
  }
  if (!/^[+-]i*$/.test(modes)) {
    client.reply(N.ERR_UMODEUNKNOWNFLAG, 'Unknown MODE flag');
    return;
  }
  const invisible = modes.startsWith('+');
  if (modes.length > 1 && client.invisible !== invisible) {
    client.invisible = invisible;
    client.send({ source: client.mask, command: 'MODE', params: [client.nick, modes.slice(0, 2)], colon: true });
  }
}

export const mode: Handler = (ctx, client, params) => {
  const [target, modes] = params;
  if (!target.startsWith('#')) {
    userMode(ctx, client, target, modes);
    return;
  }
  const channel = ctx.channels.find(target);
  if (channel === undefined || !canSee(channel, client)) {
    client.reply(N.ERR_NOSUCHCHANNEL, target, 'No such channel');
    return;
  }
  if (modes === undefined) {
    const shown = channel instanceof ChatChannel ? channel.modeString(channel.members.has(client)) : ['+nt'];
    client.reply(N.RPL_CHANNELMODEIS, channel.name, ...shown);
    client.reply(N.RPL_CREATIONTIME, channel.name, String(channel.createdAt));
    return;
  }
  if (!(channel instanceof ChatChannel)) {
    // A log channel: its ban list is empty and its modes are the server's.
    if (/^\+?b$/.test(modes) && params.length === 2) client.reply(N.RPL_ENDOFBANLIST, channel.name, 'End of channel ban list');
    else client.reply(N.ERR_CHANOPRIVSNEEDED, channel.name, "You're not channel operator");
    return;
  }
  changeChannelModes(ctx, client, channel, modes, params.slice(2));
};
