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
import { announce, channelMember, sendToChannel, shared, type Handler, type ServerContext } from './context.js';

/** Most mode changes with a parameter in one MODE command (`MODES=`). */
export const MAX_MODES = 4;

const FLAGS: ReadonlySet<string> = new Set(['i', 'm', 'n', 's', 't']);

function listBans(client: Client, channel: ChatChannel): void {
  for (const ban of channel.bans) client.reply(N.RPL_BANLIST, channel.name, ban.mask, ban.setBy, String(ban.setAt));
  client.reply(N.RPL_ENDOFBANLIST, channel.name, 'End of channel ban list');
}

/** One MODE command being applied: what it changed so far, and the helpers every letter uses. */
class ModeChange {
  adding = true;
  private applied = '';
  private appliedSign = '';
  private readonly appliedArgs: string[] = [];
  private withParam = 0;
  private refusedOp = false;
  private readonly isOp: boolean;

  constructor(
    readonly ctx: ServerContext,
    readonly client: Client,
    readonly channel: ChatChannel,
    /** The parameters not consumed yet, in order. */
    readonly args: string[],
  ) {
    this.isOp = channel.ops.has(client.id);
  }

  get sign(): '+' | '-' {
    return this.adding ? '+' : '-';
  }

  /** Notes a change that was made, for the MODE line announcing them. */
  record(letter: string, arg?: string): void {
    if (this.sign !== this.appliedSign) {
      this.applied += this.sign;
      this.appliedSign = this.sign;
    }
    this.applied += letter;
    if (arg !== undefined) this.appliedArgs.push(arg);
  }

  /** Whether the sender is an operator; 482 once per command when not. */
  needOp(): boolean {
    if (this.isOp) return true;
    if (!this.refusedOp) this.client.reply(N.ERR_CHANOPRIVSNEEDED, this.channel.name, "You're not channel operator");
    this.refusedOp = true;
    return false;
  }

  /** An operator's change with a parameter, within the `MODES=` budget of one command. */
  mayChangeWithParam(): boolean {
    return this.needOp() && ++this.withParam <= MAX_MODES;
  }

  /**
   * 696 for a refused parameter. It is repeated only when it is one short word: a key with
   * spaces cannot be a middle parameter (removing them would show a key nobody sent), and a
   * long one would push the reply past 512 bytes; `*` stands for it otherwise.
   */
  invalid(letter: string, raw: string | undefined, why: string): void {
    const shown = raw !== undefined && /^[^\s:]\S{0,22}$/.test(raw) ? sanitizeText(raw) : '*';
    this.client.reply(N.ERR_INVALIDMODEPARAM, this.channel.name, letter, shown, why);
  }

  /** Announces what was applied, as one MODE line to the channel, here and on the other nodes. */
  announce(): void {
    if (this.applied === '') return;
    const { client, channel, ctx } = this;
    const line = { source: client.mask, command: 'MODE', params: [channel.name, this.applied, ...this.appliedArgs] };
    sendToChannel(ctx, channel, client, shared(line));
    channel.touch(ctx.network?.node ?? '');
    announce(ctx, { type: 'channel', state: channel.state(), line });
  }
}

/** `+o` / `+v`: a member becomes operator or voiced. */
function memberMode(change: ModeChange, letter: string): void {
  const { channel } = change;
  const nick = change.args.shift();
  if (nick === undefined) {
    change.client.reply(N.ERR_INVALIDMODEPARAM, channel.name, letter, '*', 'You must specify a nick');
    return;
  }
  if (!change.mayChangeWithParam()) return;
  const target = channelMember(change.ctx, change.client, channel, nick);
  if (target === undefined) return;
  const set = letter === 'o' ? channel.ops : channel.voiced;
  if (set.has(target.id) === change.adding) return;
  if (change.adding) set.add(target.id);
  else set.delete(target.id);
  change.record(letter, target.nick ?? nick);
}

/** `+b <mask>` / `-b <mask>`; `b` alone lists the bans. */
function banMode(change: ModeChange): void {
  const { channel, client } = change;
  const raw = change.args.shift();
  if (raw === undefined) {
    listBans(client, channel);
    return;
  }
  if (!change.mayChangeWithParam()) return;
  const mask = normalizeBanMask(sanitizeText(raw).replace(/ /g, ''));
  const at = channel.bans.findIndex((ban) => foldCase(ban.mask) === foldCase(mask));
  if (change.adding) {
    if (at !== -1) return;
    if (channel.bans.length >= MAX_BANS) {
      client.reply(N.ERR_BANLISTFULL, channel.name, mask, 'Channel ban list is full');
      return;
    }
    channel.bans.push({ mask, setBy: client.mask, setAt: Math.floor(change.ctx.config.now() / 1000) });
  } else {
    if (at === -1) return;
    channel.bans.splice(at, 1);
  }
  change.record('b', mask);
}

/** `+k <key>` / `-k`. */
function keyMode(change: ModeChange): void {
  const { channel } = change;
  const key = change.args.shift();
  if (!change.adding) {
    if (!change.needOp() || channel.password === undefined) return;
    channel.password = undefined;
    change.record('k', '*');
    return;
  }
  if (key === undefined || !/^[\x21-\x7E]{1,23}$/.test(key) || key.includes(',')) {
    change.invalid('k', key, 'Invalid key: 1-23 printable characters, no comma');
    return;
  }
  if (!change.mayChangeWithParam()) return;
  if (channel.password !== undefined) {
    change.client.reply(N.ERR_KEYSET, channel.name, 'Channel key already set');
    return;
  }
  channel.password = key;
  change.record('k', key);
}

/** `+l <n>` / `-l`. */
function limitMode(change: ModeChange): void {
  const { channel } = change;
  if (!change.adding) {
    if (!change.needOp() || channel.limit === undefined) return;
    channel.limit = undefined;
    change.record('l');
    return;
  }
  const raw = change.args.shift();
  const limit = raw === undefined ? NaN : Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1_000_000) {
    change.invalid('l', raw, 'Invalid limit: a whole number from 1');
    return;
  }
  if (!change.mayChangeWithParam() || channel.limit === limit) return;
  channel.limit = limit;
  change.record('l', String(limit));
}

/** `+i +m +n +s +t` and their `-`. */
function flagMode(change: ModeChange, letter: string): void {
  if (!change.needOp()) return;
  const { flags } = change.channel;
  const flag = letter as FlagMode;
  if (flags.has(flag) === change.adding) return;
  if (change.adding) flags.add(flag);
  else flags.delete(flag);
  change.record(letter);
}

const MODE_LETTERS: ReadonlyMap<string, (change: ModeChange, letter: string) => void> = new Map([
  ['o', memberMode],
  ['v', memberMode],
  ['b', banMode],
  ['k', keyMode],
  ['l', limitMode],
  ...[...FLAGS].map((flag) => [flag, flagMode] as const),
]);

/** Applies a channel mode string; answers errors and announces what changed. */
function changeChannelModes(ctx: ServerContext, client: Client, channel: ChatChannel, modes: string, args: string[]): void {
  const change = new ModeChange(ctx, client, channel, args);
  for (const letter of modes) {
    if (letter === '+' || letter === '-') {
      change.adding = letter === '+';
      continue;
    }
    const apply = MODE_LETTERS.get(letter);
    if (apply === undefined) client.reply(N.ERR_UNKNOWNMODE, sanitizeText(letter), 'is unknown mode char to me');
    else apply(change, letter);
  }
  change.announce();
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
