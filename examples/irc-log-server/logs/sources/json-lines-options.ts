/**
 * The options of the TCP ingest (`startJsonLinesSource`), checked once with their defaults.
 *
 * @module
 */
import { nodeCrypto } from '../../node-crypto.js';
import { RateLimiter } from 'logcaster';
import type { PasswordGuard } from '../../irc/password-guard.js';
import type { LogEntry } from '../entry.js';
import type { IngestStats } from './ingest-stats.js';

/** Rate limit of a {@link JsonLinesSource}. */
export interface JsonLinesLimit {
  /** Burst size, in entries. Minimum: 1. @default 500 */
  capacity?: number;
  /** Sustained rate, in entries per second. Minimum: > 0. @default 200 */
  refillPerSecond?: number;
  /**
   * What one budget covers: each `connection`, or each remote `address` (all its connections
   * share it, so opening more connections does not buy more rate).
   *
   * @default 'connection' (the server passes `--ingest-rate-scope`, whose default is `address`)
   */
  scope?: 'connection' | 'address';
}

/** Options of {@link startJsonLinesSource}. */
export interface JsonLinesSourceOptions {
  /** Address to bind. Keep it on loopback unless producers are elsewhere. @default '127.0.0.1' */
  host?: string;
  /** Port to listen on; 0 picks a free one (see {@link JsonLinesSource.port}). @default 5140 */
  port?: number;
  /**
   * Shared secret. When set, the first line of each connection must be `{"token":"…"}`;
   * anything else gets an error line and the connection is closed.
   *
   * @default undefined (no authentication)
   */
  token?: string;
  /**
   * With `token` set: how long a connection may take to send its token line before it is
   * closed, so silent connections cannot hold the `maxConnections` slots. Minimum: 1.
   *
   * @default 10000
   */
  authTimeoutMs?: number;
  /**
   * A connection that sends nothing for this long is closed (with its summary line), so idle
   * sockets cannot hold the `maxConnections` slots. Minimum: 1. @default 60000
   */
  idleTimeoutMs?: number;
  /** Service of lines that name none (plain text, Docker lines, pino without `name`). @default 'ingest' */
  defaultService?: string;
  /** Receives every accepted entry, in arrival order per connection. */
  sink: (entry: LogEntry) => void;
  /**
   * Rate limit. Entries over the limit are dropped and counted, and the producer gets at most
   * one error line per second about it, plus the summary at the end.
   *
   * @default { capacity: 500, refillPerSecond: 200, scope: 'connection' }
   */
  limiter?: JsonLinesLimit;
  /**
   * Longest line, in bytes. A longer line gets an error reply and is discarded; the
   * connection survives. Minimum: 64. @default 16384
   */
  maxLineBytes?: number;
  /** Simultaneous producer connections; further ones get an error line and are closed. Minimum: 1. @default 256 */
  maxConnections?: number;
  /** Simultaneous producer connections from one address. Minimum: 1. @default 16 */
  maxPerAddress?: number;
  /**
   * A connection that has sent no byte this long after it opened is closed (with its summary
   * line), so sockets that never send cannot hold slots for the whole `idleTimeoutMs`.
   * Minimum: 1. @default 5000
   */
  firstByteTimeoutMs?: number;
  /**
   * How the stream is cut into entries: `lines` (one per LF), or `syslog` (RFC 6587: each
   * message octet-counted, `<len> <msg>`, or else up to LF; see syslog-framer.ts).
   *
   * @default 'lines'
   */
  framing?: 'lines' | 'syslog';
  /**
   * With `token`: wrong tokens per address, shared with the IRC password and the web viewer
   * (irc/password-guard.ts). An address out of attempts is refused before its token is read.
   *
   * @default undefined (wrong tokens only close their connection)
   */
  guard?: PasswordGuard;
  /** The `source` of its counters (`/metrics`, the bot's `stats`). @default 'tcp' */
  sourceName?: string;
  /** How long a free-text entry waits for stack-trace lines after the producer goes quiet, ms. @default 100 */
  joinHoldMs?: number;
  /** Clock in ms, for missing `ts` fields, the rate limiter and reply pacing. @default Date.now */
  now?: () => number;
  /**
   * Called when `sink` throws. The entry is counted as rejected and the producer gets an
   * `internal error` reply; the connection and the source keep working.
   *
   * @default logs the error with `console.error`
   */
  onError?: (error: unknown, entry: LogEntry) => void;
}

/** Counters of a {@link JsonLinesSource} (see {@link IngestStats}). */
export type JsonLinesStats = IngestStats;

