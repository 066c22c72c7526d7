/**
 * Log lines from a stream (usually `process.stdin`), one entry per line, in any format the
 * server reads (see `logs/formats/`): `journalctl -f -o json | npm run demo -- --stdin`,
 * `node app.js | npm run demo -- --stdin` (pino), `docker logs -f app 2>&1 | …`,
 * `tail -F app.log | …`. Lines that name no service are attributed to `service`; stack-trace
 * lines are joined to their entry.
 *
 * When the stream ends, `onEnd` is told (the server prints how many lines it read and keeps
 * serving: the entries stay in the channels' history for people who join later).
 *
 * @module
 */
import type { LogEntry } from '../entry.js';
import { parseLine } from '../formats/index.js';
import { EntryJoiner } from '../formats/multiline.js';
import { emptyIngestStats, type IngestStats } from './ingest-stats.js';
import { LineSplitter } from './line-splitter.js';

/** Options of {@link startStdinSource}. */
export interface StdinSourceOptions {
  /** Service of lines that name none; 1–64 characters of `[A-Za-z0-9_.-]`. @default 'stdin' */
  service?: string;
  /** Clock for the entries' timestamps, in ms. @default Date.now */
  now?: () => number;
  /** Longest line kept, in bytes; longer lines are cut and marked `[truncated]`. Minimum: 1. @default 16384 */
  maxLineBytes?: number;
  /** How long a free-text entry waits for stack-trace lines after input goes quiet, ms. @default 100 */
  joinHoldMs?: number;
  /**
   * Called when the stream errors or `sink` throws; the source keeps reading.
   *
   * @default logs the error with `console.error`
   */
  onError?: (error: unknown) => void;
  /**
   * Called for a line that cannot be read (e.g. `{` that is not JSON); it is counted as rejected.
   *
   * @default logs `stdin: line N refused: <reason>` with `console.error`
   */
  onRefused?: (lineNumber: number, reason: string) => void;
  /** Called once when the stream ends, after the last entry. @default nothing */
  onEnd?: (stats: IngestStats) => void;
}

/** A running stdin source. */
export interface StdinSource {
  /** Stops reading: removes the listeners and pauses the stream (it is not destroyed). Idempotent. */
  stop(): void;
  /** Entries emitted so far (blank lines are skipped and not counted; joined lines are part of one entry). */
  readonly lines: number;
  /** Whether the stream has ended. */
  readonly ended: boolean;
  /** A snapshot of the counters. */
  stats(): IngestStats;
}

/**
 * Reads lines from `input` and emits one entry per entry read, in order. CRLF and LF both
 * end a line; invalid UTF-8 becomes U+FFFD; a last line without LF is emitted at end of stream.
 *
 * @throws RangeError when `service` is not a valid service name, or for a bad `maxLineBytes`.
 * @example
 * ```ts
 * const source = startStdinSource(process.stdin, (entry) => router.publish(broker, entry), { service: 'app' });
 * process.on('SIGINT', () => source.stop());
 * ```
 */
export function startStdinSource(
  input: NodeJS.ReadableStream,
  sink: (entry: LogEntry) => void,
  options: StdinSourceOptions = {},
): StdinSource {
  const service = options.service ?? 'stdin';
  if (typeof service !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(service)) {
    throw new RangeError(`service must be 1-64 characters of [A-Za-z0-9_.-] (got ${JSON.stringify(service)})`);
  }
  const now = options.now ?? Date.now;
  const onError = options.onError ?? ((error: unknown) => console.error('stdin source:', error));
  const onRefused = options.onRefused ?? ((n: number, reason: string) => console.error(`stdin: line ${n} refused: ${reason}`));
  const stats = emptyIngestStats('stdin');
  stats.connections = 1;
  let ended = false;
  const joiner = new EntryJoiner({
    holdMs: options.joinHoldMs ?? 100,
    emit: (entry) => {
      stats.entries += 1;
      try {
        sink(entry);
      } catch (error) {
        onError(error);
      }
    },
  });
  const ctx = { defaultService: service, now };
  const splitter = new LineSplitter(options.maxLineBytes ?? 16_384, (text, lineNumber, truncated) => {
    if (text.trim() === '') return;
    const result = parseLine(truncated ? `${text} [truncated]` : text, ctx);
    if (!result.ok) {
      stats.rejected += 1;
      onRefused(lineNumber, result.error);
      return;
    }
    stats.accepted += 1;
    joiner.push(result, lineNumber);
  });
  const onData = (chunk: Buffer | string): void => {
    splitter.push(chunk);
    joiner.idle();
  };
  const onEnd = (): void => {
    splitter.end();
    joiner.flush();
    ended = true;
    stats.connections = 0;
    options.onEnd?.({ ...stats });
  };
  input.on('data', onData);
  input.on('end', onEnd);
  input.on('error', onError);
  let stopped = false;
  return {
    stop(): void {
      if (stopped) return;
      stopped = true;
      joiner.flush();
      joiner.dispose();
      input.removeListener('data', onData);
      input.removeListener('end', onEnd);
      input.removeListener('error', onError);
      // Paused, process.stdin no longer keeps the process alive.
      input.pause();
    },
    get lines(): number {
      return stats.entries;
    },
    get ended(): boolean {
      return ended;
    },
    stats: () => ({ ...stats }),
  };
}
