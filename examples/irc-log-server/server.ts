/**
 * The server: wires the library's pieces to the IRC connections.
 *
 * - a `PubSubBroker<LogEntry>` carries every entry: on `logs/<service>/<LEVEL>` for pattern
 *   channels, and through a `Router` on `channels/<name>` for the filtered channels;
 * - a `BackpressureManager<OutLine>` owns every client's SendQ (bounded in bytes, dropping the
 *   lowest priority first, disconnecting past the hard bound);
 * - a `TokenBucket` per client paces its input;
 * - the log sources (JSON Lines over TCP, stdin, the demo generator) call {@link RunningServer.ingest}.
 *
 * @module
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { BackpressureManager, PubSubBroker, TokenBucket } from 'logcaster';
import { ChannelDirectory, createRouter, entryTopic } from './channels.js';
import { Client, FlushScheduler, PROTECTED_PRIORITY, type ClientHooks, type OutLine } from './client.js';
import { dispatch, handleDeparture, type ServerContext } from './commands.js';
import { resolveConfig, type ServerConfig } from './config.js';
import type { LogEntry } from './log-entry.js';
import { startMetricsEndpoint, type MetricsEndpoint } from './metrics-http.js';
import { connectRedis, type RedisLink, type RedisLinkStats } from './redis-link.js';
import { startDemoSource, type DemoSource } from './sources/demo.js';
import { startJsonLinesSource, type JsonLinesSource } from './sources/json-lines.js';
import { startStdinSource, type StdinSource } from './sources/stdin.js';

/** Version shown in 002, 004 and VERSION. */
export const SERVER_VERSION = 'logcaster-0.1.0';

/** Counters of a running server; see {@link RunningServer.stats}. */
export interface ServerStats {
  /** Open IRC connections (registered or not). */
  clients: number;
  /** Registered connections. */
  registered: number;
  /** Channels with at least one member. */
  channels: number;
  /** Pattern channels that exist. */
  patternChannels: number;
  /** Live broker subscriptions (one per channel in use, plus any of the embedding code). */
  brokerSubscriptions: number;
  /** Entries ingested. */
  linesIn: number;
  /** Log lines queued to clients (a line to n members counts n). */
  linesDelivered: number;
  /** Lines dropped from SendQs by the overflow policy (not counting disconnects). */
  linesDropped: number;
  /** Chat lines relayed between users. */
  chatRelayed: number;
  /** Bytes waiting in all SendQs now. */
  sendQBytes: number;
  /** Clients disconnected with `SendQ exceeded`. */
  slowConsumerDisconnects: number;
  /** Clients disconnected with `Excess Flood`. */
  floodDisconnects: number;
  /** Clients disconnected for not answering PING (or not registering) in time. */
  pingTimeouts: number;
  /** Connections refused (server full, too many from one address, shutting down). */
  refusedConnections: number;
  /** Handler errors the broker reported (a channel failing to render an entry). */
  brokerErrors: number;
  /** The Redis bridge's counters, with `--redis`. */
  redis?: RedisLinkStats;
  /** Since start. */
  uptimeMs: number;
  /** `process.memoryUsage()` now: the whole process, not only this server. */
  memory: { rss: number; heapUsed: number };
}

