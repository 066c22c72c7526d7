/**
 * What the server remembers about users beyond their connection: when each last spoke
 * (WHOIS idle, 317), the nicks that left (WHOWAS, bounded), and the most users seen at once
 * (LUSERS 265/266). Kept beside the server context, so the connection class stays about bytes.
 *
 * @module
 */
import type { Client } from '../client.js';
import { foldCase } from '../names.js';
import type { ServerContext } from './context.js';

/** Most WHOWAS entries kept (oldest forgotten first). */
export const WHOWAS_LIMIT = 200;

/** One nick that is gone (314). */
export interface WhowasEntry {
  readonly nick: string;
  readonly user: string;
  readonly host: string;
  readonly realname: string;
  /** When it left, ms. */
  readonly at: number;
}

interface Records {
  readonly whowas: WhowasEntry[];
  peakUsers: number;
}

const lastSpoke = new WeakMap<Client, number>();
const records = new WeakMap<ServerContext, Records>();

function of(ctx: ServerContext): Records {
  let found = records.get(ctx);
  if (found === undefined) {
    found = { whowas: [], peakUsers: 0 };
    records.set(ctx, found);
  }
  return found;
}

/** Notes that `client` sent a message now (PRIVMSG/NOTICE reset the idle time, as on other servers). */
export function noteSpoke(ctx: ServerContext, client: Client): void {
  lastSpoke.set(client, ctx.config.now());
}

/** Seconds since `client` last spoke (since it connected if never). */
export function idleSeconds(ctx: ServerContext, client: Client): number {
  return Math.max(0, Math.floor((ctx.config.now() - (lastSpoke.get(client) ?? client.connectedAt)) / 1000));
}

/** Remembers `client`'s current nick for WHOWAS (on QUIT and on NICK changes). */
export function rememberNick(ctx: ServerContext, client: Client): void {
  if (client.nick === undefined || !client.registered) return;
  const list = of(ctx).whowas;
  list.push({ nick: client.nick, user: client.user ?? '*', host: client.host, realname: client.realname, at: ctx.config.now() });
  if (list.length > WHOWAS_LIMIT) list.splice(0, list.length - WHOWAS_LIMIT);
}

/** The remembered entries for `nick`, newest first. */
export function whowasOf(ctx: ServerContext, nick: string): WhowasEntry[] {
  const folded = foldCase(nick);
  const found: WhowasEntry[] = [];
  const list = of(ctx).whowas;
  for (let i = list.length - 1; i >= 0; i--) if (foldCase(list[i].nick) === folded) found.push(list[i]);
  return found;
}

/** Updates and returns the most users seen at once, given the count now. */
export function peakUsers(ctx: ServerContext, now: number): number {
  const r = of(ctx);
  if (now > r.peakUsers) r.peakUsers = now;
  return r.peakUsers;
}
