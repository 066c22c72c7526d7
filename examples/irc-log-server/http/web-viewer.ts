/**
 * The web viewer (`--http-port`): the same log channels as IRC, in a browser. A second door
 * to the same broker — each browser is one broker subscription with a bounded queue, exactly
 * like one IRC channel is — served with `node:http`:
 *
 * - `GET /` — the page (`page.html`, one self-contained file: HTML, CSS and JS, no build);
 * - `GET /events?channel=#logs-error` or `?pattern=logs/*\/ERROR` — Server-Sent Events: a
 *   `hello`, then an `entry` per log entry, and `skipped` where lines fell out of the queue
 *   (see viewer-connection.ts, and sse.ts for the framing);
 * - `GET /channels` — the channels the page offers; `GET /resolve?…` — checks a channel or
 *   pattern and says why it is wrong (an `EventSource` cannot read a 400's body).
 *
 * With a history (`--history N`, logs/history.ts) every `entry` event has an `id:` (the
 * history's per-process id, digits only). A fresh stream starts with the last `N` lines as
 * backlog (`hello.backlog` says how many); a browser reconnecting with `Last-Event-ID` (sent
 * by `EventSource` on its own, or `?lastEventId=` for a new `EventSource`) gets the lines it
 * missed that the history still holds, a `skipped` event for those it no longer holds, then
 * live lines, with no gap and no duplicate between them (viewer-connection.ts). Without a
 * history, every stream starts from now (`resumed: false`).
 *
 * Protected by the server's `--password` (viewer-auth.ts). Bound to 127.0.0.1 by default, and
 * then only answers requests addressed to a loopback name, so a web page elsewhere cannot
 * reach it through DNS rebinding.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PubSubBroker, Subscription } from 'logcaster';
import { FILTERED_CHANNELS, PATTERN_PREFIX, type FilteredChannelDefinition } from '../logs/log-channels.js';
import type { LogEntry } from '../logs/entry.js';
import type { LogHistory } from '../logs/history.js';
import type { PasswordGuard } from '../irc/password-guard.js';
import { nodeCrypto } from '../node-crypto.js';
import { BASIC_CHALLENGE, ViewerAuth } from './viewer-auth.js';
import { ViewerConnection, type ViewerCounters } from './viewer-connection.js';
import { ViewerTopicError, resolveViewerTopic, type ViewerTopic } from './viewer-topic.js';

/** Options of {@link startWebViewer}. */
export interface WebViewerOptions {
  /** Address to bind. Loopback unless you mean it. @default '127.0.0.1' */
  host?: string;
  /** Port; 0 picks a free one. */
  port: number;
  /** The broker whose entries are shown. */
  broker: PubSubBroker<LogEntry>;
  /** Password required (Basic, Bearer or `?token=`). @default undefined (none) */
  password?: string;
  /** Entries one viewer's queue holds before the oldest are dropped (and counted). Minimum: 1. @default 1000 */
  queueLines?: number;
  /** Open SSE streams at once; more get 503. Minimum: 1. @default 10000 */
  maxViewers?: number;
  /**
   * Open SSE streams from one address; more get 503, so one client cannot take every
   * `maxViewers` slot. Minimum: 1. @default 1000
   */
  maxStreamsPerAddress?: number;
  /**
   * How long a connection may take to send a request's headers (and the whole request) before
   * it is closed: slowloris sockets that trickle headers cannot pile up. Node checks about
   * once a second here. Minimum: 1000. @default 10000
   */
  headersTimeoutMs?: number;
  /**
   * Wrong passwords per address (irc/password-guard.ts; the server shares the IRC one): an
   * address out of attempts gets 429 before its password is looked at, until its next attempt
   * is due. A request with no password at all costs nothing (a browser's first visit).
   * @default undefined (wrong passwords only get 401)
   */
  guard?: PasswordGuard;
  /** How often idle streams get an SSE comment, ms. Minimum: 100. @default 15000 */
  heartbeatMs?: number;
  /** The channels offered. @default FILTERED_CHANNELS */
  channels?: readonly FilteredChannelDefinition[];
  /**
   * The history that gives entries their ids and answers backlog and resume; it must record
   * from the same `broker`, and be created before this viewer subscribes.
   * @default undefined (no ids: streams start from now)
   */
  history?: LogHistory;
}

