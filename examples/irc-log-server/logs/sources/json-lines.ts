/**
 * TCP ingest: producers connect and write one log entry per line, in any format the server
 * reads (see `logs/formats/`): native JSON Lines
 * `{"level":"ERROR","service":"payments","category":"DATABASE","message":"…","ts":…}`, pino,
 * bunyan, winston, journald export, Docker json-file, logfmt, syslog lines, or plain text
 * (attributed to `defaultService`). Stack-trace lines are joined to their entry.
 *
 * The protocol is fire-and-forget, like irker's: accepted entries get no reply, so a producer
 * can write and disconnect. Problems get one JSON line back, `{"ok":false,"error":"…","line":N}`,
 * and never affect other entries or other connections. When the producer closes its side
 * after losing lines, or the server closes the connection (idle, shutdown), it gets one
 * summary line, `{"ok":false,"summary":{"lines":N,"accepted":A,"rateLimited":R,"rejected":J,"unauthorised":U}}`
 * (with `"closed":"<why>"` when the server closed it), so drops are never reported only in
 * rate-limited error lines. A producer that lost nothing gets no summary: silence means taken.
 *
 * Limits, so no one can lock producers out: a total and a per-address connection cap, an idle
 * timeout, and a rate limit (the library's `RateLimiter`) per connection or per address. When
 * `token` is set the first line must authenticate, because an open ingest port becomes a spam
 * relay. Every drop is counted in {@link IngestStats}.
 *
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { RateLimiter } from 'logcaster';
import type { LogEntry } from '../entry.js';
import { parseLine } from '../formats/index.js';
import { EntryJoiner } from '../formats/multiline.js';
import { emptyIngestStats, type IngestStats } from './ingest-stats.js';
import { LineSplitter } from './line-splitter.js';

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
  /** Simultaneous producer connections from one address. Minimum: 1. @default 64 */
  maxPerAddress?: number;
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

/** The options, checked and with their defaults. */
interface Settings {
  readonly host: string;
  readonly port: number;
  readonly sink: (entry: LogEntry) => void;
  /** The token's digest, compared in constant time; undefined: no authentication. */
  readonly tokenDigest: Buffer | undefined;
  readonly maxLineBytes: number;
  readonly maxConnections: number;
  readonly maxPerAddress: number;
  readonly authTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly joinHoldMs: number;
  readonly defaultService: string;
  readonly now: () => number;
  readonly onError: (error: unknown, entry: LogEntry) => void;
  readonly scope: 'connection' | 'address';
  readonly limiter: RateLimiter;
}

