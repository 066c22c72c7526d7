/**
 * Syslog over UDP (`--syslog-port`): one message per datagram, as `logger -d`, network devices
 * and syslog daemons forwarding with `@host:port` send them. Each datagram is read like any
 * line (RFC 5424, RFC 3164, or whatever text it carries), rate-limited per sender address with
 * the library's `RateLimiter`, and counted like the other sources (source `udp`). UDP has no
 * replies: a lost or refused datagram is only counted. TCP syslog, with either framing, is
 * `--syslog-tcp-port` (sources/index.ts).
 *
 * A stack trace sent through syslog arrives as one datagram per line; the lines of one sender
 * and one service are joined like on the TCP port ({@link EntryJoiner}), with one joiner per
 * (address, service) pair, at most {@link MAX_JOINERS} of them (the oldest is flushed first).
 *
 * @module
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { RateLimiter } from 'logcaster';
import type { LogEntry } from '../entry.js';
import { parseLine } from '../formats/index.js';
import { EntryJoiner } from '../formats/multiline.js';
import { emptyIngestStats, type IngestStats } from './ingest-stats.js';

/** Options of {@link startSyslogUdpSource}. */
export interface SyslogUdpOptions {
  /** Address to bind. @default '127.0.0.1' */
  host?: string;
  /** Port; 0 picks a free one. */
  port: number;
  /** Receives each accepted entry. */
  sink: (entry: LogEntry) => void;
  /** Per-address budget: burst and sustained rate. @default { capacity: 500, refillPerSecond: 200 } */
  limiter?: { capacity?: number; refillPerSecond?: number };
  /** Service of messages that name none. @default 'syslog' */
  defaultService?: string;
  /** How long a free-text entry waits for its stack-trace lines, ms. @default 100 */
  joinHoldMs?: number;
  /** Clock in ms. @default Date.now */
  now?: () => number;
}

/** A bound UDP syslog port. */
export interface SyslogUdpSource {
  readonly port: number;
  stats(): IngestStats;
  close(): Promise<void>;
}

// Datagrams longer than this are refused (RFC 5424 receivers must take 480, should take 2048).
const MAX_DATAGRAM = 16_384;
/** Senders (address and service) whose stack-trace lines are joined at once. */
export const MAX_JOINERS = 1024;

/**
 * Binds the UDP syslog port.
 *
 * @throws the bind error (rejected promise), e.g. `EADDRINUSE`.
 */
export async function startSyslogUdpSource(options: SyslogUdpOptions): Promise<SyslogUdpSource> {
  const now = options.now ?? Date.now;
  const capacity = options.limiter?.capacity ?? 500;
  const limiter = new RateLimiter({ capacity, refillPerSecond: options.limiter?.refillPerSecond ?? 200, initialTokens: capacity, maxKeys: 10_000, now });
  const ctx = { defaultService: options.defaultService ?? 'syslog', now };
  const stats = emptyIngestStats('udp');
  const socket: Socket = createSocket('udp4');
  const emit = (entry: LogEntry): void => {
    try {
      options.sink(entry);
      stats.entries += 1;
    } catch (error) {
      stats.accepted -= 1;
      stats.rejected += 1;
      console.error('syslog udp: sink failed:', error);
    }
  };
  const joiners = new Map<string, EntryJoiner>();
  const joinerOf = (key: string): EntryJoiner => {
    let joiner = joiners.get(key);
    if (joiner !== undefined) {
      // Most recently used last, so the one evicted below is the longest quiet.
      joiners.delete(key);
      joiners.set(key, joiner);
      return joiner;
    }
    if (joiners.size >= MAX_JOINERS) {
      const [oldestKey, oldest] = joiners.entries().next().value as [string, EntryJoiner];
      oldest.flush();
      joiners.delete(oldestKey);
    }
    joiner = new EntryJoiner({ holdMs: options.joinHoldMs ?? 100, emit });
    joiners.set(key, joiner);
    return joiner;
  };
  socket.on('message', (message: Buffer, from: RemoteInfo) => {
    if (message.length > MAX_DATAGRAM) {
      stats.rejected += 1;
      return;
    }
    const text = message.toString('utf8').replace(/[\r\n]+$/, '');
    if (text.trim() === '') return;
    if (!limiter.consume(from.address).allowed) {
      stats.rateLimited += 1;
      return;
    }
    const result = parseLine(text, ctx);
    if (!result.ok) {
      stats.rejected += 1;
      return;
    }
    stats.accepted += 1;
    const joiner = joinerOf(`${from.address} ${result.entry.service}`);
    joiner.push(result);
    joiner.idle();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.port, options.host ?? '127.0.0.1', () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('error', (error) => console.error('syslog udp: socket error:', error));
  let closed: Promise<void> | undefined;
  return {
    port: socket.address().port,
    stats: () => ({ ...stats }),
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        for (const joiner of joiners.values()) joiner.flush();
        joiners.clear();
        socket.close(() => resolve());
      });
      return closed;
    },
  };
}
