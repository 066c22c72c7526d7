/**
 * The counters every log source keeps, with the same names, so that `/metrics` and the bot's
 * `stats` can show every way a line can be lost, per source and per reason.
 *
 * For the lines of a source: `accepted + rateLimited + rejected + unauthorised + refusedLines`
 * is every non-blank line it received (the token line aside).
 *
 * @module
 */

/** Counters of one log source. */
export interface IngestStats {
  /** Which source: `tcp` (the ingest port), `syslog-tcp`, `udp` (the syslog ports), `stdin`. */
  readonly source: string;
  /** Open connections now (stdin: 1 while it is being read). */
  connections: number;
  /** Lines taken: each became an entry or was joined to one. */
  accepted: number;
  /** Entries passed on (accepted lines minus joined stack-trace lines). */
  entries: number;
  /** Lines dropped by the rate limit. */
  rateLimited: number;
  /** Lines refused: unreadable (bad JSON, invalid entry), too long, or the sink failed. */
  rejected: number;
  /** Lines that came on a connection that had not authenticated (and was then closed). */
  unauthorised: number;
  /** Lines that came on connections refused for a limit (discarded unread). */
  refusedLines: number;
  /** Connections refused: too many in all, or from one address. */
  refusedConnections: number;
  /** Connections closed for saying nothing: no first byte in time, or silent for the idle timeout. */
  idleClosed: number;
  /** Connections closed because the token was wrong or late. */
  authFailures: number;
  /** Error replies not sent because the producer was not reading them. */
  repliesSkipped: number;
}

/** A fresh set of counters for `source`. */
export function emptyIngestStats(source: string): IngestStats {
  return {
    source,
    connections: 0,
    accepted: 0,
    entries: 0,
    rateLimited: 0,
    rejected: 0,
    unauthorised: 0,
    refusedLines: 0,
    refusedConnections: 0,
    idleClosed: 0,
    authFailures: 0,
    repliesSkipped: 0,
  };
}

/** Lines a source lost, by reason (the labels `/metrics` uses). */
export function droppedLines(stats: IngestStats): Readonly<Record<'rate_limited' | 'rejected' | 'unauthorised' | 'refused_connection', number>> {
  return {
    rate_limited: stats.rateLimited,
    rejected: stats.rejected,
    unauthorised: stats.unauthorised,
    refused_connection: stats.refusedLines,
  };
}

/** Connections a source ended or refused, by reason. */
export function droppedConnections(stats: IngestStats): Readonly<Record<'refused' | 'idle_closed' | 'auth_failed', number>> {
  return { refused: stats.refusedConnections, idle_closed: stats.idleClosed, auth_failed: stats.authFailures };
}
