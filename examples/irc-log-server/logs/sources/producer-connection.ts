/**
 * One producer's connection to the TCP ingest: its bytes are framed into lines (or syslog
 * messages), checked against the token, the rate limit, the parser and the stack-trace
 * joiner, then passed to the sink. Drops are counted in its own summary and in the source's
 * counters (see json-lines.ts for the protocol).
 *
 * @module
 */
import type { Socket } from 'node:net';
import { nodeCrypto } from '../../node-crypto.js';
import type { LogEntry } from '../entry.js';
import { parseLine } from '../formats/index.js';
import { EntryJoiner } from '../formats/multiline.js';
import type { IngestStats } from './ingest-stats.js';
import { digest, type Settings } from './json-lines-options.js';
import { LineSplitter } from './line-splitter.js';
import { SyslogFramer } from './syslog-framer.js';

// Replies queued to a producer that does not read them stop here.
const MAX_REPLY_BACKLOG = 64 * 1024;
// Grace period for a refused connection to read its error line before it is destroyed.
const CLOSE_GRACE_MS = 1000;

/** A JSON error line, `{"ok":false,…}`. */
export const errorLine = (fields: Record<string, string | number>): string => JSON.stringify({ ok: false, ...fields });

/** Half-closes `socket` (with a last line, if any), then destroys it if the peer does not close its side. */
export function refuse(socket: Socket, last: string | undefined): void {
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
  return typeof token === 'string' && nodeCrypto().timingSafeEqual(digest(token), tokenDigest);
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
  private readonly splitter: { push(chunk: Buffer): void; end(): void };
  private readonly address: string;
  private silentTimer: NodeJS.Timeout | undefined = undefined;

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
    this.address = socket.remoteAddress ?? 'unknown';
    const onLine = (text: string, line: number, truncated: boolean): void => this.onLine(text, line, truncated);
    this.splitter = settings.framing === 'syslog' ? new SyslogFramer(settings.maxLineBytes, onLine) : new LineSplitter(settings.maxLineBytes, onLine);
    // A socket that never sends would otherwise hold its slot for the whole idle timeout.
    this.silentTimer = setTimeout(() => {
      if (this.closing) return;
      stats.idleClosed += 1;
      this.end(`sent nothing for ${settings.firstByteTimeoutMs} ms`);
    }, settings.firstByteTimeoutMs);
    this.silentTimer.unref();
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
      clearTimeout(this.silentTimer);
      this.splitter.push(chunk);
      this.joiner.idle();
    });
    // The producer finished writing (half-close): last line, held entry, then the summary.
    socket.on('end', () => this.end(''));
  }

  /** The socket closed: flush what is held and stop. */
  closed(): void {
    clearTimeout(this.authTimer);
    clearTimeout(this.silentTimer);
    this.joiner.flush();
    this.joiner.dispose();
  }

  private end(reason: string): void {
    if (this.closing) return;
    clearTimeout(this.silentTimer);
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
    const { guard } = this.settings;
    // An address out of attempts is not told whether this token was right.
    const allowed = guard === undefined || guard.allows(this.address);
    if (allowed && isToken(text, this.settings.tokenDigest as Buffer)) {
      this.authenticated = true;
      return;
    }
    if (allowed) guard?.failed(this.address);
    this.stats.authFailures += 1;
    this.stats.unauthorised += 1;
    this.closing = true;
    const error = allowed ? 'authentication required: the first line must be {"token":"..."}' : 'too many failed token attempts from your address: try again later';
    refuse(this.socket, errorLine({ error, line }));
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