/** Counters of a {@link WebViewer}. */
export interface WebViewerStats {
  /** Open SSE streams. */
  viewers: number;
  /** SSE streams opened since start. */
  viewersTotal: number;
  /** Entries written to viewers (an entry to n viewers counts n). */
  linesSent: number;
  /** Entries dropped from viewers' queues because they did not read fast enough. */
  linesSkipped: number;
  /** Entries written from the history (a fresh stream's backlog, a resume's missed lines). */
  linesReplayed: number;
  /** Streams that resumed from a `Last-Event-ID`. */
  resumes: number;
  /** Resumes that found lines the history no longer held (announced as `skipped`). */
  resumeGaps: number;
  /** Entries waiting in all viewers' queues now. */
  pending: number;
  /** Entries waiting in the fullest viewer queue now (never above `queueLines` + 1: the queue, and the line whose write waits for 'drain'). */
  maxPending: number;
  /** Requests refused for a missing or wrong password. */
  unauthorized: number;
  /** Streams refused because `maxViewers` were open, or `maxStreamsPerAddress` from one address. */
  refused: number;
  /** Requests refused with 429 because their address had used up its password attempts. */
  locked: number;
}

/** A running web viewer. */
export interface WebViewer {
  /** The port bound. */
  readonly port: number;
  /** The address bound. */
  readonly host: string;
  /** A snapshot of the counters. */
  stats(): WebViewerStats;
  /**
   * Ends every open stream but keeps serving: browsers reconnect by themselves (after the
   * `retry:` hint) and, with a history, resume where they stopped.
   *
   * @returns the number of streams ended.
   */
  endStreams(): number;
  /** Ends every stream and closes the port. Idempotent. */
  close(): Promise<void>;
}

const PAGE_FILE = new URL('./page.html', import.meta.url);

/**
 * The page, read now (a missing file fails the start, not the first visit), and its
 * Content-Security-Policy, computed on the first visit: its SHA-256 hashes would load
 * node:crypto (node-crypto.ts) in every server, browsers or not.
 */
class Page {
  readonly html = readFileSync(PAGE_FILE);
  private policy: string | undefined;

  /** The Content-Security-Policy header that allows exactly the page's inline script and style. */
  get csp(): string {
    return (this.policy ??= pagePolicy(this.html.toString('utf8')));
  }
}