/** Checks `options` and fills in the defaults. */
function resolveSettings(options: JsonLinesSourceOptions): Settings {
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
    maxPerAddress: positiveInteger('maxPerAddress', options.maxPerAddress, 64, 1),
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

const errorLine = (fields: Record<string, string | number>): string => JSON.stringify({ ok: false, ...fields });

/** Half-closes `socket` (with a last line, if any), then destroys it if the peer does not close its side. */
function refuse(socket: Socket, last: string | undefined): void {
  if (!socket.destroyed) {
    if (last === undefined) socket.end();
    else socket.end(`${last}\n`);
  }
  const timer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

/** Whether `text` is the token line `{"token":"…"}` with the right secret (compared in constant time). */
function isToken(text: string, tokenDigest: Buffer): boolean {
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

/**
 * One producer's connection: its lines go through the splitter, the token check, the rate
 * limit (before any parsing: the limit protects the server's CPU as well), the parser and the
 * stack-trace joiner, then to the sink. It counts what it does in its own summary and in the
 * source's counters.
 */
export class ProducerConnection {
  /** Ends the connection with its summary line (producer finished, idle, or shutdown). */
  readonly finish: (reason: string) => void;
  private readonly key: string;
  private authenticated: boolean;
  private closing = false;
  private lastLimitReply = Number.NEGATIVE_INFINITY;
  private droppedSinceReply = 0;
  /** This connection's own counts, for its summary line. */
  private readonly mine = { lines: 0, accepted: 0, rateLimited: 0, rejected: 0, unauthorised: 0 };
  private authTimer: NodeJS.Timeout | undefined = undefined;
  private readonly joiner: EntryJoiner;
  private readonly splitter: LineSplitter;

  constructor(
    private readonly socket: Socket,
    key: string,
    private readonly settings: Settings,
    private readonly stats: IngestStats,
  ) {
    this.key = key;
    this.authenticated = settings.tokenDigest === undefined;
    this.finish = (reason) => this.end(reason);
    this.joiner = new EntryJoiner({ holdMs: settings.joinHoldMs, emit: (entry, line) => this.emit(entry, line) });
    this.splitter = new LineSplitter(settings.maxLineBytes, (text, line, truncated) => this.onLine(text, line, truncated));
    if (!this.authenticated) {
      this.authTimer = setTimeout(() => {
        stats.authFailures += 1;
        this.closing = true;
        refuse(socket, errorLine({ error: 'authentication timeout: the first line must be {"token":"..."}', line: 0 }));
      }, settings.authTimeoutMs);
      this.authTimer.unref();
    }
    socket.setTimeout(settings.idleTimeoutMs, () => {
      if (this.closing) return;
      stats.idleClosed += 1;
      this.end(`idle for ${settings.idleTimeoutMs} ms`);
    });
    socket.on('data', (chunk: Buffer) => {
      this.splitter.push(chunk);
      this.joiner.idle();
    });
    // The producer finished writing (half-close): last line, held entry, then the summary.
    socket.on('end', () => this.end(''));
  }

  /** The socket closed: flush what is held and stop. */
  closed(): void {
    clearTimeout(this.authTimer);
    this.joiner.flush();
    this.joiner.dispose();
  }

  private end(reason: string): void {
    if (this.closing) return;
    this.splitter.end(); // a last line without LF still counts
    this.joiner.flush();
    this.closing = true;
    const { mine } = this;
    const dropped = mine.rateLimited + mine.rejected + mine.unauthorised;
    // Silence still means "all taken" when the producer finishes (fire-and-forget producers
    // may never read); a loss, or a close the producer did not ask for, is always explained.
    if (dropped === 0 && reason === '') {
      refuse(this.socket, undefined);
      return;
    }
    refuse(this.socket, JSON.stringify({ ok: dropped === 0, summary: mine, ...(reason === '' ? {} : { closed: reason }) }));
  }

  private reply(fields: Record<string, string | number>): void {
    const { socket } = this;
    if (socket.destroyed || !socket.writable) return;
    if (socket.writableLength > MAX_REPLY_BACKLOG) {
      this.stats.repliesSkipped += 1;
      return;
    }
    socket.write(`${errorLine(fields)}\n`);
  }

  private count(reason: 'rejected' | 'rateLimited' | 'unauthorised'): void {
    this.stats[reason] += 1;
    this.mine[reason] += 1;
  }

  private onLine(text: string, line: number, truncated: boolean): void {
    if (text.trim() === '') return;
    if (this.closing) {
      // After a failed authentication: the rest of what this connection sent is lost.
      if (!this.authenticated) this.count('unauthorised');
      return;
    }
    if (!this.authenticated) {
      this.authenticate(text, line);
      return;
    }
    this.mine.lines += 1;
    if (truncated) {
      this.count('rejected');
      this.reply({ error: `line too long (max ${this.settings.maxLineBytes} bytes)`, line });
      return;
    }
    // Rate limit before parsing: the limit protects the server's CPU as well.
    if (!this.settings.limiter.consume(this.key).allowed) {
      this.rateLimited(line);
      return;
    }
    const result = parseLine(text, { defaultService: this.settings.defaultService, now: this.settings.now });
    if (!result.ok) {
      this.count('rejected');
      this.reply(result.field === undefined ? { error: result.error, line } : { error: result.error, field: result.field, line });
      return;
    }
    this.stats.accepted += 1;
    this.mine.accepted += 1;
    this.joiner.push(result, line);
  }

  private authenticate(text: string, line: number): void {
    clearTimeout(this.authTimer);
    if (isToken(text, this.settings.tokenDigest as Buffer)) {
      this.authenticated = true;
      return;
    }
    this.stats.authFailures += 1;
    this.stats.unauthorised += 1;
    this.closing = true;
    refuse(this.socket, errorLine({ error: 'authentication required: the first line must be {"token":"..."}', line }));
  }

  /** Counts a rate-limited line; the producer hears of it at most once a second, with how many. */
  private rateLimited(line: number): void {
    this.count('rateLimited');
    this.droppedSinceReply += 1;
    const t = this.settings.now();
    if (t - this.lastLimitReply < 1000) return;
    this.lastLimitReply = t;
    this.reply({ error: 'rate limited', dropped: this.droppedSinceReply, line });
    this.droppedSinceReply = 0;
  }

  private emit(entry: LogEntry, line: number): void {
    try {
      this.settings.sink(entry);
      this.stats.entries += 1;
    } catch (error) {
      // Counted as one rejected line: the entry's first line, which was counted accepted.
      this.stats.accepted -= 1;
      this.mine.accepted -= 1;
      this.count('rejected');
      this.reply({ error: 'internal error', line });
      this.settings.onError(error, entry);
    }
  }
}

/**
 * Starts the TCP JSON Lines ingest.
 *
 * @throws RangeError / TypeError (rejected promise) for invalid options; the listen error
 *   (e.g. `EADDRINUSE`) when the port cannot be bound.
 * @example
 * ```ts
 * const source = await startJsonLinesSource({ port: 5140, sink: (entry) => channels.publish(entry) });
 * // printf '{"level":"error","service":"payments","message":"card declined"}\n' | nc 127.0.0.1 5140
 * await source.close();
 * ```
 */
export async function startJsonLinesSource(options: JsonLinesSourceOptions): Promise<JsonLinesSource> {
  const settings = resolveSettings(options);
  const { maxConnections, maxPerAddress } = settings;
  const stats = emptyIngestStats('tcp');
  const connections = new Map<Socket, ProducerConnection>();
  const refused = new Set<Socket>(); // given their error line, waiting to close
  const perAddress = new Map<string, number>();
  let nextId = 0;

  function onConnection(socket: Socket): void {
    // Sudden disconnects (ECONNRESET, EPIPE) are normal for producers; 'close' follows and
    // cleans up, there is nothing else to do about them.
    socket.on('error', () => undefined);
    const address = socket.remoteAddress ?? 'unknown';
    const fromHere = perAddress.get(address) ?? 0;
    const why =
      connections.size >= maxConnections
        ? `too many connections (max ${maxConnections})`
        : fromHere >= maxPerAddress
          ? `too many connections from your address (max ${maxPerAddress})`
          : undefined;
    if (why !== undefined) {
      stats.refusedConnections += 1;
      refused.add(socket);
      socket.once('close', () => refused.delete(socket));
      // Read and discard, so the peer's writes do not turn into an RST; those lines are lost too.
      socket.on('data', (chunk: Buffer) => {
        for (let lf = chunk.indexOf(0x0a); lf !== -1; lf = chunk.indexOf(0x0a, lf + 1)) stats.refusedLines += 1;
      });
      refuse(socket, errorLine({ error: why, line: 0 }));
      return;
    }
    perAddress.set(address, fromHere + 1);
    const key = settings.scope === 'address' ? `addr-${address}` : `conn-${++nextId}`;
    const connection = new ProducerConnection(socket, key, settings, stats);
    connections.set(socket, connection);
    stats.connections = connections.size;
    socket.on('close', () => {
      connection.closed();
      connections.delete(socket);
      const count = (perAddress.get(address) ?? 1) - 1;
      if (count === 0) perAddress.delete(address);
      else perAddress.set(address, count);
      stats.connections = connections.size;
      if (settings.scope === 'connection') settings.limiter.delete(key);
    });
  }

  // allowHalfOpen: a producer that has finished writing can still read its summary.
  const server: Server = createServer({ allowHalfOpen: true }, onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // After startup an error on the listening socket is rare (e.g. EMFILE on accept); report it.
  server.on('error', (error) => console.error('ingest: server error:', error));
  const address = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    port: address.port,
    host: settings.host,
    stats: () => ({ ...stats }),
    close(): Promise<void> {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const connection of connections.values()) connection.finish('server shutting down');
        // Each finished connection is destroyed after its grace period; do not wait for it.
        for (const socket of connections.keys()) socket.destroy();
        for (const socket of refused) socket.destroy();
      });
      return closed;
    },
  };
}
