/**
 * Questions about the server itself: PING, PONG, LUSERS, VERSION (MOTD is in registration).
 *
 * @module
 */
import { Numeric as N } from '../numerics.js';
import type { Handler } from './context.js';

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
  const stats = ctx.stats();
  client.reply(N.RPL_LUSERCLIENT, `There are ${stats.clients + 1} users and 0 invisible on 1 server`);
  client.reply(N.RPL_LUSERCHANNELS, String(stats.channels), 'channels formed');
  client.reply(N.RPL_LUSERME, `I have ${stats.clients + 1} clients and 0 servers`);
};

export const version: Handler = (ctx, client) => {
  client.reply(N.RPL_VERSION, ctx.version, ctx.config.serverName, 'logcaster example IRC log server');
};
