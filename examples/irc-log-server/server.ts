/**
 * Read this first: how the IRC log server is put together from the library's parts.
 *
 *   log sources ──ingest()──▶ PubSubBroker<LogEntry> ──▶ one Subscription per channel in use
 *   (logs/sources/)          (+ RedisBridge, cluster/)    (logs/channel-directory.ts renders each entry once)
 *                                                                   │
 *   IRC clients ◀── socket ◀── SendQ per client ◀────────────────────┘
 *   (irc/listener.ts,          (BoundedQueue from one BackpressureManager:
 *    irc/commands/)             low-priority lines dropped first, counted)
 *
 * - `PubSubBroker<LogEntry>` carries every entry: on `logs/<service>/<LEVEL>` for pattern
 *   channels, and through a `Router` on `channels/<name>` for the filtered channels;
 * - `BackpressureManager<OutLine>` owns every client's SendQ (bounded in bytes, dropping the
 *   lowest priority first, disconnecting past the hard bound);
 * - a `TokenBucket` per client paces its input (flood control);
 * - `RedisBridge` (with `--redis`) carries entries between nodes;
 * - chat is more topics on the same broker (`chat/channels/<name>`, `chat/users/<nick>`,
 *   cluster/chat-bus.ts), so the same bridge carries it; nicks are claimed in Redis keys
 *   that expire with their node (cluster/nick-claims.ts);
 * - `BroadcastMetrics` observes the broker for `/metrics` (http/metrics.ts);
 * - the web viewer (`--http-port`, http/web-viewer.ts) gives each browser one broker
 *   subscription with a bounded queue, streamed as Server-Sent Events.
 *
 * The IRC protocol is in `irc/` and knows nothing about logs; the log side is in `logs/`.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { BackpressureManager, PubSubBroker, TokenBucket } from 'logcaster';
import { handleBotMessage } from './bot.js';
import { ChatBus } from './cluster/chat-bus.js';
import type { RedisLink } from './cluster/redis-link.js';
import { resolveConfig, type ServerConfig } from './config.js';
import { startMetricsEndpoint, type MetricsEndpoint } from './http/metrics.js';
import { ChannelRouter } from './irc/channel-router.js';
import { deliverChat, type ServerContext } from './irc/commands/index.js';
import { webViewerMetrics } from './http/web-metrics.js';
import { startWebViewer, type WebViewer } from './http/web-viewer.js';
import { startIrcListener } from './irc/listener.js';
import { foldCase } from './irc/names.js';
import { PROTECTED_PRIORITY, type OutLine } from './irc/out-line.js';
import { LogChannelDirectory } from './logs/channel-directory.js';
import { createRouter, entryTopic } from './logs/channels.js';
import type { LogEntry } from './logs/entry.js';
import { LogHistory } from './logs/history.js';
import { startSources, type IngestStats, type LogSources } from './logs/sources/index.js';
import type { ServerStats } from './stats.js';

export type { ServerStats } from './stats.js';

/** Version shown in 002, 004 and VERSION. */
export const SERVER_VERSION = 'logcaster-0.1.0';

/** A started server. */
export interface RunningServer {
  /** The IRC port actually bound. */
  readonly ircPort: number;
  /** The JSON Lines ingest port, when enabled. */
  readonly ingestPort: number | undefined;
  /** The Prometheus `/metrics` port, when enabled. */
  readonly metricsPort: number | undefined;
  /** The web viewer's port (page and SSE), when enabled. */
  readonly httpPort: number | undefined;
  /** The web viewer, when enabled: its counters are in `web.stats()`. */
  readonly web: WebViewer | undefined;
  /** The UDP syslog port, when enabled (`--syslog-port`). */
  readonly syslogPort: number | undefined;
  /** The broker every entry goes through. */
  readonly broker: PubSubBroker<LogEntry>;
  /**
   * Routes and publishes one entry, as a source does: on `logs/<service>/<LEVEL>` and on the
   * `channels/<name>` topics of the filtered channels it matches.
   *
   * @throws TopicError when the entry's service cannot be a topic level (sources validate it).
   */
  ingest(entry: LogEntry): void;
  /** A snapshot of the counters. */
  stats(): ServerStats;
  /**
   * Graceful shutdown: stops the sources and stops accepting, sends every client
   * `ERROR :Closing Link: <host> (<reason>)` after its queued lines, waits up to
   * `shutdownGraceMs` for the queues to flush, then closes every socket. Idempotent.
   */
  close(reason?: string): Promise<void>;
}

