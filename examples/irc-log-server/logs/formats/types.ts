/**
 * What every log format parser shares: the context a line is read in, the result of reading
 * it, and the two kinds of parser (one for decoded JSON records, one for text lines).
 *
 * @module
 */
import type { LogEntry, LogEntryField } from '../entry.js';

/** Names of the formats a line can be recognised as. */
export type FormatName = 'json-lines' | 'pino' | 'winston' | 'journald' | 'docker' | 'logfmt' | 'syslog' | 'plain';

/** Where a line is read: who it is attributed to when it names no service, and the clock. */
export interface ParseContext {
  /** Service for lines that name none (`--stdin-service` for stdin, `ingest` for TCP). */
  readonly defaultService: string;
  /** Clock for lines without a timestamp, in ms. */
  readonly now: () => number;
}

/** A line read successfully. */
export interface ParsedLine {
  readonly ok: true;
  readonly entry: LogEntry;
  /** The format it was recognised as. */
  readonly format: FormatName;
  /**
   * Whether the line's level was stated (a level field, `<PRI>`, a level word) rather than
   * assumed (`INFO`). A stack trace joined to an entry whose level was assumed makes it ERROR.
   */
  readonly levelStated: boolean;
  /**
   * Whether the line is free text that can be one line of a longer entry (plain text and
   * Docker's per-line records), so that stack-trace lines after it are joined to it.
   */
  readonly joinable: boolean;
}

/** A line refused, with the reason the producer is told. */
export interface RefusedLine {
  readonly ok: false;
  /** The format it looked like, if any. */
  readonly format: FormatName | undefined;
  readonly error: string;
  /** The entry field at fault (`entry` for the line as a whole); none when the line is not even JSON. */
  readonly field: LogEntryField | undefined;
}

/** The result of reading one line. */
export type LineResult = ParsedLine | RefusedLine;

/** A format of JSON records: recognised by its fields. */
export interface RecordFormat {
  readonly name: FormatName;
  /** Whether `record` has this format's telltale fields. Cheap: no parsing. */
  detect(record: Readonly<Record<string, unknown>>): boolean;
  parse(record: Readonly<Record<string, unknown>>, ctx: ParseContext): LineResult;
}

/** A text format: recognised by the line's shape. */
export interface TextFormat {
  readonly name: FormatName;
  /** Whether `line` has this format's shape. Cheap: one anchored regular expression. */
  detect(line: string): boolean;
  parse(line: string, ctx: ParseContext): LineResult;
}