function pagePolicy(html: string): string {
  const hashes = (tag: string): string => {
    const found: string[] = [];
    for (const match of html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))) {
      found.push(`'sha256-${nodeCrypto().createHash('sha256').update(match[1], 'utf8').digest('base64')}'`);
    }
    return found.join(' ');
  };
  return [
    "default-src 'none'",
    `script-src ${hashes('script')}`,
    `style-src ${hashes('style')}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const LOOPBACK_BIND = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

function hostName(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^(\[[^\]]*\]|[^:]*)(?::\d+)?$/.exec(header.trim().toLowerCase());
  return match?.[1];
}

// An id this server could have written: digits only, a safe integer.
const EVENT_ID = /^\d{1,16}$/;

/** The `Last-Event-ID` header, or `?lastEventId=` for a new `EventSource`; undefined unless it is an id. */
function lastEventIdOf(request: IncomingMessage, query: URLSearchParams): { raw: string | null; id: number | undefined } {
  const header = request.headers['last-event-id'];
  const raw = (typeof header === 'string' ? header : query.get('lastEventId'))?.trim() ?? null;
  if (raw === null || !EVENT_ID.test(raw)) return { raw: raw?.slice(0, 64) ?? null, id: undefined };
  const id = Number(raw);
  return { raw, id: Number.isSafeInteger(id) ? id : undefined };
}

function positiveInteger(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`${name} must be an integer >= ${min} (got ${String(value)})`);
  return value;
}

function plain(response: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers });
  response.end(`${text}\n`);
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

/** The viewer's counters, kept as it serves. */
type Counters = ViewerCounters & { viewersTotal: number; unauthorized: number; refused: number; locked: number; resumes: number; resumeGaps: number };

/** The options, checked and with their defaults. */
interface Settings {
  readonly host: string;
  readonly broker: PubSubBroker<LogEntry>;
  readonly history: LogHistory | undefined;
  readonly queueLines: number;
  readonly maxViewers: number;
  readonly maxStreamsPerAddress: number;
  readonly guard: PasswordGuard | undefined;
  readonly heartbeatMs: number;
  readonly channels: readonly FilteredChannelDefinition[];
}

/** What the viewer answers: one instance per running viewer, the HTTP server's handler. */
class ViewerRoutes {
  readonly counters: Counters = { linesSent: 0, linesSkipped: 0, linesReplayed: 0, resumes: 0, resumeGaps: 0, viewersTotal: 0, unauthorized: 0, refused: 0, locked: 0 };
  /** Open streams, by their broker subscription. */
  readonly connections = new Map<Subscription<LogEntry>, ViewerConnection>();
  /** Open streams per remote address. */
  private readonly perAddress = new Map<string, number>();
  private readonly auth: ViewerAuth;
  private readonly page = new Page();
  private readonly checkHost: boolean;
  private readonly idOf: ((entry: LogEntry) => number | undefined) | undefined;

  constructor(
    private readonly settings: Settings,
    password: string | undefined,
  ) {
    this.auth = new ViewerAuth(password);
    this.checkHost = LOOPBACK_BIND.test(settings.host);
    const { history } = settings;
    this.idOf = history === undefined ? undefined : (entry) => history.idOf(entry);
  }

  /** A broker drop: tell the stream whose queue lost entries. */
  readonly onDrop = (subscription: Subscription<LogEntry>, count: number, reason: string): void => {
    // 'closed' is the discard of a stream that ended: nobody is left to tell.
    if (reason !== 'closed') this.connections.get(subscription)?.dropped(count);
  };

  /** Answers one request. */
  handle(request: IncomingMessage, response: ServerResponse): void {
    if (this.checkHost) {
      const name = hostName(request.headers.host);
      if (name === undefined || !(LOOPBACK_NAMES.has(name) || name === this.settings.host)) {
        plain(response, 421, 'this viewer only answers requests addressed to 127.0.0.1 or localhost');
        return;
      }
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      plain(response, 405, 'only GET here', { allow: 'GET, HEAD' });
      return;
    }
    const url = new URL(request.url ?? '/', 'http://viewer.invalid');
    if (!this.authorised(request, response, url.searchParams)) return;
    switch (url.pathname) {
      case '/':
      case '/index.html':
        response.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'content-security-policy': this.page.csp,
          'cache-control': 'no-store',
          'referrer-policy': 'no-referrer',
          'x-content-type-options': 'nosniff',
        });
        response.end(request.method === 'HEAD' ? undefined : this.page.html);
        return;
      case '/channels':
        json(response, 200, {
          channels: this.settings.channels.map((c) => ({ name: c.name, topic: c.topic })),
          patternPrefix: PATTERN_PREFIX,
          passwordRequired: this.auth.required,
        });
        return;
      case '/resolve':
      case '/events':
        this.topicRequest(request, response, url);
        return;
      default:
        plain(response, 404, 'not found: try / (the page), /events?channel=%23logs-all, /channels');
    }
  }

  /**
   * The password check, slowed per address by the guard: a request that offers a wrong
   * password costs an attempt, and an address out of attempts gets 429 without its password
   * being looked at (so a right guess is not confirmed either). Answers the refusal itself.
   */
  private authorised(request: IncomingMessage, response: ServerResponse, query: URLSearchParams): boolean {
    if (!this.auth.required) return true;
    const { guard } = this.settings;
    const address = request.socket.remoteAddress ?? 'unknown';
    const offered = this.auth.offered(request, query);
    if (offered && guard !== undefined && !guard.allows(address)) {
      this.counters.locked++;
      plain(response, 429, 'too many wrong passwords from your address: try again later', { 'retry-after': String(Math.ceil(guard.retryMs / 1000)) });
      return false;
    }
    if (this.auth.allows(request, query)) return true;
    if (offered) guard?.failed(address);
    this.counters.unauthorized++;
    plain(response, 401, 'password required: log in, or open the page with ?token=<password>', { 'www-authenticate': BASIC_CHALLENGE });
    return false;
  }

  /** The viewer's counters now. */
  stats(): WebViewerStats {
    let pending = 0;
    let maxPending = 0;
    for (const subscription of this.connections.keys()) {
      pending += subscription.pending;
      if (subscription.pending > maxPending) maxPending = subscription.pending;
    }
    const { viewersTotal, linesSent, linesSkipped, linesReplayed, resumes, resumeGaps, unauthorized, refused, locked } = this.counters;
    return { viewers: this.connections.size, viewersTotal, linesSent, linesSkipped, linesReplayed, resumes, resumeGaps, pending, maxPending, unauthorized, refused, locked };
  }

  /** Ends every open stream; returns how many there were. */
  endStreams(): number {
    const open = [...this.connections.values()];
    for (const connection of open) connection.end();
    return open.length;
  }

  /** `/resolve` and `/events`: both name a channel or a pattern. */
  private topicRequest(request: IncomingMessage, response: ServerResponse, url: URL): void {
    let topic: ViewerTopic;
    try {
      topic = resolveViewerTopic(url.searchParams, this.settings.broker.syntax, this.settings.channels);
    } catch (error) {
      if (!(error instanceof ViewerTopicError)) throw error;
      if (url.pathname === '/resolve') json(response, 400, { error: error.message });
      else plain(response, 400, error.message);
      return;
    }
    if (url.pathname === '/resolve') json(response, 200, { pattern: topic.pattern, channel: topic.channel ?? null });
    else if (request.method === 'GET') this.openStream(request, response, topic, url.searchParams);
    else plain(response, 405, 'a stream needs GET', { allow: 'GET' });
  }

  private openStream(request: IncomingMessage, response: ServerResponse, topic: ViewerTopic, query: URLSearchParams): void {
    const { counters, connections } = this;
    const { broker, history, queueLines, maxViewers, heartbeatMs } = this.settings;
    if (connections.size >= maxViewers) {
      counters.refused++;
      plain(response, 503, `too many viewers (limit ${maxViewers})`, { 'retry-after': '10' });
      return;
    }
    const address = request.socket.remoteAddress ?? 'unknown';
    const fromHere = this.perAddress.get(address) ?? 0;
    if (fromHere >= this.settings.maxStreamsPerAddress) {
      counters.refused++;
      plain(response, 503, `too many streams from your address (limit ${this.settings.maxStreamsPerAddress})`, { 'retry-after': '10' });
      return;
    }
    this.perAddress.set(address, fromHere + 1);
    // A browser that reconnects sends the last `id:` it saw: resume after it from the history.
    // A fresh stream gets the last lines a channel join would replay, as backlog.
    const last = lastEventIdOf(request, query);
    const resumed = history !== undefined && last.id !== undefined;
    // A resume replays at most a queue's worth (older missed lines are announced as skipped),
    // so a burst of reconnecting browsers costs what their queues may hold anyway.
    const replay = history?.since(topic.pattern, last.id, resumed ? queueLines : history.perChannel);
    if (resumed) {
      counters.resumes++;
      if (replay?.lost !== 0) counters.resumeGaps++;
    }
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    request.socket.setNoDelay(true);
    counters.viewersTotal++;
    const hello = {
      pattern: topic.pattern,
      channel: topic.channel ?? null,
      queueLines,
      heartbeatMs,
      resumed,
      lastEventId: last.raw,
      backlog: replay?.entries.length ?? 0,
    };
    const connection = new ViewerConnection(response, hello, {
      broker,
      pattern: topic.pattern,
      queueLines,
      counters,
      onEnd: (ended) => {
        connections.delete(ended.subscription);
        const left = (this.perAddress.get(address) ?? 1) - 1;
        if (left === 0) this.perAddress.delete(address);
        else this.perAddress.set(address, left);
      },
      idOf: this.idOf,
      replay,
    });
    connections.set(connection.subscription, connection);
  }
}

/**
 * Starts the web viewer.
 *
 * @throws RangeError / TypeError for bad options; the listen error (rejected promise), e.g.
 *   `EADDRINUSE`.
 * @example
 * ```ts
 * const viewer = await startWebViewer({ port: 8080, broker: server.broker });
 * // open http://127.0.0.1:8080/  or  curl -N 'http://127.0.0.1:8080/events?channel=%23logs-error'
 * await viewer.close();
 * ```
 */
export async function startWebViewer(options: WebViewerOptions): Promise<WebViewer> {
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '') throw new TypeError(`host must be a non-empty string (got ${JSON.stringify(host)})`);
  const settings: Settings = {
    host,
    broker: options.broker,
    history: options.history,
    queueLines: positiveInteger('queueLines', options.queueLines, 1000, 1),
    maxViewers: positiveInteger('maxViewers', options.maxViewers, 10_000, 1),
    maxStreamsPerAddress: positiveInteger('maxStreamsPerAddress', options.maxStreamsPerAddress, 1000, 1),
    guard: options.guard,
    heartbeatMs: positiveInteger('heartbeatMs', options.heartbeatMs, 15_000, 100),
    channels: options.channels ?? FILTERED_CHANNELS,
  };
  const routes = new ViewerRoutes(settings, options.password);
  const { broker } = settings;
  broker.on('drop', routes.onDrop);

  const headersTimeout = positiveInteger('headersTimeoutMs', options.headersTimeoutMs, 10_000, 1000);
  // Node's defaults (60 s for headers, 300 s for a request, checked every 30 s) let slowloris
  // sockets that trickle a header byte now and then pile up for minutes. A stream's response
  // is not bounded by these: only the time the client takes to send its request.
  const http = createServer({ headersTimeout, requestTimeout: headersTimeout, connectionsCheckingInterval: 1000 }, (request, response) => {
    try {
      routes.handle(request, response);
    } catch (error) {
      console.error('irc-log-server: web viewer request failed:', error);
      if (!response.headersSent) plain(response, 500, 'internal error');
      else response.destroy();
    }
  });
  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(options.port, host, () => {
        http.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    broker.off('drop', routes.onDrop);
    throw error;
  }
  http.on('error', (error) => console.error('irc-log-server: web viewer error:', error));
  const heartbeat = setInterval(() => {
    for (const connection of routes.connections.values()) connection.heartbeat();
  }, settings.heartbeatMs);
  heartbeat.unref();

  let closing: Promise<void> | undefined;
  return {
    port: (http.address() as AddressInfo).port,
    host,
    stats: () => routes.stats(),
    endStreams: () => routes.endStreams(),
    close: () => {
      closing ??= (async () => {
        clearInterval(heartbeat);
        broker.off('drop', routes.onDrop);
        routes.endStreams();
        await new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}
