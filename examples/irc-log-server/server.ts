/**
 * Read this first: how the IRC log server is put together from the library's parts.
 *
 *   log sources ──▶ LogChannelDirectory.publish ──▶ PubSubBroker<LogEntry> ──▶ one Subscription per channel in use
 *   (logs/sources/)  (logs/log-channels.ts)          (+ RedisBridge, cluster/)   (renders each entry once)
 *                                                                                       │
 *   IRC clients ◀── socket ◀── Client: written at once, per turn, or from its SendQ ◀───┘
 *   (irc/listener.ts,          (irc/client.ts; BoundedQueue from one BackpressureManager:
 *    irc/commands/)             low-priority lines dropped first, counted)
 *
 * - `PubSubBroker<LogEntry>` carries every entry: on `logs/<service>/<LEVEL>` for pattern
 *   channels, and through a `Router` on `channels/<name>` for the filtered channels;
 * - `BackpressureManager<OutLine>` owns every client's SendQ (bounded in bytes, dropping the
 *   lowest priority first, disconnecting past the hard bound);
 * - a `TokenBucket` per client paces its input (flood control);
 * - a bridge carries entries between nodes: `RedisBridge` with `--redis`, `RedisShardedBridge`
 *   with `--redis-cluster`, `NatsBridge` with `--nats` (cluster/*-link.ts behind cluster/link.ts);
 * - the IRC network between nodes is more topics on the same broker (`chat/channels/<name>`,
 *   `chat/users/<nick>`, `chat/state`: cluster/network-bus.ts), so the same bridge carries
 *   chat and each node's users, memberships and channel state; nicks are claimed in Redis
 *   keys (cluster/nick-claims.ts) or NATS KV keys (cluster/kv-nick-claims.ts) that expire
 *   with their node;
 * - `BroadcastMetrics` observes the broker for `/metrics` (http/metrics.ts);
 * - the web viewer (`--http-port`, http/web-viewer.ts) gives each browser one broker
 *   subscription with a bounded queue, streamed as Server-Sent Events.
 *
 * {@link startServer} starts these parts in order and registers how to stop each one as it
 * goes: `close()` (and a failed start) stops them in the reverse order, from one list.
 *
 * The IRC protocol is in `irc/` and knows nothing about logs; the log side is in `logs/`.
 *
 * @module
 */
import { BackpressureManager, PubSubBroker, TokenBucket } from 'logcaster';
import { handleBotMessage } from './bot.js';
import { connectCluster, type ClusterLink } from './cluster/link.js';
import { NetworkBus } from './cluster/network-bus.js';
import { exposureWarnings, resolveConfig, type ServerConfig } from './config.js';
import type { MetricsEndpoint } from './http/metrics.js';
import type { WebViewer } from './http/web-viewer.js';
import { ChannelRouter } from './irc/channel-router.js';
import { PROTECTED_PRIORITY, type OutLine } from './irc/client.js';
import { applyRemote, applySnapshot, deliverChat, forgetNode, localSnapshot, type ServerContext } from './irc/commands/index.js';
import { startIrcListener, type IrcListener } from './irc/listener.js';
import { foldCase } from './irc/names.js';
import { PasswordGuard } from './irc/password-guard.js';
import { RemoteUsers } from './irc/remote-users.js';
import type { LogEntry } from './logs/entry.js';
import { LogHistory } from './logs/history.js';
import { LogChannelDirectory, filteredChannels } from './logs/log-channels.js';
import { startSources, type LogSources } from './logs/sources/index.js';
import { nodeCrypto } from './node-crypto.js';
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
  /** The TCP syslog port, when enabled (`--syslog-tcp-port`). */
  readonly syslogTcpPort: number | undefined;
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

/** How to stop what was started, last started first (see {@link startServer}). */
class Teardown {
  private readonly steps: { name: string; stop: (reason: string) => unknown }[] = [];

  /** Registers how to stop a part that has just started. */
  add(name: string, stop: (reason: string) => unknown): void {
    this.steps.push({ name, stop });
  }