/** A started server. */
export interface RunningServer {
  /** The IRC port actually bound. */
  readonly ircPort: number;
  /** The JSON Lines ingest port, when enabled. */
  readonly ingestPort: number | undefined;
  /** The Prometheus `/metrics` port, when enabled. */
  readonly metricsPort: number | undefined;
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

/** Address as shown in masks: IPv4-mapped IPv6 unwrapped, and never starting with `:`. */
function displayHost(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown';
  const host = address.startsWith('::ffff:') ? address.slice(7) : address;
  return host.startsWith(':') ? `0${host}` : host;
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
  const channels = new ChannelDirectory({
    broker,
    botMask,
    colour: config.colour,
    maxChannelsPerClient: config.maxChannelsPerClient,
    maxPatternChannels: config.maxPatternChannels,
    now: config.now,
  });
  // Item bounds far above what the byte bounds allow (no line is under 16 bytes), so bytes decide.
  const sendQs = new BackpressureManager<OutLine>({
    policy: 'drop-lowest-priority',
    maxBytes: config.sendQBytes,
    hardLimitBytes: config.sendQHardBytes,
    highWaterMark: Math.ceil(config.sendQBytes / 16),
    hardLimit: Math.ceil(config.sendQHardBytes / 16),
    protectedPriority: PROTECTED_PRIORITY,
    priorityOf: (line) => line.priority,
    sizeOf: (line) => line.bytes.length,
    maxQueues: config.maxClients,
  });

  const counters = {
    linesIn: 0,
    linesDropped: 0,
    slowConsumerDisconnects: 0,
    floodDisconnects: 0,
    pingTimeouts: 0,
    refusedConnections: 0,
    brokerErrors: 0,
  };
  sendQs.on('drop', (_key, count, reason) => {
    if (reason !== 'closed' && reason !== 'disconnect') counters.linesDropped += count;
  });
  sendQs.on('overflow', () => {
    counters.slowConsumerDisconnects++;
  });
  broker.on('error', (error, topic) => {
    counters.brokerErrors++;
    console.error(`irc-log-server: delivering ${topic} failed:`, error);
  });

  const clients = new Set<Client>();
  const perAddress = new Map<string, number>();
  const nicks = new Map<string, Client>();
  const scheduler = new FlushScheduler();
  let nextId = 1;
  let closing: Promise<void> | undefined;
  let whenEmpty: (() => void) | undefined;

  const stats = (): ServerStats => {
    let registered = 0;
    for (const client of clients) if (client.registered) registered++;
    const memory = process.memoryUsage();
    return {
      clients: clients.size,
      registered,
      channels: channels.activeChannels,
      patternChannels: channels.patternChannels,
      brokerSubscriptions: broker.stats().subscriptions,
      linesIn: counters.linesIn,
      linesDelivered: channels.delivered,
      linesDropped: counters.linesDropped,
      chatRelayed: ctx.chatRelayed,
      sendQBytes: sendQs.totals().pendingBytes,
      slowConsumerDisconnects: counters.slowConsumerDisconnects,
      floodDisconnects: counters.floodDisconnects,
      pingTimeouts: counters.pingTimeouts,
      refusedConnections: counters.refusedConnections,
      brokerErrors: counters.brokerErrors,
      ...(link === undefined ? {} : { redis: link.stats() }),
      uptimeMs: config.now() - startedAt,
      memory: { rss: memory.rss, heapUsed: memory.heapUsed },
    };
  };

  const ctx: ServerContext = {
    config,
    channels,
    nicks,
    createdAt: new Date(startedAt),
    version: SERVER_VERSION,
    botMask,
    chatRelayed: 0,
    stats,
    redisReady: () => link?.ready() ?? Promise.resolve(true),
  };

  const hooks: ClientHooks = {
    message: (client, message) => dispatch(ctx, client, message),
    left: (client, reason) => {
      if (reason === 'Excess Flood') counters.floodDisconnects++;
      handleDeparture(ctx, client, reason);
    },
    gone: (client) => {
      clients.delete(client);
      const count = (perAddress.get(client.host) ?? 1) - 1;
      if (count === 0) perAddress.delete(client.host);
      else perAddress.set(client.host, count);
      sendQs.delete(client.id);
      if (clients.size === 0) whenEmpty?.();
    },
  };

  const refuse = (socket: Socket, host: string, reason: string): void => {
    counters.refusedConnections++;
    // Already counted as refused; a reset while we say goodbye only needs the socket gone.
    socket.on('error', () => socket.destroy());
    socket.end(`ERROR :Closing Link: ${host} (${reason})\r\n`);
    setTimeout(() => socket.destroy(), 1000).unref();
  };

  const ircServer = createServer((socket) => {
    const host = displayHost(socket.remoteAddress);
    if (closing !== undefined) return refuse(socket, host, 'Server shutting down');
    if (clients.size >= config.maxClients) return refuse(socket, host, 'Server is full');
    const fromHere = perAddress.get(host) ?? 0;
    if (fromHere >= config.maxClientsPerIp) return refuse(socket, host, 'Too many connections from your address');
    perAddress.set(host, fromHere + 1);
    const id = String(nextId++);
    const client = new Client({
      id,
      socket,
      host,
      serverName: config.serverName,
      sendQ: sendQs.open(id),
      flood: new TokenBucket({ capacity: config.floodLines, refillPerSecond: config.floodPerSecond, now: config.now }),
      recvQBytes: config.recvQBytes,
      closeGraceMs: config.shutdownGraceMs,
      scheduler,
      now: config.now,
      hooks,
    });
    clients.add(client);
  });
  await new Promise<void>((resolve, reject) => {
    ircServer.once('error', reject);
    ircServer.listen(config.ircPort, config.ircHost, () => {
      ircServer.off('error', reject);
      resolve();
    });
  });
  ircServer.on('error', (error) => console.error('irc-log-server: IRC listener error:', error));

  // PING idle clients, drop the silent ones: one sweep for all clients, not a timer each.
  const sweepMs = Math.min(5000, Math.max(25, Math.floor(config.pingIntervalMs / 4)));
  const sweep = setInterval(() => {
    const now = config.now();
    for (const client of clients) {
      if (client.state !== 'open') continue;
      if (!client.registered) {
        if (now - client.connectedAt >= config.idleTimeoutMs) {
          counters.pingTimeouts++;
          client.close('Registration timed out');
        }
        continue;
      }
      const idle = now - client.lastActivity;
      if (idle >= config.idleTimeoutMs) {
        counters.pingTimeouts++;
        client.close(`Ping timeout: ${Math.round(idle / 1000)} seconds`);
      } else if (idle >= config.pingIntervalMs && client.pingSentAt === undefined) {
        client.pingSentAt = now;
        client.send({ command: 'PING', params: [config.serverName], colon: true });
      }
    }
  }, sweepMs);
  sweep.unref();

  // With --redis, entries go through the bridge: delivered here and on every other node.
  let link: RedisLink | undefined;
  if (config.redis !== undefined) {
    link = await connectRedis(config.redis, broker, (line) => console.error(`irc-log-server: ${line}`));
  }
  // With a bridge attached, broker.publish reaches every node.
  const publish = (topic: string, entry: LogEntry): void => void broker.publish(topic, entry);

  const ingest = (entry: LogEntry): void => {
    counters.linesIn++;
    publish(entryTopic(entry), entry);
    for (const topic of router.route(entry)) publish(topic, entry);
  };

  // Sources last: entries only flow once everything above is in place.
  let json: JsonLinesSource | undefined;
  let demo: DemoSource | undefined;
  let stdin: StdinSource | undefined;
  let metrics: MetricsEndpoint | undefined;
  try {
    if (config.metricsPort !== null) {
      metrics = await startMetricsEndpoint({ host: config.metricsHost, port: config.metricsPort, broker, stats });
    }
    if (config.ingestPort !== null) {
      json = await startJsonLinesSource({
        host: config.ingestHost,
        port: config.ingestPort,
        token: config.producerToken,
        sink: ingest,
        maxConnections: 256,
      });
    }
  } catch (error) {
    // A port in use: undo what was started, then report it.
    clearInterval(sweep);
    await metrics?.close();
    await link?.close();
    await new Promise<void>((resolve) => ircServer.close(() => resolve()));
    throw error;
  }
  if (config.demo) demo = startDemoSource({ sink: ingest, linesPerSecond: config.demoRate });
  if (config.stdin) stdin = startStdinSource(process.stdin, ingest, { service: config.stdinService });

  const address = ircServer.address() as AddressInfo;

  const close = (reason = 'Server shutting down'): Promise<void> => {
    closing ??= (async () => {
      clearInterval(sweep);
      demo?.stop();
      stdin?.stop();
      const listenerClosed = new Promise<void>((resolve) => ircServer.close(() => resolve()));
      await json?.close();
      await metrics?.close();
      await link?.close();
      const drained = new Promise<void>((resolve) => {
        whenEmpty = resolve;
        if (clients.size === 0) resolve();
      });
      for (const client of clients) client.close(reason);
      // Each client destroys its own socket after the grace period; this is a backstop.
      let backstop: NodeJS.Timeout | undefined;
      await Promise.race([
        drained,
        new Promise<void>((resolve) => {
          backstop = setTimeout(resolve, config.shutdownGraceMs + 1000);
        }),
      ]);
      clearTimeout(backstop);
      for (const client of clients) client.destroy();
      channels.close();
      broker.close();
      await listenerClosed;
      sendQs.close();
    })();
    return closing;
  };

  return {
    ircPort: address.port,
    ingestPort: json?.port,
    metricsPort: metrics?.port,
    broker,
    ingest,
    stats,
    close,
  };
}
