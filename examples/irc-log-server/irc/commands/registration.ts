/**
 * Registration: CAP negotiation, PASS, NICK, USER, the welcome burst and the MOTD, and QUIT.
 *
 * @module
 */
import { CHANNEL_NAME_LENGTH, MAX_BANS, TOPIC_LENGTH } from '../chat-channel.js';
import type { Client } from '../client.js';
import { foldCase, isValidNick } from '../names.js';
import { Numeric as N } from '../numerics.js';
import { sanitizeText } from '../text.js';
import type { ClaimResult } from '../network.js';
import { MAX_TARGETS, announce, announces, localUsers, sameSecret, shared, userInfo, type Handler, type ServerContext } from './context.js';
import { MAX_MODES } from './modes.js';
import { peakUsers, rememberNick } from './user-records.js';

/** Capabilities the server offers in `CAP LS`. */
export const CAPABILITIES: readonly string[] = [
  'away-notify',
  'batch',
  'echo-message',
  'invite-notify',
  'message-tags',
  'multi-prefix',
  'server-time',
  'userhost-in-names',
];

/** Why a client whose address spent its password attempts is closed. */
export const TOO_MANY_ATTEMPTS = 'Too many failed password attempts; try again later';

function tryRegister(ctx: ServerContext, client: Client): void {
  if (client.registered || client.nick === undefined || client.user === undefined || client.capNegotiating) return;
  const { password } = ctx.config;
  if (password !== undefined) {
    // An address out of attempts is not told whether this one was right (password-guard.ts).
    if (ctx.passwordGuard?.allows(client.host) === false) {
      client.close(TOO_MANY_ATTEMPTS);
      return;
    }
    if (client.password === undefined || !sameSecret(client.password, password)) {
      ctx.passwordGuard?.failed(client.host);
      client.reply(N.ERR_PASSWDMISMATCH, 'Password incorrect');
      client.close('Bad password');
      return;
    }
  }
  client.registered = true;
  let users = 1;
  for (const _ of localUsers(ctx)) users++;
  peakUsers(ctx, users);
  announce(ctx, { type: 'user', user: userInfo(client) });
  welcome(ctx, client);
}

function welcome(ctx: ServerContext, client: Client): void {
  const { config } = ctx;
  client.reply(N.RPL_WELCOME, `Welcome to the ${config.network} IRC network ${client.mask}`);
  client.reply(N.RPL_YOURHOST, `Your host is ${config.serverName}, running version ${ctx.version}`);
  client.reply(N.RPL_CREATED, `This server was created ${ctx.createdAt.toUTCString()}`);
  client.reply(N.RPL_MYINFO, config.serverName, ctx.version, 'i', 'biklmnostv', 'bklov');
  const tokens = [
    'CASEMAPPING=ascii',
    'CHANTYPES=#',
    'CHANMODES=b,k,l,imnst',
    'PREFIX=(ov)@+',
    `NICKLEN=${config.nickLength}`,
    `CHANNELLEN=${CHANNEL_NAME_LENGTH}`,
    `TOPICLEN=${TOPIC_LENGTH}`,
    `NETWORK=${config.network}`,
    `CHANLIMIT=#:${config.maxChannelsPerClient}`,
    `MAXTARGETS=${MAX_TARGETS}`,
    `MODES=${MAX_MODES}`,
    'AWAYLEN=200',
    'KICKLEN=200',
  ];
  // At most 13 tokens per 005 line.
  client.reply(N.RPL_ISUPPORT, ...tokens, 'are supported by this server');
  client.reply(N.RPL_ISUPPORT, 'ELIST=MU', `MAXLIST=b:${MAX_BANS}`, 'STATUSMSG=', 'are supported by this server');
  motd(ctx, client);
}

export function motd(ctx: ServerContext, client: Client): void {
  const lines = ctx.config.motd;
  if (lines.length === 0) {
    client.reply(N.ERR_NOMOTD, 'MOTD File is missing');
    return;
  }
  client.reply(N.RPL_MOTDSTART, `- ${ctx.config.serverName} Message of the day - `);
  for (const line of lines) client.reply(N.RPL_MOTD, `- ${line}`);
  client.reply(N.RPL_ENDOFMOTD, 'End of /MOTD command.');
}

export const cap: Handler = (ctx, client, params) => {
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
        if (name.startsWith('-')) client.negotiatedCaps.delete(name.slice(1));
        else client.negotiatedCaps.add(name);
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

export const pass: Handler = (_ctx, client, params) => {
  if (client.registered) {
    client.reply(N.ERR_ALREADYREGISTERED, 'You may not reregister');
    return;
  }
  client.password = params[0];
};

export const nick: Handler = (ctx, client, params) => {
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
  const claims = ctx.network?.claims;
  if (claims === undefined || (old !== undefined && foldCase(old) === folded)) {
    applyNick(ctx, client, wanted);
    return;
  }
  // Another node may hold it: reserve it here at once (a second local client gets 433), and
  // take it once the network agrees. Registration waits for the answer.
  if (pendingNicks.has(client)) return;
  pendingNicks.set(client, folded);
  ctx.nicks.set(folded, client);
  void claims.claim(folded).then(
    (result) => settleClaim(ctx, client, wanted, result),
    () => settleClaim(ctx, client, wanted, 'unconfirmed'),
  );
};

/** Nick claims waiting for the network's answer, by client (folded nick). */
const pendingNicks = new WeakMap<Client, string>();

/** The folded nick `client` is waiting for the network to grant, if any. */
export function pendingNick(client: Client): string | undefined {
  return pendingNicks.get(client);
}

function settleClaim(ctx: ServerContext, client: Client, wanted: string, result: ClaimResult): void {
  const folded = foldCase(wanted);
  pendingNicks.delete(client);
  if (client.state !== 'open') {
    if (result === 'granted') ctx.network?.claims?.release(folded);
    if (ctx.nicks.get(folded) === client) ctx.nicks.delete(folded);
    return;
  }
  if (result !== 'granted') {
    if (ctx.nicks.get(folded) === client && foldCase(client.nick ?? '') !== folded) ctx.nicks.delete(folded);
    // A nick the network could not confirm is refused: another node may grant it meanwhile.
    const why = result === 'taken' ? 'Nickname is already in use' : `Nickname could not be confirmed with the other nodes (${ctx.network?.claims?.engine ?? 'Redis'} unreachable); try again`;
    client.reply(N.ERR_NICKNAMEINUSE, wanted, why);
    return;
  }
  const old = client.nick;
  if (old !== undefined && foldCase(old) !== folded) ctx.network?.claims?.release(foldCase(old));
  applyNick(ctx, client, wanted);
}

function applyNick(ctx: ServerContext, client: Client, wanted: string): void {
  const folded = foldCase(wanted);
  const old = client.nick;
  if (old !== undefined && client.registered) rememberNick(ctx, client);
  const line = client.registered ? shared({ source: client.mask, command: 'NICK', params: [wanted], colon: true }) : undefined;
  if (old !== undefined) ctx.nicks.delete(foldCase(old));
  ctx.nicks.set(folded, client);
  client.nick = wanted;
  if (line !== undefined) {
    announce(ctx, { type: 'user', user: userInfo(client) });
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
}

export const user: Handler = (ctx, client, params) => {
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

export const quit: Handler = (_ctx, client, params) => {
  const reason = params.length > 0 ? sanitizeText(params[0]).slice(0, 200) : '';
  client.close(reason === '' ? 'Quit' : `Quit: ${reason}`);
};
