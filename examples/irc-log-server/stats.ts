/**
 * The server's counters, as the bot's `stats` answer and `/metrics` show them.
 *
 * @module
 */
import type { ClusterLinkStats } from './cluster/link.js';
import type { NetworkBusStats } from './cluster/network-bus.js';
import type { HistoryStats } from './logs/history.js';
import type { IngestStats } from './logs/sources/ingest-stats.js';

/** Counters of a running server; see `RunningServer.stats`. */
export interface ServerStats {
  /** Open IRC connections (registered or not). */
  clients: number;
  /** Registered connections. */
  registered: number;
  /** Channels with at least one member. */
  channels: number;
  /** Pattern channels that exist. */
  patternChannels: number;
  /** Live broker subscriptions (one per channel in use, plus any of the embedding code; the join history's one is not counted). */
  brokerSubscriptions: number;
  /** Entries ingested. */
  linesIn: number;
  /** Log lines queued to clients (a line to n members counts n). */
  linesDelivered: number;
  /** Lines dropped from SendQs by the overflow policy (not counting disconnects). */
  linesDropped: number;
  /** Lines still queued for a client when it left or was disconnected for SendQ (nobody got them). */
  linesDiscarded: number;
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
  /** Connections refused (server full, too many from one address, out of password attempts, shutting down). */
  refusedConnections: number;
  /** Wrong IRC passwords received. */
  badPasswords: number;
  /** Connections and registrations refused because their address had spent its password attempts. */
  passwordRefusals: number;
  /** Handler errors the broker reported (a channel failing to render an entry). */
  brokerErrors: number;
  /** The engine joining the nodes (`Redis`, `Redis Cluster`, `NATS`), with several nodes. */
  engine?: string;
  /** The bridge's counters, with several nodes (`--redis`, `--redis-cluster`, `--nats`: the name is its first engine's). */
  redis?: ClusterLinkStats;
  /** The other nodes, with `--redis`: how many are heard from, users they have, resyncs, nodes lost. */
  network?: NetworkBusStats & { remoteUsers: number };
  /** Counters of each stream source (`tcp`, `stdin`): what it accepted and every line it lost, by reason. */
  ingest: readonly IngestStats[];
  /** The join backlog: entries and bytes held, entries evicted. */
  history: HistoryStats;
  /** Since start. */
  uptimeMs: number;
  /** `process.memoryUsage()` now: the whole process, not only this server. */
  memory: { rss: number; heapUsed: number };
}
