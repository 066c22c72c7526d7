/**
 * Questions about the server itself: PING, PONG, LUSERS, VERSION, TIME, and OPER (there are
 * no operators; MOTD is in registration).
 *
 * @module
 */
import { Numeric as N } from '../numerics.js';
import { localUsers, type Handler } from './context.js';
import { peakUsers } from './user-records.js';

export const ping: Handler = (ctx, client, params) => {
  if (params.length === 0 || params[0] === '') {
    client.reply(N.ERR_NOORIGIN, 'No origin specified');
    return;
  }
  const server = ctx.config.serverName;
  client.send({ source: server, command: 'PONG', params: [server, params[0]], colon: true });
};

export const pong: Handler = () => {
  // Any input counts as activity (see Client); nothing else to do.
};

export const lusers: Handler = (ctx, client) => {
  // Users are registered connections plus the bot; `+i` users are counted apart (251).
  let visible = 1;
  let invisible = 0;
  for (const user of localUsers(ctx)) {
    if (user.invisible) invisible++;
    else visible++;
  }
  const total = visible + invisible;
  const peak = String(peakUsers(ctx, total));
  let channels = 0;
  for (const channel of ctx.channels.all()) if (channel.members.size > 0) channels++;
  client.reply(N.RPL_LUSERCLIENT, `There are ${visible} users and ${invisible} invisible on 1 servers`);
  client.reply(N.RPL_LUSERCHANNELS, String(channels), 'channels formed');
  client.reply(N.RPL_LUSERME, `I have ${total} clients and 0 servers`);
  client.reply(N.RPL_LOCALUSERS, String(total), peak, `Current local users ${total}, max ${peak}`);
  client.reply(N.RPL_GLOBALUSERS, String(total), peak, `Current global users ${total}, max ${peak}`);
};

export const version: Handler = (ctx, client) => {
  client.reply(N.RPL_VERSION, ctx.version, ctx.config.serverName, 'logcaster example IRC log server');
};

export const time: Handler = (ctx, client) => {
  // RFC 2812's form (Modern's optional timestamp fields are shown raw by some clients).
  client.reply(N.RPL_TIME, ctx.config.serverName, new Date(ctx.config.now()).toUTCString());
};

export const oper: Handler = (_ctx, client) => {
  client.reply(N.ERR_NOOPERHOST, 'No O-lines for your host');
};