  /** Stops every registered part, last first; a step that fails is reported and the rest still run. */
  async run(reason: string): Promise<void> {
    for (const { name, stop } of this.steps.splice(0).reverse()) {
      try {
        await stop(reason);
      } catch (error) {
        console.error(`irc-log-server: stopping ${name} failed:`, error);
      }
    }
  }
}

/** The log side: the join backlog and the channels, on `broker`; nothing listens yet. */
function startLogSide(config: ServerConfig, broker: PubSubBroker<LogEntry>, link: ClusterLink | undefined, botMask: string, teardown: Teardown) {
  // The join backlog (logs/history.ts): one broker subscription on every topic, bounded rings.
  const history = config.history > 0 ? new LogHistory({ broker, perChannel: config.history }) : undefined;
  if (history !== undefined) teardown.add('the history', () => history.close());
  const channels = new LogChannelDirectory({
    broker,
    filtered: filteredChannels({ database: config.databaseServices, security: config.securityServices }),
    botMask,
    colour: config.colour,
    maxChannelsPerClient: config.maxChannelsPerClient,
    maxPatternChannels: config.maxPatternChannels,
    now: config.now,
    history,
    // With several nodes, the filtered channels' backlog is shared by every node (closed with the link).
    sharedHistory: history === undefined ? undefined : link?.sharedHistory(config.history),
    serverName: config.serverName,
  });
  teardown.add('the log channels', () => channels.close());
  return { history, channels };
}

/** Every client's SendQ, from one manager: bounded in bytes, lowest priority dropped first. */
function createSendQs(config: ServerConfig, counters: Counters, teardown: Teardown): BackpressureManager<OutLine> {
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
  sendQs.on('drop', (_key, count, reason) => {
    // Lines still queued for a client that left (or was cut off for SendQ) are counted apart:
    // they were not dropped to keep a live client going, but nobody got them either.
    if (reason === 'closed' || reason === 'disconnect') counters.linesDiscarded += count;
    else counters.linesDropped += count;
  });
  sendQs.on('overflow', () => counters.slowConsumerDisconnects++);
  teardown.add('the SendQs', () => sendQs.close());
  return sendQs;
}

/** What {@link serverStats} reads; the parts started later are filled in as they start. */
interface Parts {
  readonly config: ServerConfig;
  readonly startedAt: number;
  readonly broker: PubSubBroker<LogEntry>;
  readonly history: LogHistory | undefined;
  readonly channels: LogChannelDirectory;
  readonly allChannels: ChannelRouter;
  readonly sendQs: BackpressureManager<OutLine>;
  readonly counters: Counters;
  readonly chatRelayed: () => number;
  readonly remote: RemoteUsers;
  readonly passwordGuard: PasswordGuard | undefined;
  readonly link: ClusterLink | undefined;
  network?: NetworkBus;
  irc?: IrcListener;
  sources?: LogSources;
}

/** A snapshot of the counters of every part. */
function serverStats(parts: Parts): ServerStats {
  const { config, broker, history, channels, counters, link, irc, sources, network } = parts;
  const clients = irc?.clients ?? new Set();
  let registered = 0;
  for (const client of clients) if (client.registered) registered++;
  const memory = process.memoryUsage();
  return {
    clients: clients.size,
    registered,
    channels: channels.activeChannels + parts.allChannels.chat.size,
    patternChannels: channels.patternChannels,
    brokerSubscriptions: broker.stats().subscriptions - (history?.subscriptions ?? 0),
    linesIn: channels.published,
    linesDelivered: channels.delivered,
    linesDropped: counters.linesDropped,
    linesDiscarded: counters.linesDiscarded,
    chatRelayed: parts.chatRelayed(),
    sendQBytes: parts.sendQs.stats().pendingBytes,
    slowConsumerDisconnects: counters.slowConsumerDisconnects,
    floodDisconnects: irc?.counters.floodDisconnects ?? 0,
    pingTimeouts: irc?.counters.pingTimeouts ?? 0,
    refusedConnections: irc?.counters.refusedConnections ?? 0,
    badPasswords: parts.passwordGuard?.failures ?? 0,
    passwordRefusals: parts.passwordGuard?.refusals ?? 0,
    brokerErrors: counters.brokerErrors,
    ...(link === undefined ? {} : { engine: link.engine, redis: link.stats() }),
    ...(link === undefined || network === undefined ? {} : { network: { ...network.stats(), remoteUsers: parts.remote.size } }),
    ingest: sources?.stats() ?? [],
    history: history?.stats() ?? { entries: 0, bytes: 0, evicted: 0, replayed: 0 },
    uptimeMs: config.now() - parts.startedAt,
    memory: { rss: memory.rss, heapUsed: memory.heapUsed },
  };
}

