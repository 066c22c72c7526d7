/**
 * Messages: PRIVMSG, NOTICE and TAGMSG to channels, to users (on this node or another), and
 * to the service bot.
 *
 * Text from users is relayed as sent: CTCP (`\x01…\x01`) and formatting pass through, and
 * only line breaks and NUL are replaced (`chat-line.ts`). Channel rules: `+n` (members
 * only; always so in log channels), `+m` (voiced and operators only), `+b` (banned members
 * cannot speak). IRCv3: `echo-message` sends the sender its own line, `message-tags` relays
 * client-only tags (`+…`) and TAGMSG and gives each message a `msgid` (the same in the echo
 * and for every recipient), `server-time` stamps `@time=`.
 *
 * @module
 */
import { ChatChannel } from '../chat-channel.js';
import { ChatLines, clientTagsOf, newMsgid, type ChatEvent } from '../chat-line.js';
import type { Client } from '../client.js';
import { foldCase } from '../names.js';
import { Numeric as N } from '../numerics.js';
import { MAX_TARGETS, splitList, type Handler, type ServerContext } from './context.js';
import { answerBotCtcp } from './ctcp.js';
import { noteSpoke } from './user-records.js';

/** Why `client` may not speak in `channel` (404's text), if it may not. */
function cannotSend(channel: ChatChannel | undefined, isMember: boolean, client: Client): string | undefined {
  if (channel === undefined) return isMember ? undefined : 'Cannot send to channel (no external messages)';
  if (!isMember && channel.flags.has('n')) return 'Cannot send to channel (no external messages)';
  const privileged = channel.ops.has(client.id) || channel.voiced.has(client.id);
  if (channel.flags.has('m') && !privileged) return 'Cannot send to channel (+m)';
  if (isMember && !privileged && channel.isBanned(client)) return 'Cannot send to channel (+b)';
  return undefined;
}

/**
 * Queues a chat event to the local recipients: the channel's members (all but the sender),
 * or the user it names. Called for this node's own messages and for those the network
 * brings from other nodes.
 *
 * @returns how many clients queued it.
 */
export function deliverChat(ctx: ServerContext, event: ChatEvent): number {
  const lines = new ChatLines(event);
  let queued = 0;
  if (event.target.startsWith('#')) {
    const channel = ctx.channels.find(event.target);
    if (channel === undefined) return 0;
    for (const member of channel.members) {
      if (member.id === event.from) continue; // ids are unique across nodes
      const line = lines.for(member);
      if (line !== undefined && member.enqueue(line)) queued++;
    }
  } else {
    const target = ctx.nicks.get(foldCase(event.target));
    if (target === undefined || !target.registered) return 0;
    const line = lines.for(target);
    if (line !== undefined && target.enqueue(line)) queued++;
  }
  ctx.chatRelayed += queued;
  return queued;
}

export function message(command: 'PRIVMSG' | 'NOTICE' | 'TAGMSG'): Handler {
  const answers = command !== 'NOTICE'; // errors for NOTICE are never answered, so bots cannot loop
  return (ctx, client, params, msg) => {
    if (params.length === 0 || params[0] === '') {
      if (answers) client.reply(N.ERR_NORECIPIENT, `No recipient given (${command})`);
      return;
    }
    const text = params[1] ?? '';
    if (command !== 'TAGMSG' && text === '') {
      if (answers) client.reply(N.ERR_NOTEXTTOSEND, 'No text to send');
      return;
    }
    noteSpoke(ctx, client);
    const clientTags = client.caps.has('message-tags') ? clientTagsOf(msg.tags) : '';
    for (const targetName of splitList(params[0]).slice(0, MAX_TARGETS)) {
      const event = (target: string): ChatEvent => ({
        kind: 'chat',
        node: ctx.node,
        from: client.id,
        source: client.mask,
        command,
        target,
        text: command === 'TAGMSG' ? '' : text,
        clientTags,
        msgid: newMsgid(),
        time: ctx.config.now(),
      });
      const echo = (sent: ChatEvent): void => {
        if (!client.caps.has('echo-message')) return;
        const line = new ChatLines(sent).for(client);
        if (line !== undefined) client.enqueue(line);
      };

      if (foldCase(targetName) === foldCase(ctx.config.botNick)) {
        echo(event(ctx.config.botNick));
        if (command === 'PRIVMSG' && !answerBotCtcp(ctx, client, text)) ctx.botMessage(client, text);
        continue;
      }
      if (targetName.startsWith('#')) {
        const channel = ctx.channels.find(targetName);
        if (channel === undefined) {
          if (answers) client.reply(N.ERR_NOSUCHCHANNEL, targetName, 'No such channel');
          continue;
        }
        const refusal = cannotSend(channel instanceof ChatChannel ? channel : undefined, channel.members.has(client), client);
        if (refusal !== undefined) {
          if (answers) client.reply(N.ERR_CANNOTSENDTOCHAN, channel.name, refusal);
          continue;
        }
        const sent = event(channel.name);
        echo(sent);
        // Chat is more topics on the same broker: the network delivers here and on every node.
        if (ctx.network !== undefined) ctx.network.toChannel(sent);
        else deliverChat(ctx, sent);
        continue;
      }
      const target = ctx.nicks.get(foldCase(targetName));
      if (target !== undefined && target.registered) {
        const sent = event(target.nick ?? targetName);
        echo(sent);
        deliverChat(ctx, sent);
        if (command === 'PRIVMSG' && target.away !== undefined) client.reply(N.RPL_AWAY, target.nick ?? targetName, target.away);
        continue;
      }
      sendToOtherNode(ctx, client, event(targetName), answers, echo);
    }
  };
}

/**
 * A nick this node does not have: a user another node told of, or one whose node has not yet
 * (its claim in Redis says so); 401 if nobody has it.
 */
function sendToOtherNode(ctx: ServerContext, client: Client, sent: ChatEvent, answers: boolean, echo: (sent: ChatEvent) => void): void {
  const { network } = ctx;
  const known = ctx.remote.byNickname(sent.target);
  if (network !== undefined && known !== undefined) {
    const to = { ...sent, target: known.nick };
    echo(to);
    network.toUser(to);
    if (sent.command === 'PRIVMSG' && known.away !== undefined && answers) client.reply(N.RPL_AWAY, known.nick, known.away);
    return;
  }
  const noSuchNick = (): void => {
    if (answers && client.state === 'open') client.reply(N.ERR_NOSUCHNICK, sent.target, 'No such nick/channel');
  };
  if (network?.claims === undefined) {
    noSuchNick();
    return;
  }
  void network.claims.heldElsewhere(foldCase(sent.target)).then(
    (held) => {
      if (!held) return noSuchNick();
      echo(sent);
      network.toUser(sent);
    },
    noSuchNick,
  );
}
