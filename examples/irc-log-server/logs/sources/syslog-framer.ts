/**
 * Syslog over TCP has two framings (RFC 6587), and real senders use both on the same kind of
 * port: octet counting, `MSG-LEN SP SYSLOG-MSG` (`logger --octet-count`, rsyslog's
 * `omfwd` with `TCP_Framing="octet-counted"`), and newline framing, one message per line
 * (`logger --tcp` without it, syslog-ng's default, `nc`). A syslog message starts with `<PRI>`,
 * so a digit run, a space and `<` start an octet-counted message; anything else (`404 not
 * found` from `nc` included) runs to the next LF. The choice is made again for every message,
 * so a sender may even mix them.
 *
 * Memory is bounded like {@link LineSplitter}'s: a message longer than `maxLineBytes` is cut
 * there and delivered with `truncated: true`, the rest of its bytes are read and discarded.
 *
 * @module
 */
import { LineSplitter, type LineHandler } from './line-splitter.js';

// Longest MSG-LEN read as a count: 9 digits (RFC 6587 bounds nothing; no sender sends 1 GB).
const MAX_COUNT_DIGITS = 9;
const SPACE = 0x20;
const LESS_THAN = 0x3c;
const LF = 0x0a;
const CR = 0x0d;
const isDigit = (byte: number): boolean => byte >= 0x30 && byte <= 0x39;

/**
 * Splits a syslog TCP stream into messages, octet-counted or newline-framed.
 *
 * @example
 * ```ts
 * const framer = new SyslogFramer(16_384, (message) => console.log(message));
 * framer.push(Buffer.from('11 <13>1 - - -12 <13>1 - - - x\n<13>1 - - - y\n'));
 * ```
 */
export class SyslogFramer {
  private mode: 'start' | 'count' | 'counted' | 'octets' | 'line' = 'start';
  private digits = '';
  private remaining = 0;
  private chunks: Buffer[] = [];
  private kept = 0;
  private cut = false;
  private count = 0;
  private readonly lines: LineSplitter;

  /**
   * @param maxLineBytes - longest message kept, in bytes.
   * @param onMessage - called once per message, in order.
   * @throws RangeError when `maxLineBytes` is not a positive integer.
   */
  constructor(
    readonly maxLineBytes: number,
    private readonly onMessage: LineHandler,
  ) {
    this.lines = new LineSplitter(maxLineBytes, (text, _n, truncated) => this.deliver(text, truncated));
  }

  /** Messages delivered so far. */
  get messages(): number {
    return this.count;
  }

  /** Feeds a chunk; calls the handler for every message it completes. */
  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.mode === 'start') at = this.begin(chunk, at);
      else if (this.mode === 'count') at = this.readCount(chunk, at);
      else if (this.mode === 'counted') at = this.confirmCount(chunk, at);
      else if (this.mode === 'octets') at = this.readOctets(chunk, at);
      else at = this.readLine(chunk, at);
    }
  }

  /** Delivers an unfinished message (end of stream), if any; an incomplete octet-counted one is marked truncated. */
  end(): void {
    if (this.mode === 'count') this.lines.push(this.digits);
    if (this.mode === 'counted') this.lines.push(`${this.digits} `);
    if (this.mode === 'octets') {
      this.cut = true;
      this.finishOctets();
    } else {
      this.lines.end();
    }
    this.mode = 'start';
  }

  // Between messages: skip stray line ends, then see whether a count follows.
  private begin(chunk: Buffer, at: number): number {
    const byte = chunk[at];
    if (byte === LF || byte === CR) return at + 1;
    this.mode = isDigit(byte) ? 'count' : 'line';
    this.digits = '';
    return at;
  }

  private readCount(chunk: Buffer, at: number): number {
    while (at < chunk.length && isDigit(chunk[at]) && this.digits.length < MAX_COUNT_DIGITS) {
      this.digits += String.fromCharCode(chunk[at]);
      at++;
    }
    if (at === chunk.length) return at; // the count may go on in the next chunk
    if (chunk[at] === SPACE && Number(this.digits) > 0) {
      this.mode = 'counted';
      return at + 1;
    }
    // Not a count after all ("404 page not found"): the digits start a newline-framed line.
    this.mode = 'line';
    this.lines.push(this.digits);
    return at;
  }

  // After "<digits> ": a syslog message follows only if it starts with "<".
  private confirmCount(chunk: Buffer, at: number): number {
    if (chunk[at] === LESS_THAN) {
      this.mode = 'octets';
      this.remaining = Number(this.digits);
    } else {
      this.mode = 'line';
      this.lines.push(`${this.digits} `);
    }
    return at;
  }

  private readOctets(chunk: Buffer, at: number): number {
    const take = Math.min(this.remaining, chunk.length - at);
    const room = Math.max(0, this.maxLineBytes - this.kept);
    if (take > room) this.cut = true;
    if (Math.min(take, room) > 0) {
      this.chunks.push(Buffer.from(chunk.subarray(at, at + Math.min(take, room))));
      this.kept += Math.min(take, room);
    }
    this.remaining -= take;
    if (this.remaining === 0) {
      this.finishOctets();
      this.mode = 'start';
    }
    return at + take;
  }

  private finishOctets(): void {
    let message = Buffer.concat(this.chunks, this.kept);
    // Some senders count the LF they add (rsyslog before 8.x did): it is not part of the text.
    while (message.length > 0 && (message[message.length - 1] === LF || message[message.length - 1] === CR)) message = message.subarray(0, -1);
    const cut = this.cut;
    this.chunks = [];
    this.kept = 0;
    this.cut = false;
    if (message.length > 0 || cut) this.deliver(message.toString('utf8'), cut);
  }

  private readLine(chunk: Buffer, at: number): number {
    const lf = chunk.indexOf(LF, at);
    if (lf === -1) {
      this.lines.push(chunk.subarray(at));
      return chunk.length;
    }
    this.lines.push(chunk.subarray(at, lf + 1));
    this.mode = 'start';
    return lf + 1;
  }

  private deliver(text: string, truncated: boolean): void {
    this.count += 1;
    this.onMessage(text, this.count, truncated);
  }
}
