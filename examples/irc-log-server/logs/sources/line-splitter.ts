/**
 * Byte-stream to lines, with a bound: what both stream sources (TCP JSON Lines and stdin) need.
 *
 * TCP delivers partial lines, even one byte at a time, and a UTF-8 character can be split
 * across reads; so bytes are kept until the LF arrives and decoded once per line (invalid UTF-8
 * becomes U+FFFD). A line longer than the bound is cut there: its first `maxLineBytes` bytes
 * are delivered with `truncated: true` once its end arrives, the rest is discarded, and memory
 * never grows past the bound whatever the peer sends.
 *
 * @module
 */

/** Receives each complete line. */
export type LineHandler = (line: string, lineNumber: number, truncated: boolean) => void;

/**
 * Splits chunks into lines on LF, dropping one CR before it (so CRLF and LF both work).
 *
 * @example
 * ```ts
 * const splitter = new LineSplitter(16_384, (line, n) => console.log(n, line));
 * socket.on('data', (chunk) => splitter.push(chunk));
 * socket.on('end', () => splitter.end());
 * ```
 */
export class LineSplitter {
  private chunks: Buffer[] = [];
  private pendingBytes = 0;
  private truncated = false;
  private count = 0;

  /**
   * @param maxLineBytes - longest line kept, in bytes, excluding the LF and a CR before it.
   * @param onLine - called once per line, in order.
   * @throws RangeError when `maxLineBytes` is not a positive integer.
   */
  constructor(
    readonly maxLineBytes: number,
    private readonly onLine: LineHandler,
  ) {
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) {
      throw new RangeError(`maxLineBytes must be a positive integer (got ${maxLineBytes})`);
    }
  }

  /** Lines delivered so far (the number of the last line). */
  get lines(): number {
    return this.count;
  }

  /** Bytes of the unfinished line held in memory; never more than `maxLineBytes + 1`. */
  get buffered(): number {
    return this.pendingBytes;
  }

  /** Feeds a chunk; calls the handler for every line it completes. */
  push(chunk: Buffer | string): void {
    const data = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let start = 0;
    while (start < data.length) {
      const lf = data.indexOf(0x0a, start);
      if (lf === -1) {
        this.keep(data, start, data.length);
        return;
      }
      this.keep(data, start, lf);
      this.emit();
      start = lf + 1;
    }
  }

  /** Delivers a final line that had no LF (end of stream), if any. */
  end(): void {
    if (this.pendingBytes > 0 || this.truncated) this.emit();
  }

  // Keeps bytes [from, to) of data, up to the bound (+1 so that a CR right at the bound,
  // which belongs to a CRLF, does not count as overflow).
  private keep(data: Buffer, from: number, to: number): void {
    const room = this.maxLineBytes + 1 - this.pendingBytes;
    const take = Math.min(room, to - from);
    if (take < to - from) this.truncated = true;
    if (take <= 0) return;
    // Copy: a view would keep the whole (possibly 64 KiB) chunk alive for a few bytes.
    this.chunks.push(Buffer.from(data.subarray(from, from + take)));
    this.pendingBytes += take;
  }

  private emit(): void {
    let line = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.pendingBytes);
    let truncated = this.truncated;
    this.chunks = [];
    this.pendingBytes = 0;
    this.truncated = false;
    if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
    if (line.length > this.maxLineBytes) {
      // Only reachable when the extra byte kept was not the CR of a CRLF.
      line = line.subarray(0, this.maxLineBytes);
      truncated = true;
    }
    this.count += 1;
    this.onLine(line.toString('utf8'), this.count, truncated);
  }
}