interface Counters {
  linesDropped: number;
  linesDiscarded: number;
  slowConsumerDisconnects: number;
  brokerErrors: number;
}

/**
 * The IRC network between nodes (cluster/network-bus.ts): chat, and each node's users and
 * channels. Without a link it only delivers chat here; with one, it is started once the link
 * has acknowledged its subscriptions, so the other nodes' answers to its `hello` reach it.
 */
async function startNetwork(config: ServerConfig, ctx: ServerContext, parts: Parts, teardown: Teardown): Promise<NetworkBus> {
  const { broker, link, counters } = parts;
  const bus = new NetworkBus({
    broker,
    node: ctx.node,
    server: config.serverName,
    nodeTimeoutMs: config.nickClaimTtlMs,
    deliver: (event) => deliverChat(ctx, event),
    peers: {
      apply: (origin, change) => applyRemote(ctx, origin, change),
      snapshot: () => localSnapshot(ctx),
      adopt: (origin, snapshot) => applySnapshot(ctx, origin, snapshot),
      forget: (origin) => forgetNode(ctx, origin),
    },
    rejected: () => counters.brokerErrors++,
    failed: (error, topic) => {
      counters.brokerErrors++;
      console.error(`irc-log-server: publishing on ${topic} failed:`, error);
    },
  });
  teardown.add('the network', () => bus.close());
  ctx.network = bus;
  if (link !== undefined) {
    bus.claims = link.nickClaims(ctx.node, config.nickClaimTtlMs);
    await link.ready();
    bus.start();
    // Back after an outage: ask every node for its state at once, rather than at its next heartbeat.
    link.onReconnect(() => bus.hello());
  }
  return bus;
}

/**
 * The web viewer and the `/metrics` endpoint, each when its port is set. Their modules are
 * loaded only then: a server with both ports off does not hold their code (memory, issue 24 §3).
 */
async function startHttp(config: ServerConfig, parts: Parts, stats: () => ServerStats, teardown: Teardown) {
  const { broker, history } = parts;
  let web: WebViewer | undefined;
  if (config.httpPort !== null) {
    const { startWebViewer } = await import('./http/web-viewer.js');
    const viewer = await startWebViewer({
      host: config.httpHost,
      port: config.httpPort,
      broker,
      password: config.password,
      history,
      channels: parts.channels.filtered,
      maxStreamsPerAddress: config.httpMaxStreamsPerAddress,
      headersTimeoutMs: config.httpHeadersTimeoutMs,
      guard: parts.passwordGuard,
    });
    teardown.add('the web viewer', () => viewer.close());
    web = viewer;
  }
  let metrics: MetricsEndpoint | undefined;
  if (config.metricsPort !== null) {
    const [{ startMetricsEndpoint }, { webViewerMetrics }] = await Promise.all([import('./http/metrics.js'), import('./http/web-metrics.js')]);
    const viewer = web;
    const endpoint = await startMetricsEndpoint({
      host: config.metricsHost,
      port: config.metricsPort,
      broker,
      stats,
      extra: viewer === undefined ? undefined : () => webViewerMetrics(viewer.stats()),
    });
    teardown.add('the metrics endpoint', () => endpoint.close());
    metrics = endpoint;
  }
  return { web, metrics };
}

const log = (line: string): void => console.error(`irc-log-server: ${line}`);

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
  for (const warning of exposureWarnings(config)) log(`WARNING: ${warning}`);
  const teardown = new Teardown();
  try {
    return await startParts(config, teardown);
  } catch (error) {
    // A port in use, say: undo what was started, then report it.
    await teardown.run('Server shutting down');
    throw error;
  }
}

