/**
 * Bytes in: cutting an inbound byte stream into IRC lines ({@link LineFramer}: CR, LF or CRLF
 * ends a line; empty lines are ignored; TCP may cut anywhere, even inside a UTF-8 character,
 * so framing works on bytes and decodes whole lines only), and pacing them ({@link RecvQueue}:
 * each line costs a flood token; a client out of tokens waits, its lines held in a bounded
 * RecvQ).
 *
 * @module
 */
import type { Socket } from 'node:net';
import type { TokenBucket } from 'logcaster';
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

/** What a {@link RecvQueue} hands on: a line, or {@link TOO_LONG} for a line the framer discarded. */
export type InboundLine = Buffer;

/** Stands for a line that was too long, in the RecvQ, so that it is answered in order (417). */
export const TOO_LONG: InboundLine = Buffer.alloc(0);

/**
 * One connection's input: framed lines wait in the RecvQ and are handed on one flood token
 * each. A client out of tokens is paused ("fake lag": its socket stops being read until a
 * token is due); what it had already sent waits here, and {@link RecvQueue.overLimit} tells
 * the client when that exceeds the RecvQ bound (`Excess Flood`).
 */
export class RecvQueue implements LineFramerHandlers {
  private readonly framer: LineFramer;
  private lines: Buffer[] = [];
  private head = 0;
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined = undefined;
  private stopped = false;

  /**
   * @param socket - paused and resumed for fake lag.
   * @param flood - the client's budget, one token per line.
   * @param limit - RecvQ bound, bytes of lines read but not yet handed on (plus the unterminated one).
   * @param deliver - called with each line, in order, while tokens last.
   */
  constructor(
    private readonly socket: Socket,
    private readonly flood: TokenBucket,
    private readonly limit: number,
    private readonly deliver: (line: InboundLine) => void,
  ) {
    // This queue is its framer's handlers: no handler object and closures per connection.
    this.framer = new LineFramer(this);
  }

  /** @internal the framer's: a complete line, queued. */
  line(line: Buffer): void {
    this.queue(line);
  }

  /** @internal the framer's: a line was too long, queued as {@link TOO_LONG} to be answered in order. */
  tooLong(): void {
    this.queue(TOO_LONG);
  }

  /** Whether what waits exceeds the bound (the client should be dropped with `Excess Flood`). */
  get overLimit(): boolean {
    return this.bytes + this.framer.buffered > this.limit;
  }

  /** Frames `chunk` and hands on as many lines as the flood budget allows. */
  push(chunk: Buffer): void {
    if (this.stopped) return;
    this.framer.push(chunk);
    this.drain();
  }

  /** Forgets what waits and hands on nothing more; the socket keeps being read (and discarded). */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.lines = [];
    this.head = 0;
    this.bytes = 0;
    // Keep reading so that the peer's FIN is seen and the socket closes cleanly; closing with
    // unread input would reset the connection and lose the ERROR line.
    this.socket.resume();
  }

  private queue(line: Buffer): void {
    this.lines.push(line);
    this.bytes += line.length + 2;
  }

  private drain(): void {
    while (this.head < this.lines.length && !this.stopped) {
      if (!this.flood.consume(1)) {
        // Fake lag: stop reading and come back when a token is due.
        if (this.timer === undefined) {
          this.socket.pause();
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.drain();
          }, Math.max(1, Math.ceil(this.flood.msUntil(1))));
          this.timer.unref();
        }
        return;
      }
      const line = this.lines[this.head++];
      this.bytes -= line.length + 2;
      this.deliver(line);
    }
    this.lines = [];
    this.head = 0;
    this.bytes = 0;
    if (!this.stopped && this.socket.isPaused()) this.socket.resume();
  }
}