/** A running TCP ingest source. */
export interface JsonLinesSource {
  /** The port actually bound (useful with `port: 0`). */
  readonly port: number;
  /** The address bound. */
  readonly host: string;
  /** A snapshot of the counters. */
  stats(): JsonLinesStats;
  /** Stops listening and closes every producer connection (each gets its summary); resolves once all are closed. Idempotent. */
  close(): Promise<void>;
}
export function positiveInteger(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min} (got ${value})`);
  }
  return value;
}

/** SHA-256 of a secret, for constant-time comparison. */
export function digest(secret: string): Buffer {
  return nodeCrypto().createHash('sha256').update(secret, 'utf8').digest();
}

/** The options, checked and with their defaults. */
export interface Settings {
  readonly host: string;
  readonly port: number;
  readonly sink: (entry: LogEntry) => void;
  /** The token's digest, compared in constant time; undefined: no authentication. */
  readonly tokenDigest: Buffer | undefined;
  readonly maxLineBytes: number;
  readonly maxConnections: number;
  readonly maxPerAddress: number;
  readonly firstByteTimeoutMs: number;
  readonly framing: 'lines' | 'syslog';
  readonly guard: PasswordGuard | undefined;
  readonly sourceName: string;
  readonly authTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly joinHoldMs: number;
  readonly defaultService: string;
  readonly now: () => number;
  readonly onError: (error: unknown, entry: LogEntry) => void;
  readonly scope: 'connection' | 'address';
  readonly limiter: RateLimiter;
}

/**
 * Checks `options` and fills in the defaults.
 *
 * @throws RangeError / TypeError naming the bad option.
 */
export function resolveSettings(options: JsonLinesSourceOptions): Settings {
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '') throw new TypeError(`host must be a non-empty string (got ${String(host)})`);
  const port = options.port ?? 5140;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`port must be an integer in [0, 65535] (got ${port})`);
  }
  if (typeof options.sink !== 'function') throw new TypeError('sink must be a function');
  if (options.token !== undefined && (typeof options.token !== 'string' || options.token === '')) {
    throw new TypeError('token must be a non-empty string when set');
  }
  const maxConnections = positiveInteger('maxConnections', options.maxConnections, 256, 1);
  const defaultService = options.defaultService ?? 'ingest';
  if (typeof defaultService !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(defaultService)) {
    throw new RangeError(`defaultService must be 1-64 characters of [A-Za-z0-9_.-] (got ${JSON.stringify(defaultService)})`);
  }
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') throw new TypeError('now must be a function');
  const capacity = options.limiter?.capacity ?? 500;
  const refillPerSecond = options.limiter?.refillPerSecond ?? 200;
  const scope = options.limiter?.scope ?? 'connection';
  const framing = options.framing ?? 'lines';
  if (framing !== 'lines' && framing !== 'syslog') throw new RangeError(`framing must be 'lines' or 'syslog' (got ${JSON.stringify(framing)})`);
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new RangeError(`limiter.capacity must be an integer >= 1 (got ${capacity})`);
  }
  if (!Number.isFinite(refillPerSecond) || refillPerSecond <= 0) {
    throw new RangeError(`limiter.refillPerSecond must be a finite number > 0 (got ${refillPerSecond})`);
  }
  if (scope !== 'connection' && scope !== 'address') {
    throw new RangeError(`limiter.scope must be 'connection' or 'address' (got ${JSON.stringify(scope)})`);
  }
  return {
    host,
    port,
    sink: options.sink,
    tokenDigest: options.token === undefined ? undefined : digest(options.token),
    maxLineBytes: positiveInteger('maxLineBytes', options.maxLineBytes, 16_384, 64),
    maxConnections,
    maxPerAddress: positiveInteger('maxPerAddress', options.maxPerAddress, 16, 1),
    firstByteTimeoutMs: positiveInteger('firstByteTimeoutMs', options.firstByteTimeoutMs, 5000, 1),
    framing,
    guard: options.guard,
    sourceName: options.sourceName ?? 'tcp',
    authTimeoutMs: positiveInteger('authTimeoutMs', options.authTimeoutMs, 10_000, 1),
    idleTimeoutMs: positiveInteger('idleTimeoutMs', options.idleTimeoutMs, 60_000, 1),
    joinHoldMs: options.joinHoldMs ?? 100,
    defaultService,
    now,
    onError: options.onError ?? ((error: unknown, entry: LogEntry) => console.error(`ingest: sink failed for an entry of ${entry.service}:`, error)),
    scope,
    // One bucket per key, starting full; never more keys than connections.
    limiter: new RateLimiter({ capacity, refillPerSecond, initialTokens: capacity, maxKeys: maxConnections, now }),
  };
}
