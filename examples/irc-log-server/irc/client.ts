/**
 * One IRC connection: its state, and the lines going out to it. Bytes coming in (framing,
 * RecvQ, flood control) are in `framer.ts`; what the commands mean lives in `commands/`.
 *
 * Out: a log line reaches this file as an {@link OutLine} (bytes shared by every member of
 * the channel, and a drop priority) through {@link Client.enqueue}:
 *
 * - a client with nothing pending (nothing queued, nothing in its socket's buffer, the server
 *   not under load) gets the line written at once;
 * - otherwise, while the socket takes bytes, the line joins this event-loop turn's lines (a
 *   plain array, at most 64 KiB); the {@link FlushScheduler} flushes every client with output
 *   once per turn, the turn's lines joined into one buffer and one `write()`;
 * - only lines the socket cannot take now (it is blocked, or the turn's share is full) wait in
 *   the SendQ, a `BoundedQueue` bounded in bytes with the `drop-lowest-priority` policy, opened
 *   the first time a line has to wait. Over the soft bound the lowest-priority lines are
 *   dropped (TRACE, DEBUG, INFO first); protocol replies and ERROR-and-above log lines are
 *   protected; past the hard bound, which only protected lines reach, the client is
 *   disconnected with `SendQ exceeded`. A write that returns `false` parks the client until
 *   `'drain'`.
 *
 * @module
 */
import type { Socket } from 'node:net';
import type { BoundedQueue, TokenBucket } from 'logcaster';
import { RecvQueue, TOO_LONG, type InboundLine } from './framer.js';
import { formatMessage, parseMessage, type IrcMessage, type OutboundMessage } from './message.js';

/** A line ready for the socket, shared by every client that receives it. */
export interface OutLine {
  /** The encoded line, CRLF included. */
  readonly bytes: Buffer;
  /** Drop priority: higher is kept longer; >= {@link PROTECTED_PRIORITY} is never dropped. */
  readonly priority: number;
}

/**
 * Lines with this priority or more are never dropped from a SendQ. Priorities share the log
 * levels' scale (TRACE 0 … FATAL 7, see `logs/level.ts`; a test keeps the two in step), so
 * ERROR-and-above log lines and protocol replies are protected.
 */
export const PROTECTED_PRIORITY = 5;
/** Priority of protocol replies (numerics, PONG, JOIN echoes): protected. */
export const REPLY_PRIORITY = 100;
/** Priority of chat relayed between users: as WARNING, kept over TRACE–NOTICE log lines, droppable. */
export const CHAT_PRIORITY = 4;

/** What a {@link Client} tells its server. */
export interface ClientHooks {
  /** A parsed line arrived (flood control already applied). */
  message(client: Client, message: IrcMessage): void;
  /** The client starts closing: take it out of nick tables and channels now. Called once. */
  left(client: Client, reason: string): void;
  /** The socket is closed; release what is left. Called once, after `left`. */
  gone(client: Client): void;
}

/** Everything a {@link Client} needs, given by the server. */
export interface ClientOptions {
  /** Unique key, also the SendQ's key in the `BackpressureManager`. */
  id: string;
  socket: Socket;
  /** The peer's address as shown to others (`nick!user@host`). */
  host: string;
  /** The server's name, the source of replies. */
  serverName: string;
  /**
   * Opens this client's SendQ; called the first time a line has to wait (most clients never
   * fall behind, and a SendQ with its byte and priority bookkeeping costs ~1 KB). Given the
   * client's `id`, so one function serves every client (no closure per client).
   */
  openSendQ: (id: string) => BoundedQueue<OutLine>;
  /** This client's inbound flood budget, one token per line. */
  flood: TokenBucket;
  /** RecvQ bound, bytes. */
  recvQBytes: number;
  /** How long a closing client may take to flush before its socket is destroyed, ms. */
  closeGraceMs: number;
  scheduler: WriteScheduler;
  now: () => number;
  hooks: ClientHooks;
}

/** The quit reason of a client dropped for a full SendQ. */
export const SENDQ_EXCEEDED = 'SendQ exceeded';
/** How long a SendQ-dropped client's socket may take to write its ERROR line, ms. */
export const SENDQ_ERROR_GRACE_MS = 30_000;

// Lines joined per write at most: large enough for any burst one turn brings, small enough
// that a slow reader's lines stay in the SendQ, where the drop policy applies.
const MAX_BATCH_BYTES = 64 * 1024;

