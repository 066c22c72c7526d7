/**
 * The optional `/metrics` endpoint (`--metrics-port`): the broker's own metrics from the
 * library's `BroadcastMetrics` (publishes, deliveries, drops and latency per subscription
 * pattern), followed by the IRC server's counters, both written by the library's
 * `PrometheusWriter` in the Prometheus text format. The web viewer's counters (web-metrics.ts) are appended when it runs.
 *
 * @module
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BroadcastMetrics, type PubSubBroker } from 'logcaster';
import { PrometheusWriter, type PrometheusSample, type PrometheusType } from 'logcaster/adapter';
import type { LogEntry } from '../logs/entry.js';
import { droppedConnections, droppedLines, type IngestStats } from '../logs/sources/ingest-stats.js';
import type { ServerStats } from '../stats.js';

/** Options of {@link startMetricsEndpoint}. */
export interface MetricsEndpointOptions {
  /** Address to bind. @default '127.0.0.1' */
  host?: string;
  /** Port; 0 picks a free one. */
  port: number;
  /** The broker to observe. */
  broker: PubSubBroker<LogEntry>;
  /** The IRC server's counters. */
  stats: () => ServerStats;
  /** More families in the Prometheus text format, appended (the web viewer's). @default none */
  extra?: () => string;
}

/** A running `/metrics` endpoint. */
export interface MetricsEndpoint {
  /** The port bound. */
  readonly port: number;
  /** Stops observing the broker and closes the HTTP server. */
  close(): Promise<void>;
}

type Family = readonly [name: string, type: PrometheusType, help: string, value: number];

/** The IRC server's counters as Prometheus text. */
export function ircMetrics(stats: ServerStats): string {
  const families: Family[] = [
    ['logcaster_irc_clients', 'gauge', 'Open IRC connections.', stats.clients],
    ['logcaster_irc_registered_clients', 'gauge', 'Registered IRC connections.', stats.registered],
    ['logcaster_irc_channels', 'gauge', 'Channels with at least one member.', stats.channels],
    ['logcaster_irc_pattern_channels', 'gauge', 'Pattern channels that exist.', stats.patternChannels],
    ['logcaster_irc_sendq_bytes', 'gauge', 'Bytes waiting in all SendQs.', stats.sendQBytes],
    ['logcaster_irc_lines_in_total', 'counter', 'Log entries ingested.', stats.linesIn],
    ['logcaster_irc_lines_delivered_total', 'counter', 'Log lines queued to clients.', stats.linesDelivered],
    ['logcaster_irc_lines_dropped_total', 'counter', 'Lines dropped from SendQs by the overflow policy.', stats.linesDropped],
    ['logcaster_irc_lines_discarded_total', 'counter', 'Lines still queued for clients that left or were disconnected for SendQ.', stats.linesDiscarded],
    ['logcaster_irc_chat_relayed_total', 'counter', 'Chat lines relayed between users.', stats.chatRelayed],
    ['logcaster_irc_slow_consumer_disconnects_total', 'counter', 'Clients disconnected for SendQ exceeded.', stats.slowConsumerDisconnects],
    ['logcaster_irc_flood_disconnects_total', 'counter', 'Clients disconnected for Excess Flood.', stats.floodDisconnects],
    ['logcaster_irc_ping_timeouts_total', 'counter', 'Clients disconnected for not answering PING or not registering.', stats.pingTimeouts],
    ['logcaster_irc_refused_connections_total', 'counter', 'Connections refused by the limits.', stats.refusedConnections],
    ['logcaster_irc_bad_passwords_total', 'counter', 'Wrong IRC passwords received.', stats.badPasswords],
    ['logcaster_irc_password_refusals_total', 'counter', 'Connections and registrations refused for an address out of password attempts.', stats.passwordRefusals],
    ['logcaster_irc_process_resident_memory_bytes', 'gauge', 'Resident set size of the process.', stats.memory.rss],
  ];
  // The names a dashboard built for --redis reads, kept for it; every engine has the
  // logcaster_cluster_* families below, labelled with the engine.
  if (stats.redis !== undefined && (stats.engine ?? 'Redis') === 'Redis') {
    const redis = stats.redis;
    families.push(
      ['logcaster_redis_gaps_total', 'counter', 'Times messages from another node were found missing.', redis.gaps],
      ['logcaster_redis_missing_total', 'counter', 'Messages from other nodes known lost.', redis.missing],
      ['logcaster_redis_outbox_pending', 'gauge', 'Messages waiting in the outbox for Redis.', redis.outboxPending],
      ['logcaster_redis_outbox_dropped_total', 'counter', 'Messages the full outbox dropped.', redis.outboxDropped],
      ['logcaster_redis_reconnects_total', 'counter', 'Redis connections back after an outage.', redis.reconnects],
    );
  }
  if (stats.network !== undefined) {
    const network = stats.network;
    families.push(
      ['logcaster_network_nodes', 'gauge', 'Other nodes heard from within the node timeout.', network.nodes],
      ['logcaster_network_remote_users', 'gauge', 'Users on the other nodes.', network.remoteUsers],
      ['logcaster_network_resyncs_total', 'counter', 'Snapshots asked of other nodes after a gap.', network.resyncs],
      ['logcaster_network_nodes_lost_total', 'counter', 'Nodes forgotten after falling silent.', network.nodesLost],
    );
  }
    const writer = new PrometheusWriter();
  for (const [name, type, help, value] of families) writer.family(name, type, help, [{ value }]);
  writeClusterMetrics(writer, stats);
  writeIngestMetrics(writer, stats);
  return writer.toString();
}

