/**
 * Joining multi-line entries: a stack trace arrives as one line per frame, and only the first
 * says what happened. The joiner holds the last free-text entry of a stream and appends the
 * lines that continue it (indented lines, `Caused by:`, `... 12 more`, the closing line of a
 * Python traceback), then emits it when a line that starts a new entry arrives, when the
 * stream ends, or when the stream has been quiet for `holdMs` after a chunk (one timer per
 * stream, armed once per chunk, never per line).
 *
 * @module
 */
import { MAX_MESSAGE_LENGTH, type LogEntry } from '../entry.js';
import { levelRank } from '../level.js';
import type { ParsedLine } from './types.js';

// Indented text, or the Java/Python lines that continue a trace without indentation.
const CONTINUATION = /^(?:[ \t]+\S|Caused by: |Suppressed: |\.\.\. \d+ (?:more|common frames omitted))/;
// The last line of a Python traceback: "ValueError: bad input".
const PYTHON_LAST = /^[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning)\b/;
const FRAME = /^\s+(?:at |File ")/;

/** Whether `line` continues the entry `held` (a stack frame, a cause, an indented line). */
export function continues(held: string, line: string): boolean {
  if (CONTINUATION.test(line)) return true;
  // "ValueError: bad input" closes a traceback whose last line so far is indented code.
  const lastBreak = held.lastIndexOf('\n');
  return held.startsWith('Traceback (most recent call last)') && lastBreak >= 0 && /^\s/.test(held.slice(lastBreak + 1)) && PYTHON_LAST.test(line);
}

/** Options of {@link EntryJoiner}. */
export interface EntryJoinerOptions {
  /** Receives each finished entry, with the number its first line was pushed with. */
  emit: (entry: LogEntry, lineNumber: number) => void;
  /** How long a held entry waits for more lines after the stream goes quiet, ms. Minimum: 0. @default 100 */
  holdMs?: number;
  /** Most lines joined into one entry; past it a new entry starts. Minimum: 1. @default 500 */
  maxLines?: number;
}

/** Joins the continuation lines of one stream to the entry they belong to. */
export class EntryJoiner {
  /** Lines that were appended to an earlier entry instead of becoming their own. */
  joinedLines = 0;
  private held: LogEntry | undefined = undefined;
  private heldLevelStated = false;
  private heldLines = 0;
  private heldNumber = 0;
  private timer: NodeJS.Timeout | undefined = undefined;
  private readonly emit: (entry: LogEntry, lineNumber: number) => void;
  private readonly holdMs: number;
  private readonly maxLines: number;

  /** @throws RangeError for a bad `holdMs` or `maxLines`. */
  constructor(options: EntryJoinerOptions) {
    this.emit = options.emit;
    this.holdMs = options.holdMs ?? 100;
    this.maxLines = options.maxLines ?? 500;
    if (!Number.isInteger(this.holdMs) || this.holdMs < 0) throw new RangeError(`holdMs must be an integer >= 0 (got ${this.holdMs})`);
    if (!Number.isInteger(this.maxLines) || this.maxLines < 1) throw new RangeError(`maxLines must be an integer >= 1 (got ${this.maxLines})`);
  }

  /**
   * Takes one parsed line: joins it to the held entry, or emits that and holds or emits this
   * one. `lineNumber` is handed back with the entry (for error replies). @default 0
   */
  push(line: ParsedLine, lineNumber = 0): void {
    const held = this.held;
    const text = line.entry.message;
    if (
      held !== undefined &&
      line.joinable &&
      line.entry.service === held.service &&
      this.heldLines < this.maxLines &&
      held.message.length + 1 + text.length <= MAX_MESSAGE_LENGTH &&
      continues(held.message, text)
    ) {
      held.message += `\n${text}`;
      this.heldLines++;
      this.joinedLines++;
      // A trace under a line that stated no level ("Exception in thread…" aside) is an error.
      if (!this.heldLevelStated && FRAME.test(text) && levelRank(held.level) < levelRank('ERROR')) held.level = 'ERROR';
      return;
    }
    this.flush();
    if (line.joinable) {
      this.held = { ...line.entry };
      this.heldLevelStated = line.levelStated;
      this.heldLines = 1;
      this.heldNumber = lineNumber;
    } else {
      this.emit(line.entry, lineNumber);
    }
  }

  /** Call after each chunk of input: a held entry is emitted if nothing follows within `holdMs`. */
  idle(): void {
    if (this.held === undefined) return;
    if (this.timer !== undefined) {
      this.timer.refresh(); // quiet means quiet since the last chunk
      return;
    }
    if (this.holdMs === 0) {
      this.flush();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.holdMs);
    this.timer.unref();
  }

  /** Emits the held entry now (end of stream). */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const held = this.held;
    if (held === undefined) return;
    this.held = undefined;
    this.emit(held, this.heldNumber);
  }

  /** Drops the timer without emitting (the stream is being torn down). */
  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.held = undefined;
  }
}
