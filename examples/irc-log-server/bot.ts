/**
 * The log bot: the nick every log line comes from, operator of every channel, and the one
 * to ask for server stats (`/msg logcaster stats`). No client can take its nick.
 *
 * @module
 */
import type { Client } from './irc/client.js';
import type { IngestStats } from './logs/sources/ingest-stats.js';
import type { ServerStats } from './stats.js';

/** What the bot needs from the server. */
export interface BotContext {
  /** Where the bot's nick comes from. */
  readonly config: { readonly botNick: string };
  /** `nick!user@host` of the bot. */
  readonly botMask: string;
  /** Current counters. */
  stats(): ServerStats;
  /** With several nodes: resolves once the engine acknowledged the subscriptions (false: not in time). */
  redisReady?(): Promise<boolean>;
}

const MIB = 1024 * 1024;

/** The bot's answer lines to `stats`. */
export function statsLines(stats: ServerStats): string[] {
  const seconds = Math.round(stats.uptimeMs / 1000);
  return [
    `clients ${stats.clients} (registered ${stats.registered}), channels in use ${stats.channels} (pattern channels ${stats.patternChannels}), broker subscriptions ${stats.brokerSubscriptions}`,
    `lines in ${stats.linesIn}, delivered ${stats.linesDelivered}, dropped ${stats.linesDropped}, discarded at disconnect ${stats.linesDiscarded}, chat relayed ${stats.chatRelayed}`,
    `SendQ now ${stats.sendQBytes} bytes; disconnects: slow consumers ${stats.slowConsumerDisconnects}, excess flood ${stats.floodDisconnects}, ping timeouts ${stats.pingTimeouts}; IRC refused connections ${stats.refusedConnections}; wrong passwords ${stats.badPasswords} (refused for it ${stats.passwordRefusals})`,
    ...stats.ingest.map(ingestLine),
    `history: ${stats.history.entries} entries held (${(stats.history.bytes / 1024).toFixed(1)} KiB), ${stats.history.evicted} evicted, ${stats.history.replayed} lines replayed on join`,
    `memory rss ${(stats.memory.rss / MIB).toFixed(1)} MiB, heap ${(stats.memory.heapUsed / MIB).toFixed(1)} MiB; up ${seconds} s`,
    ...(stats.redis === undefined
      ? []
      : [
          `${(stats.engine ?? 'Redis').toLowerCase()}: sent ${stats.redis.published}, delivered from other nodes ${stats.redis.delivered}, gaps ${stats.redis.gaps} (missing ${stats.redis.missing}), outbox ${stats.redis.outboxPending} (dropped ${stats.redis.outboxDropped}), reconnects ${stats.redis.reconnects}`,
        ]),
    ...(stats.network === undefined
      ? []
      : [`network: ${stats.network.nodes} other nodes with ${stats.network.remoteUsers} users; snapshots asked ${stats.network.resyncs}, nodes lost ${stats.network.nodesLost}`]),
  ];
}

/** One source's line: what it accepted, and every line and connection it lost, by reason. */
export function ingestLine(s: IngestStats): string {
  return (
    `ingest ${s.source}: accepted ${s.accepted} lines (${s.entries} entries), open ${s.connections}; ` +
    `lines dropped: rate-limited ${s.rateLimited}, rejected ${s.rejected}, unauthorised ${s.unauthorised}, on refused connections ${s.refusedLines}; ` +
    `connections: refused ${s.refusedConnections}, idle-closed ${s.idleClosed}, auth failed ${s.authFailures}`
  );
}

/**
 * Answers a PRIVMSG sent to the bot with NOTICEs (never PRIVMSG, so two bots cannot loop).
 * Understood: `stats`, `help`; anything else gets a hint.
 */
export function handleBotMessage(ctx: BotContext, client: Client, text: string): void {
  const say = (line: string): void => {
    client.send({ source: ctx.botMask, command: 'NOTICE', params: [client.nick ?? '*', line], colon: true });
  };
  const command = text.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  const bot = ctx.config.botNick;
  switch (command) {
    case 'stats':
      // With several nodes, answer once the subscriptions are live: the answer then also tells a
      // watcher that entries from other nodes reach the channels it joined before asking.
      void (ctx.redisReady?.() ?? Promise.resolve(true)).then((live) => {
        if (client.state !== 'open') return;
        const stats = ctx.stats();
        for (const line of statsLines(stats)) say(line);
        const engine = stats.engine ?? 'Redis';
        if (!live) say(`${engine.toLowerCase()}: subscriptions not acknowledged yet (${engine} unreachable?)`);
      });
      return;
    case 'help':
      say('I relay log entries into channels. Join one:');
      say('#logs-all, #logs-error (ERROR+), #logs-warning (WARNING+), #logs-database, #logs-security');
      say('#logs/<service>/<LEVEL> with * for one level and # for the rest: #logs/*/ERROR, #logs/payments/#');
      say(`Commands: /msg ${bot} stats — server counters; /list — channels and what they carry`);
      return;
    default:
      say(`Unknown command. Try /msg ${bot} help`);
  }
}