// The members of a channel usually get the very same lines in a turn (tagged or plain): the
// last two joins are kept, so a turn's lines are copied once per variant, not once per client.
// Bounded: two turns' worth of lines at most.
const recentJoins: { parts: Buffer[]; joined: Buffer }[] = [];

function sameParts(a: Buffer[], b: Buffer[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `Buffer.concat(parts, total)`, shared with the previous client that got the same lines. */
function joinLines(parts: Buffer[], total: number): Buffer {
  for (let i = 0; i < recentJoins.length; i++) {
    if (sameParts(recentJoins[i].parts, parts)) return recentJoins[i].joined;
  }
  const joined = Buffer.concat(parts, total);
  if (recentJoins.length === 2) recentJoins.shift();
  // A copy: the caller empties and reuses its array.
  recentJoins.push({ parts: parts.slice(), joined });
  return joined;
}

/** Takes the oldest lines out of `queue`, up to {@link MAX_BATCH_BYTES}, as one buffer. */
function takeBatch(queue: BoundedQueue<OutLine>): Buffer {
  const first = (queue.shift() as OutLine).bytes;
  if (queue.length === 0) return first;
  const parts = [first];
  let total = first.length;
  while (total < MAX_BATCH_BYTES && queue.length > 0) {
    const bytes = (queue.shift() as OutLine).bytes;
    parts.push(bytes);
    total += bytes.length;
  }
  return Buffer.concat(parts, total);
}

/** What the scheduler flushes: a client, seen only through these two members. */
export interface Flushable {
  /** Set while the client waits in the scheduler's list. */
  flushQueued: boolean;
  /**
   * Writes what the client has queued.
   *
   * @returns how many lines it wrote.
   */
  flush(): number;
}

/** What a client asks of its scheduler (a {@link FlushScheduler}, or a fake in tests). */
export interface WriteScheduler {
  /** Flushes `client` at the end of this turn (once, however often it is called). */
  schedule(client: Flushable): void;
  /** True while lines arrive faster than one per client per turn: queue them, do not write at once. */
  readonly coalescing: boolean;
}

/**
 * Runs `Client.flush` for every client that got output, once per event-loop turn, so that
 * many lines published in one turn cost each client one write.
 *
 * It notices load from what it flushes: when a turn left a client more than one line to
 * write, the next lines are all queued and flushed `coalesceMs` later, so a stream of lines
 * costs each client one write per window instead of one per line; once a flush carries at
 * most one line per client again, lines go out at once again. Low rates therefore never wait
 * for a batch meant for high rates.
 */
export class FlushScheduler implements WriteScheduler {
  /** How long lines wait under load, ms. */
  readonly coalesceMs: number;
  private dirty: Flushable[] = [];
  private pending = false;
  private loaded = false;
  private readonly run = (): void => {
    this.pending = false;
    const batch = this.dirty;
    this.dirty = [];
    let most = 0;
    for (let i = 0; i < batch.length; i++) {
      batch[i].flushQueued = false;
      const written = batch[i].flush();
      if (written > most) most = written;
    }
    // Enter coalescing when a line had to wait for this flush (more than one line in a turn);
    // leave it once a turn brings no client more than one line.
    this.loaded = this.loaded ? most > 1 : most > 0;
  };

  /**
   * @param coalesceMs - under load, how long lines wait to share a write (0: until the end of
   *   the turn only). Range: [0, 100]. @default 2
   * @throws RangeError for a value outside the range.
   */
  constructor(coalesceMs = 2) {
    if (!(coalesceMs >= 0 && coalesceMs <= 100)) throw new RangeError(`coalesceMs must be in [0, 100] (got ${String(coalesceMs)})`);
    this.coalesceMs = coalesceMs;
  }

  /** True while lines arrive faster than one per client per turn. */
  get coalescing(): boolean {
    return this.loaded;
  }

  /** Flushes `client` at the end of this turn (once, however often it is called). */
  schedule(client: Flushable): void {
    if (client.flushQueued) return;
    client.flushQueued = true;
    this.dirty.push(client);
    if (!this.pending) {
      this.pending = true;
      // Not unref()ed: an unref()ed immediate or timer lets the event loop block in its poll
      // phase, so the flush would wait for the next unrelated I/O. It runs once, holds nothing.
      if (this.loaded && this.coalesceMs > 0) setTimeout(this.run, this.coalesceMs);
      else setImmediate(this.run);
    }
  }
}

/** The capabilities a client negotiated, with `server-time` kept as a flag: it is read once per line. */
export class CapabilitySet extends Set<string> {
  /** Whether `server-time` is in the set. */
  serverTime = false;

  override add(name: string): this {
    if (name === 'server-time') this.serverTime = true;
    return super.add(name);
  }

  override delete(name: string): boolean {
    if (name === 'server-time') this.serverTime = false;
    return super.delete(name);
  }

  override clear(): void {
    this.serverTime = false;
    super.clear();
  }
}

// Each socket's client, for the socket listeners every client shares.
const owners = new WeakMap<Socket, Client>();

// What `Client.caps` shows until a client negotiates: one empty set shared by all of them.
const NO_CAPS: ReadonlySet<string> = new Set<string>();

/** Where a connection is in its life. */
export type ClientState = 'open' | 'closing' | 'closed';

/**
 * One IRC connection. The registration fields (`nick`, `user`, …) are set by the command
 * handlers; the class itself only moves bytes and keeps its bounds.
 */
export class Client {
  /** Unique key of this connection. */
  readonly id: string;
  /** Shown host: the peer address. */
  readonly host: string;
  /** When the connection was accepted (ms). */
  readonly connectedAt: number;
  /** Nick, once NICK was accepted (reserved even before registration). */
  nick: string | undefined = undefined;
  /** User name from USER (sanitised). */
  user: string | undefined = undefined;
  /** Real name from USER (sanitised). */
  realname = '';
  /** The password given with PASS, checked when registration completes. */
  password: string | undefined = undefined;
  /** Whether 001 has been sent. */
  registered = false;
  /** True between `CAP LS`/`CAP REQ` and `CAP END` before registration. */
  capNegotiating = false;
  /** Capabilities acknowledged with `CAP ACK` (read-only: {@link Client.negotiatedCaps} changes them). */
  get caps(): ReadonlySet<string> {
    return this.capSet ?? NO_CAPS;
  }
  /** The set `CAP REQ` changes, created on first use: most clients never negotiate any. */
  get negotiatedCaps(): CapabilitySet {
    return (this.capSet ??= new CapabilitySet());
  }
  /** User mode `+i` (kept for clients that set it; it changes nothing here). */
  invisible = false;
  /** AWAY message, if set. */
  away: string | undefined = undefined;
  /** Channel keys (folded names) this client is on. */
  readonly channels = new Set<string>();
  /** Last time anything arrived (ms). */
  lastActivity: number;
  /** When the unanswered PING was sent, if any. */
  pingSentAt: number | undefined = undefined;
  /** @internal set by {@link FlushScheduler} */
  flushQueued = false;

  private capSet: CapabilitySet | undefined = undefined;
  private readonly socket: Socket;
  private readonly serverName: string;
  /** Opened on first use (see {@link ClientOptions.openSendQ}). */
  private sendQ: BoundedQueue<OutLine> | undefined = undefined;
  private readonly openSendQ: (id: string) => BoundedQueue<OutLine>;
  private readonly closeGraceMs: number;
  private readonly scheduler: WriteScheduler;
  private readonly now: () => number;
  private readonly hooks: ClientHooks;
  private readonly input: RecvQueue;
  private closeTimer: NodeJS.Timeout | undefined = undefined;
  private blocked = false;
  // Lines of this turn, written together by the next flush (see the module comment).
  private turn: Buffer[] = [];
  private turnBytes = 0;
  private lifecycle: ClientState = 'open';
  private closeReason = '';

  constructor(options: ClientOptions) {
    this.id = options.id;
    this.socket = options.socket;
    this.host = options.host;
    this.serverName = options.serverName;
    this.openSendQ = options.openSendQ;
    this.closeGraceMs = options.closeGraceMs;
    this.scheduler = options.scheduler;
    this.now = options.now;
    this.hooks = options.hooks;
    this.connectedAt = this.now();
    this.lastActivity = this.connectedAt;
    const socket = this.socket;
    this.input = new RecvQueue(socket, options.flood, options.recvQBytes, (line) => this.handleLine(line));
    socket.setNoDelay(true);
    owners.set(socket, this);
    socket.on('data', Client.socketData);
    socket.on('drain', Client.socketDrain);
    socket.on('end', Client.socketEnd);
    socket.on('error', Client.socketError);
    socket.on('close', Client.socketClose);
  }

  /** Where the connection is in its life. */
  get state(): ClientState {
    return this.lifecycle;
  }

  /** Why it is closing or closed (empty while open). */
  get reason(): string {
    return this.closeReason;
  }

  /** Whether the client negotiated `server-time` (log lines then carry `@time=`). */
  get serverTime(): boolean {
    return this.capSet?.serverTime === true;
  }

  /** `nick!user@host`, the prefix of what this client sends to others. */
  get mask(): string {
    return `${this.nick ?? '*'}!${this.user ?? '*'}@${this.host}`;
  }

  /** Bytes waiting in the SendQ. */
  get sendQBytes(): number {
    return this.sendQ === undefined ? 0 : this.sendQ.bytes;
  }

  /**
   * Queues a shared line. Returns whether it was queued (a full SendQ may drop it; a closed
   * one always does).
   */
  enqueue(line: OutLine): boolean {
    if (this.lifecycle === 'closed') return false;
    if (this.writesAtOnce()) {
      if (!this.socket.write(line.bytes)) this.blocked = true;
      // Scheduled though nothing is queued: lines that follow in this turn wait for the flush
      // and share one write, instead of one write each.
      this.scheduler.schedule(this);
      return true;
    }
    // A non-empty turn implies an empty SendQ (lines go there only once the turn is full, or
    // while blocked or closing), so the SendQ is only looked at for a turn's first line.
    if (!this.blocked && this.lifecycle === 'open' && this.turnBytes < MAX_BATCH_BYTES && (this.turn.length > 0 || this.sendQ === undefined || this.sendQ.length === 0)) {
      this.turn.push(line.bytes);
      this.turnBytes += line.bytes.length;
      this.scheduler.schedule(this);
      return true;
    }
    const queued = this.queue().push(line);
    if (queued) this.scheduler.schedule(this);
    return queued;
  }

  /** Serialises and queues a message (protected unless `priority` says otherwise). */
  send(message: OutboundMessage, priority = REPLY_PRIORITY): boolean {
    return this.enqueue({ bytes: Buffer.from(formatMessage(message), 'utf8'), priority });
  }

  /** Queues a numeric reply from the server: `:<server> <numeric> <nick|*> <params…>`. */
  reply(numeric: string, ...params: string[]): boolean {
    return this.send({ source: this.serverName, command: numeric, params: [this.nick ?? '*', ...params] });
  }

  /** Queues a NOTICE from the server to this client. */
  notice(text: string): boolean {
    return this.send({ source: this.serverName, command: 'NOTICE', params: [this.nick ?? '*', text] });
  }

  /**
   * Writes as much of the SendQ as the socket takes, the queued lines joined into one buffer
   * per write (one system call, not one per line). Stops when `write()` returns `false` and
   * resumes on `'drain'`. Once the queue is empty, a client that lost lines gets one notice
   * saying how many; a closing client's socket is ended.
   *
   * @returns how many lines it wrote.
   */
  flush(): number {
    if (this.blocked || this.socket.destroyed || this.socket.writableEnded) return 0;
    const queue = this.sendQ;
    let written = 0;
    let writable = true;
    if (this.turn.length > 0) {
      // Older than anything in the SendQ: the SendQ only takes lines once the turn's share is full.
      written = this.turn.length;
      writable = this.socket.write(written === 1 ? this.turn[0] : joinLines(this.turn, this.turnBytes));
      // Emptied in place, not replaced: one array per client for its whole life, not one per turn.
      this.turn.length = 0;
      this.turnBytes = 0;
    }
    for (let round = 0; round < 2; round++) {
      while (writable && queue !== undefined && queue.length > 0) {
        written += queue.length;
        const bytes = takeBatch(queue);
        written -= queue.length;
        writable = this.socket.write(bytes);
      }
      if (!writable) {
        this.blocked = true;
        return written;
      }
      // Caught up. Tell the client what it missed, once per episode.
      const missed = this.lifecycle === 'open' && queue !== undefined ? queue.takeDropped() : 0;
      if (missed === 0) break;
      // Sent like any reply: at once, or with the next turn's lines.
      this.notice(`*** You missed ${missed} line${missed === 1 ? '' : 's'}: your connection fell behind and lower-priority log lines were dropped`);
    }
    if (this.lifecycle === 'closing' && (queue === undefined || queue.length === 0)) this.socket.end();
    return written;
  }

  /** The SendQ, opened now if this is the first line that has to wait. */
  private queue(): BoundedQueue<OutLine> {
    let queue = this.sendQ;
    if (queue === undefined) {
      queue = this.sendQ = this.openSendQ(this.id);
      // The server counts overflows through the BackpressureManager's 'overflow' event.
      queue.on('overflow', () => this.close(SENDQ_EXCEEDED, false));
    }
    return queue;
  }

  /** Idle: open, nothing queued or about to be flushed, nothing buffered in the socket, no load. */
  private writesAtOnce(): boolean {
    return (
      this.lifecycle === 'open' &&
      !this.flushQueued &&
      !this.blocked &&
      !this.scheduler.coalescing &&
      this.turn.length === 0 &&
      (this.sendQ === undefined || this.sendQ.length === 0) &&
      this.socket.writableLength === 0 &&
      !this.socket.destroyed
    );
  }

  /**
   * Closes the connection: `ERROR :Closing Link: <host> (<reason>)`, then end. With `flush`
   * (the default) lines already queued are written first, within the close grace period.
   * Idempotent.
   */
  close(reason: string, flush = true): void {
    if (this.lifecycle !== 'open') return;
    this.lifecycle = 'closing';
    this.closeReason = reason;
    this.input.stop();
    this.hooks.left(this, reason);
    const error = formatMessage({ command: 'ERROR', params: [`Closing Link: ${this.host} (${reason})`] });
    if (flush && this.sendQ?.closed !== true && !this.socket.destroyed) {
      this.queue().push({ bytes: Buffer.from(error, 'utf8'), priority: Number.MAX_SAFE_INTEGER });
      this.scheduler.schedule(this);
    } else if (!this.socket.destroyed) {
      // The queue is gone (overflow) or not worth waiting for: the ERROR goes straight out,
      // ahead of every line that was still queued (those are discarded).
      this.socket.end(error);
    }
    // A SendQ disconnect's ERROR still waits behind what the socket had already taken (the
    // kernel's buffer and at most one write batch): keep the socket until it is written, for
    // a bounded while, so a client that reads again learns why it was dropped. Destroying it
    // after the usual grace would discard the ERROR with the unwritten bytes.
    const grace = reason === SENDQ_EXCEEDED ? Math.max(this.closeGraceMs, SENDQ_ERROR_GRACE_MS) : this.closeGraceMs;
    this.closeTimer = setTimeout(() => this.socket.destroy(), grace);
    this.closeTimer.unref();
  }

  /** Closes the socket now, whatever is still queued (shutdown backstop). */
  destroy(): void {
    if (this.lifecycle === 'open') this.close('Connection closed', false);
    this.socket.destroy();
  }

  // The socket listeners, one set for every client (as closures they would cost ~300 B per
  // client); `this` is the socket, whose client `owners` knows.
  private static socketData(this: Socket, chunk: Buffer): void {
    owners.get(this)?.onData(chunk);
  }

  private static socketDrain(this: Socket): void {
    const client = owners.get(this);
    if (client === undefined) return;
    client.blocked = false;
    client.flush();
  }

  private static socketEnd(this: Socket): void {
    owners.get(this)?.close('Connection closed', false);
  }

  private static socketError(this: Socket, error: NodeJS.ErrnoException): void {
    // Reported as the quit reason others see, like any IRC server does; 'close' follows.
    owners.get(this)?.close(`Read error: ${error.code ?? error.message}`, false);
  }

  private static socketClose(this: Socket): void {
    owners.get(this)?.onSocketClose();
  }

  private onData(chunk: Buffer): void {
    if (this.lifecycle !== 'open') return;
    this.lastActivity = this.now();
    this.pingSentAt = undefined;
    this.input.push(chunk);
    if (this.lifecycle === 'open' && this.input.overLimit) this.close('Excess Flood', true);
  }

  private handleLine(line: InboundLine): void {
    if (line === TOO_LONG) {
      this.reply('417', 'Input line was too long');
      return;
    }
    // Invalid UTF-8 becomes U+FFFD here; nothing downstream sees raw bytes.
    const text = line.toString('utf8');
    const message = parseMessage(text);
    if (message === undefined) {
      const word = /^\s*(?:@\S*\s+)?(?::\S*\s+)?(\S*)/.exec(text)?.[1] ?? '';
      if (word !== '') this.reply('421', word.slice(0, 32), 'Unknown command');
      return;
    }
    this.hooks.message(this, message);
  }

  private onSocketClose(): void {
    if (this.lifecycle === 'open') this.close('Connection closed', false);
    if (this.lifecycle === 'closed') return;
    this.lifecycle = 'closed';
    if (this.closeTimer !== undefined) clearTimeout(this.closeTimer);
    this.sendQ?.close();
    this.hooks.gone(this);
  }
}
