/**
 * Messages: PRIVMSG and NOTICE to channels, to users, and to the service bot.
 *
 * @module
 */
import { formatMessage, type OutboundMessage } from '../message.js';
import { foldCase } from '../names.js';
import { Numeric as N } from '../numerics.js';
import { CHAT_PRIORITY, type OutLine } from '../out-line.js';
import { formatServerTime, sanitizeText } from '../text.js';
import { MAX_TARGETS, splitList, type Handler, type ServerContext } from './context.js';

export function message(command: 'PRIVMSG' | 'NOTICE'): Handler {
  const answers = command === 'PRIVMSG'; // errors for NOTICE are never answered, so bots cannot loop
  return (ctx, client, params) => {
    if (params.length === 0 || params[0] === '') {
      if (answers) client.reply(N.ERR_NORECIPIENT, `No recipient given (${command})`);
      return;
    }
    const raw = params[1] ?? '';
    const isAction = raw.startsWith('\x01ACTION ');
    const text = isAction ? raw.slice(8).replace(/\x01$/, '') : raw;
    if (sanitizeText(text).trim() === '') {
      if (answers) client.reply(N.ERR_NOTEXTTOSEND, 'No text to send');
      return;
    }
    for (const targetName of splitList(params[0]).slice(0, MAX_TARGETS)) {
      if (foldCase(targetName) === foldCase(ctx.config.botNick)) {
        if (answers && !isAction) ctx.botMessage(client, text);
        continue;
      }
      const outbound: OutboundMessage = { source: client.mask, command, params: [targetName, text], colon: true, action: isAction };
      if (targetName.startsWith('#')) {
        const channel = ctx.channels.find(targetName);
        if (channel === undefined) {
          if (answers) client.reply(N.ERR_NOSUCHCHANNEL, targetName, 'No such channel');
        } else if (!channel.members.has(client)) {
          if (answers) client.reply(N.ERR_CANNOTSENDTOCHAN, channel.name, 'Cannot send to channel (no external messages)');
        } else {
          const [tagged, plain] = chatLines(ctx, { ...outbound, params: [channel.name, text] });
          ctx.chatRelayed += ctx.channels.relay(channel, client, tagged, plain);
        }
        continue;
      }
      const target = ctx.nicks.get(foldCase(targetName));
      if (target === undefined || !target.registered) {
        if (answers) client.reply(N.ERR_NOSUCHNICK, targetName, 'No such nick/channel');
        continue;
      }
      const [tagged, plain] = chatLines(ctx, { ...outbound, params: [target.nick ?? targetName, text] });
      if (target.enqueue(target.serverTime ? tagged : plain)) ctx.chatRelayed++;
      if (answers && target.away !== undefined) client.reply(N.RPL_AWAY, target.nick ?? targetName, target.away);
    }
  };
}

/** A chat line encoded once, with and without `@time=`. */
function chatLines(ctx: ServerContext, outbound: OutboundMessage): [OutLine, OutLine] {
  const line = formatMessage(outbound);
  const tagged = Buffer.from(`@time=${formatServerTime(ctx.config.now())} ${line}`, 'utf8');
  const plainStart = tagged.length - Buffer.byteLength(line, 'utf8');
  return [
    { bytes: tagged, priority: CHAT_PRIORITY },
    { bytes: tagged.subarray(plainStart), priority: CHAT_PRIORITY },
  ];
}
