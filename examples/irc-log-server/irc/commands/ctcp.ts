/**
 * CTCP (`\x01COMMAND args\x01` inside PRIVMSG/NOTICE): users' CTCP passes through untouched
 * (see `messaging.ts`); this file is the bot's side, answering CLIENTINFO, PING, TIME and
 * VERSION sent to it with a NOTICE as CTCP says (never a PRIVMSG, so two bots cannot loop).
 *
 * @module
 */
import type { Client } from '../client.js';
import { ChatLines, newMsgid, sanitizeChat } from '../chat-line.js';
import type { ServerContext } from './context.js';

/** A CTCP request split into its command (upper-cased) and argument, or `undefined` if `text` is not one. */
export function parseCtcp(text: string): { command: string; arg: string } | undefined {
  if (text.length < 2 || text.charCodeAt(0) !== 1) return undefined;
  const body = text.endsWith('\x01') ? text.slice(1, -1) : text.slice(1);
  const space = body.indexOf(' ');
  const command = (space === -1 ? body : body.slice(0, space)).toUpperCase();
  return command === '' ? undefined : { command, arg: space === -1 ? '' : body.slice(space + 1) };
}

/** The bot's answer to one CTCP command, given the request's argument. */
type CtcpAnswer = (ctx: ServerContext, arg: string) => string;

/** The bot's CTCP answers, by command; CLIENTINFO lists the commands. */
const BOT_CTCP: ReadonlyMap<string, CtcpAnswer> = new Map<string, CtcpAnswer>([
  ['CLIENTINFO', () => `CLIENTINFO ${[...BOT_CTCP.keys()].join(' ')}`],
  ['PING', (_ctx, arg) => `PING ${sanitizeChat(arg).slice(0, 64)}`],
  ['TIME', (ctx) => `TIME ${new Date(ctx.config.now()).toUTCString()}`],
  ['VERSION', (ctx) => `VERSION ${ctx.version} (logcaster IRC log server)`],
]);

/**
 * Answers a CTCP request sent to the bot. Returns whether `text` was a CTCP request at all
 * (an unknown one is ignored, as clients do; ACTION to the bot means nothing).
 */
export function answerBotCtcp(ctx: ServerContext, client: Client, text: string): boolean {
  const ctcp = parseCtcp(text);
  if (ctcp === undefined) return false;
  const answerOf = BOT_CTCP.get(ctcp.command);
  if (answerOf === undefined) return true;
  const answer = answerOf(ctx, ctcp.arg);
  const line = new ChatLines({
    kind: 'chat',
    node: '',
    from: '',
    source: ctx.botMask,
    command: 'NOTICE',
    target: client.nick ?? '*',
    text: `\x01${answer}\x01`,
    clientTags: '',
    msgid: newMsgid(),
    time: ctx.config.now(),
  }).for(client);
  if (line !== undefined) client.enqueue(line);
  return true;
}
