/**
 * CTCP (`\x01COMMAND args\x01` inside PRIVMSG/NOTICE): users' CTCP passes through untouched
 * (see `messaging.ts`); this file is the bot's side, answering VERSION, PING and TIME with
 * a NOTICE as CTCP says (never a PRIVMSG, so two bots cannot loop).
 *
 * @module
 */
import type { Client } from '../client.js';
import { ChatLines, sanitizeChat } from '../chat-line.js';
import type { ServerContext } from './context.js';

/** A CTCP request split into its command (upper-cased) and argument, or `undefined` if `text` is not one. */
export function parseCtcp(text: string): { command: string; arg: string } | undefined {
  if (text.length < 2 || text.charCodeAt(0) !== 1) return undefined;
  const body = text.endsWith('\x01') ? text.slice(1, -1) : text.slice(1);
  const space = body.indexOf(' ');
  const command = (space === -1 ? body : body.slice(0, space)).toUpperCase();
  return command === '' ? undefined : { command, arg: space === -1 ? '' : body.slice(space + 1) };
}

/**
 * Answers a CTCP request sent to the bot. Returns whether `text` was a CTCP request at all
 * (an unknown one is ignored, as clients do; ACTION to the bot means nothing).
 */
export function answerBotCtcp(ctx: ServerContext, client: Client, text: string): boolean {
  const ctcp = parseCtcp(text);
  if (ctcp === undefined) return false;
  let answer: string | undefined;
  switch (ctcp.command) {
    case 'VERSION':
      answer = `VERSION ${ctx.version} (logcaster IRC log server)`;
      break;
    case 'PING':
      answer = `PING ${sanitizeChat(ctcp.arg).slice(0, 64)}`;
      break;
    case 'TIME':
      answer = `TIME ${new Date(ctx.config.now()).toUTCString()}`;
      break;
    default:
      return true;
  }
  const line = new ChatLines({
    kind: 'chat',
    node: '',
    from: '',
    source: ctx.botMask,
    command: 'NOTICE',
    target: client.nick ?? '*',
    text: `\x01${answer}\x01`,
    clientTags: '',
    time: ctx.config.now(),
  }).for(client);
  if (line !== undefined) client.enqueue(line);
  return true;
}
