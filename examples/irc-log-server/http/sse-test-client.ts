/**
 * A raw SSE client for the tests: one TCP socket, a hand-written HTTP/1.1 request, and a
 * parser that follows the WHATWG event-stream rules exactly (CRLF, LF and CR all end a line;
 * a blank line dispatches; `data` lines join with LF; `id`, `event` and `retry` set state).
 * Using the spec's parser, not a JSON split, is what makes the injection test meaningful:
 * whatever a browser would see as an extra event, this sees too.
 *
 * It can stop reading (`pause()`), to play a browser that does not keep up.
 *
 * @module
 */
import { connect, type Socket } from 'node:net';

/** One dispatched event, as `EventSource` would deliver it. */
export interface SseMessage {
  /** The event type (`message` when none was given). */
  type: string;
  data: string;
  /** The last event id at dispatch. */
  lastEventId: string;
}

/** A connected SSE stream. */
export class SseTestClient {
  /** Status code of the response. */
  status = 0;
  /** Response headers, lower-cased names. */
  headers: Record<string, string> = {};
  /** Every event so far. */
  readonly events: SseMessage[] = [];
  /** Every `retry:` value seen. */
  readonly retries: number[] = [];
  /** Raw body text (after the headers), its first megabyte. */
  body = '';
  readonly closed: Promise<void>;
  private head = '';
  private inBody = false;
  private chunked = false;
  private chunkBuffer = '';
  private lineBuffer = '';
  private pendingCR = false;
  private eventType = '';
  private data: string[] = [];
  private lastEventId = '';
  private waiters: { test: () => boolean; resolve: () => void }[] = [];

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => this.onData(text));
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => {
      this.check();
      resolve();
    }));
  }

  /** Opens `path` on 127.0.0.1:`port` with extra request headers, from `localAddress` (another 127.x address plays another host). */
  static open(port: number, path: string, headers: Record<string, string> = {}, localAddress = '127.0.0.1'): Promise<SseTestClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1', localAddress }, () => {
        const all: Record<string, string> = { Host: `127.0.0.1:${port}`, Accept: 'text/event-stream', ...headers };
        const lines = [`GET ${path} HTTP/1.1`];
        for (const [name, value] of Object.entries(all)) lines.push(`${name}: ${value}`);
        socket.write(`${lines.join('\r\n')}\r\n\r\n`);
        resolve(new SseTestClient(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Events of one type. */
  ofType(type: string): SseMessage[] {
    return this.events.filter((e) => e.type === type);
  }

  /** Resolves once `test()` holds (checked on every chunk), or rejects after `timeoutMs`. */
  until(test: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; ${this.events.length} events so far`)), timeoutMs);
      this.waiters.push({
        test,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  /** Stops reading: the kernel buffers fill and the server sees a slow browser. */
  pause(): void {
    this.socket.pause();
  }

  /** Reads again. */
  resume(): void {
    this.socket.resume();
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(text: string): void {
    if (!this.inBody) {
      this.head += text;
      const end = this.head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine, ...headerLines] = this.head.slice(0, end).split('\r\n');
      this.status = Number(statusLine.split(' ')[1]);
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        this.headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      this.chunked = this.headers['transfer-encoding'] === 'chunked';
      this.inBody = true;
      text = this.head.slice(end + 4);
      this.head = '';
    }
    if (this.chunked) text = this.dechunk(text);
    if (this.body.length < 1_000_000) this.body += text;
    this.parse(text);
    this.check();
  }

  // Chunk sizes are in bytes; the tests' bodies are ASCII-safe JSON except message text, so
  // decode on byte counts of UTF-8.
  private dechunk(text: string): string {
    this.chunkBuffer += text;
    let out = '';
    for (;;) {
      const crlf = this.chunkBuffer.indexOf('\r\n');
      if (crlf < 0) break;
      const size = parseInt(this.chunkBuffer.slice(0, crlf), 16);
      if (size === 0) {
        this.chunkBuffer = '';
        break;
      }
      const rest = Buffer.from(this.chunkBuffer.slice(crlf + 2), 'utf8');
      if (rest.length < size + 2) break;
      out += rest.subarray(0, size).toString('utf8');
      this.chunkBuffer = rest.subarray(size + 2).toString('utf8');
    }
    return out;
  }

  private parse(text: string): void {
    for (const ch of text) {
      if (this.pendingCR) {
        this.pendingCR = false;
        if (ch === '\n') continue; // CRLF
      }
      if (ch === '\r' || ch === '\n') {
        if (ch === '\r') this.pendingCR = true;
        this.line(this.lineBuffer);
        this.lineBuffer = '';
      } else {
        this.lineBuffer += ch;
      }
    }
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length > 0) {
        this.events.push({ type: this.eventType || 'message', data: this.data.join('\n'), lastEventId: this.lastEventId });
      }
      this.data = [];
      this.eventType = '';
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.eventType = value;
    else if (field === 'id' && !value.includes('\0')) this.lastEventId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retries.push(Number(value));
  }

  private check(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.test()) return true;
      w.resolve();
      return false;
    });
  }
}