/**
 * Starts the IRC server and the configured log sources.
 *
 * @throws RangeError / TypeError (rejected promise) for a bad configuration; the listen
 *   error (e.g. `EADDRINUSE`) when a port cannot be bound.
 * @example
 * ```ts
 * const server = await startServer({ ircPort: 0, ingestPort: null, demo: false });
 * server.ingest({ level: 'ERROR', service: 'api', category: 'HTTP', message: 'boom', ts: Date.now() });
 * await server.close();
 * ```
 */
export async function startServer(overrides: Partial<ServerConfig> = {}): Promise<RunningServer> {
  const config = resolveConfig(overrides);
  const startedAt = config.now();
  const broker = new PubSubBroker<LogEntry>();
  const router = createRouter();
  const botMask = `${config.botNick}!${config.botNick}@${config.serverName}`;
  // The join backlog (logs/history.ts): one broker subscription on every topic, bounded rings.
  const history = config.history > 0 ? new LogHistory({ broker, perChannel: config.history }) : undefined;
  // With --redis, the filtered channels' backlog is shared by every node (logs/stream-history.ts),
  // loaded only then, like the bridge below: ioredis alone adds ~15 MiB of RSS.
  const sharedHistory =
    history !== undefined && config.redis !== undefined
      ? (await import('./logs/stream-history.js')).connectStreamHistory(config.redis, config.history, (line) =>
          console.error(`irc-log-server: ${line}`),
        )
      : undefined;
  let ingestStats = (): IngestStats[] => [];
  const channels = new LogChannelDirectory({
    broker,
    botMask,
    colour: config.colour,
    maxChannelsPerClient: config.maxChannelsPerClient,
    maxPatternChannels: config.maxPatternChannels,
    now: config.now,
    history,
    sharedHistory,
    serverName: config.serverName,
  });
  // Item bounds far above what the byte bounds allow (no line is under 16 bytes), so bytes decide.
  const sendQs = new BackpressureManager<OutLine>({
    policy: 'drop-lowest-priority',
    maxBytes: config.sendQBytes,
    hardMaxBytes: config.sendQHardBytes,
    maxItems: Math.ceil(config.sendQBytes / 16),
    hardMaxItems: Math.ceil(config.sendQHardBytes / 16),
    protectedPriority: PROTECTED_PRIORITY, // ERROR and above, and protocol replies
    priorityOf: (line) => line.priority,
    sizeOf: (line) => line.bytes.length,
    maxQueues: config.maxClients,
  });
  const counters = { linesIn: 0, linesDropped: 0, linesDiscarded: 0, slowConsumerDisconnects: 0, brokerErrors: 0 };
  sendQs.on('drop', (_key, count, reason) => {
    // Lines still queued for a client that left (or was cut off for SendQ) are counted apart:
    // they were not dropped to keep a live client going, but nobody got them either.
    if (reason === 'closed' || reason === 'disconnect') counters.linesDiscarded += count;
    else counters.linesDropped += count;
  });
  sendQs.on('overflow', () => counters.slowConsumerDisconnects++);
  broker.on('error', (error, topic) => {
    counters.brokerErrors++;
    console.error(`irc-log-server: delivering ${topic} failed:`, error);
  });

  let link: RedisLink | undefined;
  // Names under #logs are the log side's (fixed and pattern channels); any other valid name
  // is an ordinary channel users make (irc/chat-channel.ts).
  const allChannels = new ChannelRouter({
    owned: channels,
    isOwnedName: (name) => foldCase(name).startsWith('#logs'),
    now: config.now,
    maxChannelsPerClient: config.maxChannelsPerClient,
  });
  const ctx: ServerContext = {
    config,
    channels: allChannels,
    nicks: new Map(),
    createdAt: new Date(startedAt),
    version: SERVER_VERSION,
    botMask,
    chatRelayed: 0,
    stats: () => stats(),
    botMessage: (client, text) =>
      handleBotMessage({ config, botMask, stats, redisReady: () => link?.ready() ?? Promise.resolve(true) }, client, text),
  };
  // Chat is more topics on the same broker (cluster/chat-bus.ts); subscribed before Redis is
  // attached, so the bridge's ready() covers chat too.
  ctx.node = randomUUID();
  const chat = new ChatBus({
    broker,
    deliver: (event) => deliverChat(ctx, event),
    rejected: () => counters.brokerErrors++,
    failed: (error, topic) => {
      counters.brokerErrors++;
      console.error(`irc-log-server: publishing chat on ${topic} failed:`, error);
    },
  });
  ctx.network = chat;
  const irc = await startIrcListener({
    host: config.ircHost,
    port: config.ircPort,
    settings: config,
    context: ctx,
    openSendQ: (id) => sendQs.open(id),
    releaseSendQ: (id) => sendQs.delete(id),
    floodBudget: () => new TokenBucket({ capacity: config.floodLines, refillPerSecond: config.floodPerSecond, now: config.now }),
  });

  const stats = (): ServerStats => {
    const { clients } = irc;
    let registered = 0;
    for (const client of clients) if (client.registered) registered++;
    const memory = process.memoryUsage();
    return {
      clients: clients.size,
      registered,
      channels: channels.activeChannels + allChannels.chat.size,
      patternChannels: channels.patternChannels,
      brokerSubscriptions: broker.stats().subscriptions - (history?.subscriptions ?? 0),
      linesIn: counters.linesIn,
      linesDelivered: channels.delivered,
      linesDropped: counters.linesDropped,
      linesDiscarded: counters.linesDiscarded,
      chatRelayed: ctx.chatRelayed,
      sendQBytes: sendQs.stats().pendingBytes,
      slowConsumerDisconnects: counters.slowConsumerDisconnects,
      floodDisconnects: irc.counters.floodDisconnects,
      pingTimeouts: irc.counters.pingTimeouts,
      refusedConnections: irc.counters.refusedConnections,
      brokerErrors: counters.brokerErrors,
      ...(link === undefined ? {} : { redis: link.stats() }),
      ingest: ingestStats(),
      history: history?.stats() ?? { entries: 0, bytes: 0, evicted: 0, replayed: 0 },
      uptimeMs: config.now() - startedAt,
      memory: { rss: memory.rss, heapUsed: memory.heapUsed },
    };
  };

  // With --redis, entries go through the bridge: delivered here and on every other node.
  if (config.redis !== undefined) {
    // Loaded only when asked for: ioredis and the bridge add ~19 MiB of RSS to a node without Redis.
    const { connectRedis } = await import('./cluster/redis-link.js');
    link = await connectRedis(config.redis, broker, (line) => console.error(`irc-log-server: ${line}`));
    const claims = link.nickClaims(ctx.node, config.nickClaimTtlMs);
    chat.claims = claims;
    // Users who registered while Redis was being reached claim their nicks now.
    for (const folded of ctx.nicks.keys()) void claims.claim(folded);
  }
  // With a bridge attached, broker.publish reaches every node.
  const publish = (topic: string, entry: LogEntry): void => void broker.publish(topic, entry);

  const ingest = (entry: LogEntry): void => {
    counters.linesIn++;
    publish(entryTopic(entry), entry);
    for (const topic of router.route(entry)) {
      publish(topic, entry);
      sharedHistory?.record(topic, entry);
    }
  };

  // Sources last: entries only flow once everything above is in place.
  let metrics: MetricsEndpoint | undefined;
  let web: WebViewer | undefined;
  let sources: LogSources;
  try {
    if (config.httpPort !== null) {
      web = await startWebViewer({ host: config.httpHost, port: config.httpPort, broker, password: config.password, history });
    }
    if (config.metricsPort !== null) {
      const viewer = web;
      metrics = await startMetricsEndpoint({
        host: config.metricsHost,
        port: config.metricsPort,
        broker,
        stats,
        extra: viewer === undefined ? undefined : () => webViewerMetrics(viewer.stats()),
      });
    }
    sources = await startSources(config, ingest);
    ingestStats = sources.stats;
  } catch (error) {
    // A port in use: undo what was started, then report it.
    irc.stopAccepting();
    await metrics?.close();
    chat.close();
    await web?.close();
    await link?.close();
    await sharedHistory?.close();
    await irc.close('Server shutting down');
    throw error;
  }

  let closing: Promise<void> | undefined;
  const close = (reason = 'Server shutting down'): Promise<void> => {
    closing ??= (async () => {
      irc.stopAccepting();
      await sources.stop();
      await metrics?.close();
      await web?.close();
      await sharedHistory?.close();
      await irc.close(reason);
      chat.close();
      await link?.close();
      channels.close();
      history?.close();
      broker.close();
      sendQs.close();
    })();
    return closing;
  };

  return {
    ircPort: irc.port,
    ingestPort: sources.ingestPort,
    metricsPort: metrics?.port,
    httpPort: web?.port,
    syslogPort: sources.syslogPort,
    web,
    broker,
    ingest,
    stats,
    close,
  };
}
