/**
 * Framing: cutting an inbound byte stream into IRC lines. CR, LF or CRLF ends a line; empty
 * lines are ignored; TCP may cut anywhere, even inside a UTF-8 character, so framing works on
 * bytes and decodes whole lines only.
 *
 * @module
 */
import { MAX_LINE_BYTES, MAX_TAG_BYTES } from './message.js';

/** Events of a {@link LineFramer}. */
export interface LineFramerHandlers {
  /** A complete line, line ending removed, never empty, within the limits. */
  line(line: Buffer): void;
  /** A line over the limits was discarded (once per such line). */
  tooLong(): void;
}

/**
 * Cuts a byte stream into IRC lines. CR, LF and CRLF all end a line (so a lone CR can never
 * smuggle a second command into one line), empty lines are skipped, and a line whose tags
 * exceed {@link MAX_TAG_BYTES} or whose rest exceeds {@link MAX_LINE_BYTES} is reported as too
 * long instead of delivered. At most `maxPendingBytes` of an unterminated line are kept:
 * beyond that the line is discarded up to its end (and reported once), so memory stays
 * bounded whatever a peer sends.
 *
 * @example
 * ```ts
 * const framer = new LineFramer({ line: (b) => console.log(b.toString()), tooLong: () => {} });
 * framer.push(Buffer.from('NICK a\r\nUS'));
 * framer.push(Buffer.from('ER a 0 * :A\n')); // logs 'NICK a', then 'USER a 0 * :A'
 * ```
 */
export class LineFramer {
  private readonly handlers: LineFramerHandlers;
  private readonly maxPendingBytes: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private discarding = false;

  /**
   * @param maxPendingBytes - bytes of an unterminated line kept before it is discarded.
   *   Minimum: {@link MAX_LINE_BYTES} + {@link MAX_TAG_BYTES}. @default 8192
   * @throws RangeError when `maxPendingBytes` is too small to hold a legal line.
   */
  constructor(handlers: LineFramerHandlers, maxPendingBytes = 8192) {
    if (!Number.isSafeInteger(maxPendingBytes) || maxPendingBytes < MAX_LINE_BYTES + MAX_TAG_BYTES) {
      throw new RangeError(`maxPendingBytes must be an integer >= ${MAX_LINE_BYTES + MAX_TAG_BYTES} (got ${maxPendingBytes})`);
    }
    this.handlers = handlers;
    this.maxPendingBytes = maxPendingBytes;
  }

  /** Bytes of the current unterminated line held in memory. */
  get buffered(): number {
    return this.pendingBytes;
  }

  /** Feeds bytes; calls the handlers synchronously for every line completed. */
  push(chunk: Buffer): void {
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b !== 0x0a && b !== 0x0d) continue;
      this.finish(chunk.subarray(start, i));
      start = i + 1;
    }
    if (start < chunk.length) this.hold(chunk.subarray(start));
  }

  private hold(part: Buffer): void {
    if (this.discarding) return;
    if (this.pendingBytes + part.length > this.maxPendingBytes) {
      this.pending = [];
      this.pendingBytes = 0;
      this.discarding = true;
      return;
    }
    // Copy: the chunk's memory belongs to the socket's read path.
    this.pending.push(Buffer.from(part));
    this.pendingBytes += part.length;
  }

  private finish(tail: Buffer): void {
    if (this.discarding) {
      this.discarding = false;
      this.handlers.tooLong();
      return;
    }
    let line = tail;
    if (this.pendingBytes > 0) {
      this.pending.push(tail);
      line = Buffer.concat(this.pending, this.pendingBytes + tail.length);
      this.pending = [];
      this.pendingBytes = 0;
    }
    if (line.length === 0) return;
    if (isTooLong(line)) this.handlers.tooLong();
    else this.handlers.line(line);
  }
}

function isTooLong(line: Buffer): boolean {
  let rest = line.length;
  if (line[0] === 0x40 /* @ */) {
    const space = line.indexOf(0x20);
    const tagBytes = space === -1 ? line.length : space + 1;
    if (tagBytes > MAX_TAG_BYTES) return true;
    rest -= tagBytes;
  }
  return rest > MAX_LINE_BYTES;
}