/** Starts every part in order, registering how to stop each; sources last, so entries flow once all is in place. */
async function startParts(config: ServerConfig, teardown: Teardown): Promise<RunningServer> {
  const startedAt = config.now();
  const botMask = `${config.botNick}!${config.botNick}@${config.serverName}`;
  const counters: Counters = { linesDropped: 0, linesDiscarded: 0, slowConsumerDisconnects: 0, brokerErrors: 0 };
  const broker = new PubSubBroker<LogEntry>();
  teardown.add('the broker', () => broker.close());
  broker.on('error', (error, topic) => {
    counters.brokerErrors++;
    console.error(`irc-log-server: delivering ${topic} failed:`, error);
  });
  // With several nodes (--redis, --redis-cluster, --nats), the broker's publishes reach every node from here on.
  const link = await connectCluster(config, broker, log);
  if (link !== undefined) teardown.add('the cluster link', () => link.close());
  const { history, channels } = startLogSide(config, broker, link, botMask, teardown);
  const sendQs = createSendQs(config, counters, teardown);

  const remote = new RemoteUsers();
  // Names under #logs are the log side's (fixed and pattern channels); any other valid name
  // is an ordinary channel users make (irc/chat-channel.ts).
  const allChannels = new ChannelRouter({
    owned: channels,
    isOwnedName: (name) => foldCase(name).startsWith('#logs'),
    now: config.now,
    maxChannelsPerClient: config.maxChannelsPerClient,
    remoteMembers: (key) => remote.membersOf(key).size,
  });
  // Wrong passwords (IRC PASS and the web viewer share the secret, so they share the count) and
  // wrong producer tokens, each per address: guessing either is slowed to --password-retry-ms.
  const guard = (secret: string | undefined): PasswordGuard | undefined =>
    secret === undefined ? undefined : new PasswordGuard({ attempts: config.passwordAttempts, retryMs: config.passwordRetryMs, now: config.now });
  const passwordGuard = guard(config.password);
  const tokenGuard = guard(config.producerToken);
  const parts: Parts = { config, startedAt, broker, history, channels, allChannels, sendQs, counters, passwordGuard, link, remote, chatRelayed: () => ctx.chatRelayed };
  const stats = (): ServerStats => serverStats(parts);
  const ctx: ServerContext = {
    config,
    channels: allChannels,
    nicks: new Map(),
    remote,
    createdAt: new Date(startedAt),
    version: SERVER_VERSION,
    botMask,
    chatRelayed: 0,
    // Names this node to the others. Alone it only prefixes client ids: a UUID would load
    // node:crypto (node-crypto.ts) for nothing.
    node: link === undefined ? 'local' : nodeCrypto().randomUUID(),
    passwordGuard,
    stats,
    botMessage: (client, text) => handleBotMessage({ config, botMask, stats, redisReady: () => link?.ready() ?? Promise.resolve(true) }, client, text),
  };
  parts.network = await startNetwork(config, ctx, parts, teardown);

  const listener = await startIrcListener({
    host: config.ircHost,
    port: config.ircPort,
    settings: config,
    context: ctx,
    openSendQ: (id) => sendQs.open(id),
    releaseSendQ: (id) => sendQs.delete(id),
    floodBudget: () => new TokenBucket({ capacity: config.floodLines, refillPerSecond: config.floodPerSecond, now: config.now }),
  });
  teardown.add('the IRC listener', (reason) => listener.close(reason));
  parts.irc = listener;

  const { web, metrics } = await startHttp(config, parts, stats, teardown);
  const ingest = (entry: LogEntry): void => channels.publish(entry);
  const started = await startSources({ ...config, tokenGuard }, ingest);
  teardown.add('the log sources', () => started.stop());
  parts.sources = started;

  let closing: Promise<void> | undefined;
  return {
    ircPort: listener.port,
    ingestPort: started.ingestPort,
    metricsPort: metrics?.port,
    httpPort: web?.port,
    syslogPort: started.syslogPort,
    syslogTcpPort: started.syslogTcpPort,
    web,
    broker,
    ingest,
    stats,
    close: (reason = 'Server shutting down') => (closing ??= teardown.run(reason)),
  };
}
