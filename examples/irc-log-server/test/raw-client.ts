/**
 * A raw-socket IRC client for the tests: send lines, wait for lines, and use PING as a
 * barrier ("everything the server sent before this PONG").
 */
import { connect, type Socket } from 'node:net';
import { parseMessage, type IrcMessage } from '../irc/message.js';

type Predicate = (line: string) => boolean;

interface Waiter {
  readonly match: Predicate;
  readonly resolve: (line: string) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

let tokens = 0;

export class RawClient {
  /** Every complete line received, without its line ending. */
  readonly lines: string[] = [];
  /** Resolves when the server closes the connection (or it fails). */
  readonly closed: Promise<void>;
  /** Bytes received. */
  receivedBytes = 0;
  private readonly socket: Socket;
  private cursor = 0;
  private partial = '';
  private waiters: Waiter[] = [];
  private ended = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.ended = true;
        for (const waiter of this.waiters) {
          clearTimeout(waiter.timer);
          waiter.reject(new Error(`connection closed; last lines: ${this.lines.slice(-5).join(' | ')}`));
        }
        this.waiters = [];
        resolve();
      });
    });
    socket.on('error', () => undefined); // 'close' follows and is what the tests look at
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1' }, () => {
        socket.off('error', reject);
        resolve(new RawClient(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Whether the connection has closed. */
  get isClosed(): boolean {
    return this.ended;
  }

  /** The underlying socket (to pause reading, for example). */
  get raw(): Socket {
    return this.socket;
  }

  /** Sends each line with CRLF. */
  send(...lines: string[]): void {
    this.socket.write(lines.map((line) => `${line}\r\n`).join(''));
  }

  /** Sends raw bytes. */
  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /**
   * The first line after the cursor that matches (waiting for it if needed); the cursor moves
   * past it.
   */
  waitFor(match: RegExp | Predicate, timeoutMs = 5000): Promise<string> {
    const predicate: Predicate = match instanceof RegExp ? (line) => match.test(line) : match;
    for (let i = this.cursor; i < this.lines.length; i++) {
      if (predicate(this.lines[i])) {
        this.cursor = i + 1;
        return Promise.resolve(this.lines[i]);
      }
    }
    this.cursor = this.lines.length;
    if (this.ended) return Promise.reject(new Error(`connection closed before ${String(match)}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        reject(new Error(`timed out waiting for ${String(match)}; last lines: ${this.lines.slice(-5).join(' | ')}`));
      }, timeoutMs);
      this.waiters.push({ match: predicate, resolve, reject, timer });
    });
  }

  /**
   * Sends `PING <token>` and waits for its PONG: returns every line received between the
   * cursor and the PONG (exclusive). The server answers in order, so this is a barrier.
   */
  async barrier(timeoutMs = 5000): Promise<string[]> {
    const token = `barrier-${++tokens}`;
    const from = this.cursor;
    this.send(`PING ${token}`);
    await this.waitFor((line) => / PONG \S+ :?barrier-\d+$/.test(line) && line.endsWith(token), timeoutMs);
    return this.lines.slice(from, this.cursor - 1);
  }

  /** Registers with NICK/USER (and CAP, PASS when given) and waits for the end of the MOTD. */
  async register(nick: string, options: { caps?: string[]; pass?: string } = {}): Promise<string[]> {
    const from = this.cursor;
    if (options.caps !== undefined) this.send('CAP LS 302');
    if (options.pass !== undefined) this.send(`PASS ${options.pass}`);
    this.send(`NICK ${nick}`, `USER ${nick} 0 * :Test ${nick}`);
    if (options.caps !== undefined) {
      if (options.caps.length > 0) {
        this.send(`CAP REQ :${options.caps.join(' ')}`);
        await this.waitFor(/ CAP \S+ ACK /);
      }
      this.send('CAP END');
    }
    await this.waitFor(/^:\S+ (376|422) /);
    return this.lines.slice(from, this.cursor);
  }

  /** Parsed form of a received line. */
  static parse(line: string): IrcMessage {
    const message = parseMessage(line);
    if (message === undefined) throw new Error(`unparsable line ${JSON.stringify(line)}`);
    return message;
  }

  /** Closes the socket (without QUIT) and waits until it is closed. */
  async close(): Promise<void> {
    this.socket.destroy();
    await this.closed;
  }

  private onData(chunk: string): void {
    this.receivedBytes += Buffer.byteLength(chunk, 'utf8');
    const parts = (this.partial + chunk).split('\r\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      this.lines.push(line);
      for (let w = 0; w < this.waiters.length; w++) {
        const waiter = this.waiters[w];
        if (!waiter.match(line)) continue;
        clearTimeout(waiter.timer);
        this.waiters.splice(w, 1);
        this.cursor = this.lines.length;
        waiter.resolve(line);
        break;
      }
    }
  }
}

/** Polls `condition` every few milliseconds until it holds (or fails after `timeoutMs`). */
export async function until(condition: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
