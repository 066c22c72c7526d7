/**
 * Plain-text lines from a stream (usually `process.stdin`), one entry per line:
 * `tail -F app.log | npm run demo -- --stdin`. The level is recognised from the text.
 *
 * @module
 */
import { entryFromText, type LogEntry } from '../entry.js';
import { LineSplitter } from './line-splitter.js';

/** Options of {@link startStdinSource}. */
export interface StdinSourceOptions {
  /** Service the lines are attributed to; 1–64 characters of `[A-Za-z0-9_.-]`. @default 'stdin' */
  service?: string;
  /** Clock for the entries' timestamps, in ms. @default Date.now */
  now?: () => number;
  /** Longest line kept, in bytes; longer lines are cut and marked `[truncated]`. Minimum: 1. @default 16384 */
  maxLineBytes?: number;
  /**
   * Called when the stream errors or `sink` throws; the source keeps reading.
   *
   * @default logs the error with `console.error`
   */
  onError?: (error: unknown) => void;
}

/** A running stdin source. */
export interface StdinSource {
  /** Stops reading: removes the listeners and pauses the stream (it is not destroyed). Idempotent. */
  stop(): void;
  /** Entries emitted so far (blank lines are skipped and not counted). */
  readonly lines: number;
}

/**
 * Reads lines from `input` and emits one entry per non-blank line, in order. CRLF and LF both
 * end a line; invalid UTF-8 becomes U+FFFD; a last line without LF is emitted at end of stream.
 *
 * @throws {@link LogEntryError} when `service` is not a valid service name; RangeError for a bad `maxLineBytes`.
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
  const now = options.now ?? Date.now;
  const onError = options.onError ?? ((error: unknown) => console.error('stdin source:', error));
  // Validates the service name up front rather than on the first line.
  entryFromText('', service, now);

  let lines = 0;
  const splitter = new LineSplitter(options.maxLineBytes ?? 16_384, (text, _line, truncated) => {
    if (text.trim() === '') return;
    const entry = entryFromText(truncated ? `${text} [truncated]` : text, service, now);
    lines += 1;
    try {
      sink(entry);
    } catch (error) {
      onError(error);
    }
  });

  const onData = (chunk: Buffer | string): void => splitter.push(chunk);
  const onEnd = (): void => splitter.end();
  input.on('data', onData);
  input.on('end', onEnd);
  input.on('error', onError);

  let stopped = false;
  return {
    stop(): void {
      if (stopped) return;
      stopped = true;
      input.removeListener('data', onData);
      input.removeListener('end', onEnd);
      input.removeListener('error', onError);
      // Paused, process.stdin no longer keeps the process alive.
      input.pause();
    },
    get lines(): number {
      return lines;
    },
  };
}
