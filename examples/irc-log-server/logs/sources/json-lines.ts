/**
 * TCP JSON Lines ingest: producers connect and write one log entry per line,
 * `{"level":"ERROR","service":"payments","category":"DATABASE","message":"…","ts":…}`.
 *
 * The protocol is fire-and-forget, like irker's: accepted entries get no reply, so a producer
 * can write and disconnect. Problems get one JSON line back, `{"ok":false,"error":"…","line":N}`,
 * and never affect other entries or other connections. Each connection is rate-limited with
 * the library's `RateLimiter`; when `token` is set the first line must authenticate, because an
 * open ingest port becomes a spam relay.
 *
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { RateLimiter } from 'logcaster';
import { LogEntryError, parseLogEntry, type LogEntry } from '../entry.js';
import { LineSplitter } from './line-splitter.js';

/** Per-connection rate limit of a {@link JsonLinesSource}. */
export interface JsonLinesLimit {
  /** Burst size, in entries. Minimum: 1. @default 500 */
  capacity?: number;
  /** Sustained rate, in entries per second. Minimum: > 0. @default 200 */
  refillPerSecond?: number;
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
  /** Receives every accepted entry, in arrival order per connection. */
  sink: (entry: LogEntry) => void;
  /**
   * Rate limit per connection. Entries over the limit are dropped and counted, and the
   * producer gets at most one error line per second about it.
   *
   * @default { capacity: 500, refillPerSecond: 200 }
   */
  limiter?: JsonLinesLimit;
  /**
   * Longest line, in bytes. A longer line gets an error reply and is discarded; the
   * connection survives. Minimum: 64. @default 16384
   */
  maxLineBytes?: number;
  /** Simultaneous producer connections; further ones get an error line and are closed. Minimum: 1. @default 256 */
  maxConnections?: number;
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

/** Counters of a {@link JsonLinesSource}. */
export interface JsonLinesStats {
  /** Open producer connections. */
  connections: number;
  /** Entries passed to the sink. */
  accepted: number;
  /** Lines refused: bad JSON, invalid entries, lines too long, sink failures. */
  rejected: number;
  /** Entries dropped by the rate limiter. */
  rateLimited: number;
  /** Connections closed because the first line was not the right token, or did not come in time. */
  authFailures: number;
  /** Connections refused because `maxConnections` were open. */
  refusedConnections: number;
  /** Error replies not sent because the producer was not reading them (its socket buffer was full). */
  repliesSkipped: number;
}

/** A running JSON Lines source. */
export interface JsonLinesSource {
  /** The port actually bound (useful with `port: 0`). */
  readonly port: number;
  /** The address bound. */
  readonly host: string;
  /** A snapshot of the counters. */
  stats(): JsonLinesStats;
  /** Stops listening and closes every producer connection; resolves once all are closed. Idempotent. */
  close(): Promise<void>;
}

// Replies queued to a producer that does not read them stop here.
const MAX_REPLY_BACKLOG = 64 * 1024;
// Grace period for a refused connection to read its error line before it is destroyed.
const CLOSE_GRACE_MS = 1000;

function positiveInteger(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min} (got ${value})`);
  }
  return value;
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/**
 * Starts the TCP JSON Lines ingest.
 *
 * @throws RangeError / TypeError (rejected promise) for invalid options; the listen error
 *   (e.g. `EADDRINUSE`) when the port cannot be bound.
 * @example
 * ```ts
 * const source = await startJsonLinesSource({ port: 5140, sink: (entry) => router.publish(broker, entry) });
 * // printf '{"level":"error","service":"payments","message":"card declined"}\n' | nc 127.0.0.1 5140
 * await source.close();
 * ```
 */
export async function startJsonLinesSource(options: JsonLinesSourceOptions): Promise<JsonLinesSource> {
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '') throw new TypeError(`host must be a non-empty string (got ${String(host)})`);
  const port = options.port ?? 5140;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`port must be an integer in [0, 65535] (got ${port})`);
  }
  if (typeof options.sink !== 'function') throw new TypeError('sink must be a function');
  const sink = options.sink;
  if (options.token !== undefined && (typeof options.token !== 'string' || options.token === '')) {
    throw new TypeError('token must be a non-empty string when set');
  }
  const tokenDigest = options.token === undefined ? undefined : digest(options.token);
  const maxLineBytes = positiveInteger('maxLineBytes', options.maxLineBytes, 16_384, 64);
  const maxConnections = positiveInteger('maxConnections', options.maxConnections, 256, 1);
  const authTimeoutMs = positiveInteger('authTimeoutMs', options.authTimeoutMs, 10_000, 1);
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') throw new TypeError('now must be a function');
  const onError =
    options.onError ??
    ((error: unknown, entry: LogEntry) => console.error(`json-lines: sink failed for an entry of ${entry.service}:`, error));

  const capacity = options.limiter?.capacity ?? 500;
  const refillPerSecond = options.limiter?.refillPerSecond ?? 200;
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new RangeError(`limiter.capacity must be an integer >= 1 (got ${capacity})`);
  }
  if (!Number.isFinite(refillPerSecond) || refillPerSecond <= 0) {
    throw new RangeError(`limiter.refillPerSecond must be a finite number > 0 (got ${refillPerSecond})`);
  }
  // One bucket per connection, starting full; never more keys than connections.
  const limiter = new RateLimiter({ capacity, refillPerSecond, initialTokens: capacity, maxKeys: maxConnections, now });

  const stats: JsonLinesStats = {
    connections: 0,
    accepted: 0,
    rejected: 0,
    rateLimited: 0,
    authFailures: 0,
    refusedConnections: 0,
    repliesSkipped: 0,
  };
  const sockets = new Set<Socket>();
  const refused = new Set<Socket>(); // given their error line, waiting to close
  let nextId = 0;

  function reply(socket: Socket, fields: Record<string, string | number>): void {
    if (socket.destroyed || !socket.writable) return;
    if (socket.writableLength > MAX_REPLY_BACKLOG) {
      stats.repliesSkipped += 1;
      return;
    }
    socket.write(`${JSON.stringify({ ok: false, ...fields })}\n`);
  }

  // Half-close with the error line, then destroy if the peer does not close its side.
  function refuse(socket: Socket, fields: Record<string, string | number>): void {
    if (!socket.destroyed) socket.end(`${JSON.stringify({ ok: false, ...fields })}\n`);
    const timer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  }

  // Constant-time comparison of the token line's secret (digests have equal lengths).
  function isToken(text: string): boolean {
    if (tokenDigest === undefined) return true;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return false; // not JSON, so not a token line
    }
    if (typeof value !== 'object' || value === null || !('token' in value)) return false;
    const token = (value as { token: unknown }).token;
    return typeof token === 'string' && timingSafeEqual(digest(token), tokenDigest);
  }

  function onConnection(socket: Socket): void {
    // Sudden disconnects (ECONNRESET, EPIPE) are normal for producers; 'close' follows and
    // cleans up, there is nothing else to do about them.
    socket.on('error', () => undefined);
    if (sockets.size >= maxConnections) {
      stats.refusedConnections += 1;
      refused.add(socket);
      socket.once('close', () => refused.delete(socket));
      socket.resume(); // read and discard, so the peer's writes do not turn into an RST
      refuse(socket, { error: `too many connections (max ${maxConnections})`, line: 0 });
      return;
    }
    sockets.add(socket);
    stats.connections = sockets.size;
    const key = `conn-${++nextId}`;
    let authenticated = tokenDigest === undefined;
    let closing = false;
    let lastLimitReply = Number.NEGATIVE_INFINITY;
    let droppedSinceReply = 0;
    let authTimer: NodeJS.Timeout | undefined;
    if (!authenticated) {
      authTimer = setTimeout(() => {
        stats.authFailures += 1;
        closing = true;
        refuse(socket, { error: 'authentication timeout: the first line must be {"token":"..."}', line: 0 });
      }, authTimeoutMs);
      authTimer.unref();
    }

    const splitter = new LineSplitter(maxLineBytes, (text, line, truncated) => {
      if (closing) return;
      if (truncated) {
        stats.rejected += 1;
        reply(socket, { error: `line too long (max ${maxLineBytes} bytes)`, line });
        return;
      }
      if (text.trim() === '') return;

      if (!authenticated) {
        if (isToken(text)) {
          authenticated = true;
          clearTimeout(authTimer);
          return;
        }
        clearTimeout(authTimer);
        stats.authFailures += 1;
        closing = true;
        refuse(socket, { error: 'authentication required: the first line must be {"token":"..."}', line });
        return;
      }

      // Rate limit before parsing: the limit protects the server's CPU as well.
      if (!limiter.consume(key).allowed) {
        stats.rateLimited += 1;
        droppedSinceReply += 1;
        const t = now();
        if (t - lastLimitReply >= 1000) {
          lastLimitReply = t;
          reply(socket, { error: 'rate limited', dropped: droppedSinceReply, line });
          droppedSinceReply = 0;
        }
        return;
      }

      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        // Not JSON: answered as such; the SyntaxError's details are of no use to the producer.
        stats.rejected += 1;
        reply(socket, { error: 'invalid JSON', line });
        return;
      }
      let entry: LogEntry;
      try {
        entry = parseLogEntry(value, now);
      } catch (error) {
        if (!(error instanceof LogEntryError)) throw error;
        stats.rejected += 1;
        reply(socket, { error: error.message, field: error.field ?? 'entry', line });
        return;
      }
      try {
        sink(entry);
      } catch (error) {
        stats.rejected += 1;
        reply(socket, { error: 'internal error', line });
        onError(error, entry);
        return;
      }
      stats.accepted += 1;
    });

    socket.on('data', (chunk: Buffer) => splitter.push(chunk));
    // allowHalfOpen is off, so Node ends our side too once the producer has finished.
    socket.on('end', () => splitter.end()); // a last line without LF still counts
    socket.on('close', () => {
      clearTimeout(authTimer);
      sockets.delete(socket);
      stats.connections = sockets.size;
      limiter.delete(key);
    });
  }

  const server: Server = createServer(onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // After startup an error on the listening socket is rare (e.g. EMFILE on accept); report it.
  server.on('error', (error) => console.error('json-lines: server error:', error));
  const address = server.address() as AddressInfo;

  let closed: Promise<void> | undefined;
  return {
    port: address.port,
    host,
    stats: () => ({ ...stats }),
    close(): Promise<void> {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        for (const socket of refused) socket.destroy();
      });
      return closed;
    },
  };
}