/** The link's counters, on every engine, labelled `engine` = `redis`, `redis_cluster` or `nats`. */
function writeClusterMetrics(writer: PrometheusWriter, stats: ServerStats): void {
  const link = stats.redis;
  if (link === undefined) return;
  const labels = { engine: (stats.engine ?? 'Redis').toLowerCase().replace(/ /g, '_') };
  const one = (value: number): PrometheusSample[] => [{ labels, value }];
  writer
    .family('logcaster_cluster_published_total', 'counter', 'Messages this node sent to the other nodes through the engine.', one(link.published))
    .family('logcaster_cluster_delivered_total', 'counter', 'Messages from the other nodes delivered here.', one(link.delivered))
    .family('logcaster_cluster_gaps_total', 'counter', 'Times messages from another node were found missing.', one(link.gaps))
    .family('logcaster_cluster_missing_total', 'counter', 'Messages from other nodes known lost.', one(link.missing))
    .family('logcaster_cluster_outbox_pending', 'gauge', 'Messages waiting in the outbox for the engine.', one(link.outboxPending))
    .family('logcaster_cluster_outbox_dropped_total', 'counter', 'Messages the full outbox dropped.', one(link.outboxDropped))
    .family('logcaster_cluster_reconnects_total', 'counter', 'Connections to the engine back after an outage.', one(link.reconnects));
}

/**
 * Every way a line can be lost on the way in, per source and reason, next to what was
 * accepted: `accepted + dropped` is every line a source received.
 */
function writeIngestMetrics(writer: PrometheusWriter, stats: ServerStats): void {
  const per = (pick: (s: IngestStats) => number): PrometheusSample[] => stats.ingest.map((s) => ({ labels: { source: s.source }, value: pick(s) }));
  const byReason = (reasons: (s: IngestStats) => Readonly<Record<string, number>>): PrometheusSample[] =>
    stats.ingest.flatMap((s) => Object.entries(reasons(s)).map(([reason, value]) => ({ labels: { source: s.source, reason }, value })));
  writer
    .family('logcaster_ingest_connections', 'gauge', 'Open ingest connections (stdin: 1 while read).', per((s) => s.connections))
    .family('logcaster_ingest_lines_accepted_total', 'counter', 'Lines taken by a source (entries and joined stack-trace lines).', per((s) => s.accepted))
    .family('logcaster_ingest_entries_total', 'counter', 'Entries a source passed on.', per((s) => s.entries))
    .family('logcaster_ingest_lines_dropped_total', 'counter', 'Lines a source lost, by reason.', byReason(droppedLines))
    .family('logcaster_ingest_connections_dropped_total', 'counter', 'Ingest connections refused or closed by the server, by reason.', byReason(droppedConnections))
    .family('logcaster_ingest_replies_skipped_total', 'counter', 'Error replies not sent to producers that were not reading.', per((s) => s.repliesSkipped))
    .family('logcaster_history_entries', 'gauge', 'Entries held for replay on join.', [{ value: stats.history.entries }])
    .family('logcaster_history_bytes', 'gauge', 'Approximate bytes held for replay on join.', [{ value: stats.history.bytes }])
    .family('logcaster_history_evicted_total', 'counter', 'Entries evicted from the join history by its bounds.', [{ value: stats.history.evicted }]);
}

/**
 * Starts observing `broker` with `BroadcastMetrics` and serves `GET /metrics`.
 *
 * @throws the listen error (rejected promise), e.g. `EADDRINUSE`.
 * @example
 * ```ts
 * const endpoint = await startMetricsEndpoint({ port: 9464, broker, stats: server.stats });
 * // curl http://127.0.0.1:9464/metrics
 * ```
 */
export async function startMetricsEndpoint(options: MetricsEndpointOptions): Promise<MetricsEndpoint> {
  const metrics = new BroadcastMetrics(options.broker);
  const http = createServer((request, response) => {
    if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics here\n');
      return;
    }
    response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    response.end(metrics.toPrometheus() + ircMetrics(options.stats()) + (options.extra?.() ?? ''));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(options.port, options.host ?? '127.0.0.1', () => {
        http.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    metrics.close();
    throw error;
  }
  http.on('error', (error) => console.error('irc-log-server: metrics endpoint error:', error));
  return {
    port: (http.address() as AddressInfo).port,
    close: () => {
      metrics.close();
      http.closeAllConnections();
      return new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
