/**
 * Several nodes, one Redis: with `--redis redis://host:port`, a `RedisBridge` is attached to
 * the broker, so every message a node publishes (log entries, chat, network state) reaches the
 * other nodes too. Redis also holds the nick claims (nick-claims.ts) and the shared join
 * backlog (a `RedisStreamBridge`, logs/stream-history.ts).
 *
 * Redis may be away — at start, or for a while later. The node keeps serving its own clients
 * meanwhile, says so once, then again every `noticeMs` until Redis is back, and on shutdown
 * lets go of its connections at once and says how many messages it could not send.
 *
 * @module
 */
import { Redis } from 'ioredis';
import type { PubSubBroker } from 'logcaster';
import { RedisBridge } from 'logcaster/redis';
import type { LogEntry } from '../logs/entry.js';
import { connectStreamHistory } from '../logs/stream-history.js';
import type { ClusterLink, LinkNickClaims } from './link.js';
import { RedisNickClaims } from './nick-claims.js';

/** Options of {@link connectRedis}. */
export interface RedisLinkOptions {
  /** Where to say what happens to the connection. @default nowhere */
  readonly log?: (line: string) => void;
  /** While Redis cannot be reached, how often to say so again, ms. Minimum: 100. @default 30000 */
  readonly noticeMs?: number;
  /** How long the start waits for Redis before going on without it, ms. @default 3000 */
  readonly startTimeoutMs?: number;
}

/** How long a QUIT may take on shutdown before the connection is dropped. */
const QUIT_TIMEOUT_MS = 500;

/** Retry forever, quickly at first: a log server outlives a Redis restart. */
const CLIENT_OPTIONS = { retryStrategy: (attempt: number) => Math.min(50 * attempt, 2000), maxRetriesPerRequest: null };

/** Lets go of `client` at once when Redis is away (a QUIT would wait for it forever), else after a QUIT. */
async function letGo(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([client.quit().catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, QUIT_TIMEOUT_MS)))]);
    clearTimeout(timer);
  }
  client.disconnect();
}

/**
 * Whether Redis can be reached, watched through the clients' events, and said once per change:
 * `unreachable`, then `still unreachable` every `noticeMs`, then `reachable again`.
 */
class Reachability {
  private downSince: number | undefined = undefined;
  private lastError = '';
  private timer: NodeJS.Timeout | undefined = undefined;
  private readonly listeners: (() => void)[] = [];
  /** Set by stop(): the node letting go of its connections is not an outage to report. */
  private stopped = false;

  constructor(
    private readonly url: string,
    private readonly clients: readonly Redis[],
    private readonly noticeMs: number,
    private readonly log: (line: string) => void,
    private readonly waiting: () => string,
  ) {
    for (const client of clients) {
      // For the client's whole life, closed or not: an ioredis client without an 'error'
      // listener prints "Unhandled error event" on every failed reconnect.
      client.on('error', (error: Error) => (this.lastError = error.message));
      client.on('close', () => this.check());
      client.on('ready', () => {
        if (this.downSince !== undefined) this.check();
      });
    }
  }

  get up(): boolean {
    return this.clients.every((client) => client.status === 'ready');
  }

  /** Resolves once every client is ready, or after `timeoutMs`. */
  whenUp(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        for (const client of this.clients) client.off('ready', onReady);
        resolve();
      };
      const onReady = (): void => {
        if (this.up) done();
      };
      const timer = setTimeout(done, timeoutMs);
      for (const client of this.clients) client.on('ready', onReady);
      onReady();
    });
  }

  /** Adds a listener called when Redis is back after an outage. */
  onBack(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Looks at the clients now and says what changed (called at start, on every close, and on a ready while down). */
  check(): void {
    if (this.stopped) return;
    if (this.up) {
      if (this.downSince === undefined) return;
      this.log(`redis: ${this.url} reachable again after ${this.seconds()} s`);
      this.downSince = undefined;
      clearInterval(this.timer);
      this.timer = undefined;
      for (const listener of this.listeners) listener();
      return;
    }
    if (this.downSince !== undefined) return;
    this.downSince = Date.now();
    this.log(`redis: ${this.url} unreachable${this.reason()}; serving this node's clients alone, retrying`);
    this.timer = setInterval(() => this.log(`redis: ${this.url} still unreachable after ${this.seconds()} s${this.reason()}; ${this.waiting()}`), this.noticeMs);
    this.timer.unref();
  }

  /** Stops watching; says whether Redis was away. */
  stop(): boolean {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    return this.downSince !== undefined || !this.up;
  }

  private seconds(): number {
    return Math.round((Date.now() - (this.downSince ?? Date.now())) / 1000);
  }

  private reason(): string {
    return this.lastError === '' ? '' : ` (${this.lastError})`;
  }
}

/**
 * Connects to Redis at `url` and bridges `broker` through it (Pub/Sub mode: live, at most
 * once). From then on plain `broker.publish` reaches every node. Resolves once Redis has
 * acknowledged the subscriptions the broker has, or after `startTimeoutMs` without Redis (a node
 * serves its own clients while Redis is down, and the bridge catches up when it is back).
 */
export async function connectRedis(url: string, broker: PubSubBroker<LogEntry>, options: RedisLinkOptions = {}): Promise<ClusterLink> {
  const log = options.log ?? (() => undefined);
  const noticeMs = options.noticeMs ?? 30_000;
  if (!Number.isInteger(noticeMs) || noticeMs < 100) throw new RangeError(`noticeMs must be an integer >= 100 (got ${String(noticeMs)})`);
  const publisher = new Redis(url, CLIENT_OPTIONS);
  const subscriber = new Redis(url, CLIENT_OPTIONS);
  const bridge = new RedisBridge(broker, { publisher, subscriber });
  const reach = new Reachability(url, [publisher, subscriber], noticeMs, log, () => {
    const { outboxPending, outboxDropped } = bridge.stats();
    return `${outboxPending} message${outboxPending === 1 ? '' : 's'} for the other nodes wait${outboxPending === 1 ? 's' : ''} in the outbox (${outboxDropped} dropped)`;
  });
  bridge.on('gap', ({ origin, missing }) => log(`redis: lost ${missing} messages from node ${origin}`));
  bridge.on('error', (error) => {
    // While Redis is away its errors are the outage, already said.
    if (reach.up) log(`redis: ${error instanceof Error ? error.message : String(error)}`);
  });
  const ready = (timeoutMs = 3000): Promise<boolean> =>
    bridge.ready({ timeoutMs }).then(
      () => true,
      () => false,
    );
  await reach.whenUp(options.startTimeoutMs ?? 3000);
  reach.check();

  let claims: RedisNickClaims | undefined;
  let history: { close(): Promise<{ unsent: number }> } | undefined;
  return {
    ready,
    get connected() {
      return reach.up;
    },
    onReconnect: (listener) => reach.onBack(listener),
    nickClaims: (node, ttlMs): LinkNickClaims => {
      claims ??= new RedisNickClaims({ redis: publisher, node, ttlMs, connected: () => publisher.status === 'ready' });
      return claims;
    },
    sharedHistory: (perChannel) => {
      const shared = connectStreamHistory(() => new Redis(url, { ...CLIENT_OPTIONS, maxRetriesPerRequest: 1 }), perChannel, log);
      history = shared;
      return shared;
    },
    stats: () => {
      const { gaps, missing, outboxPending, outboxDropped, reconnects, published, delivered } = bridge.stats();
      return { gaps, missing, outboxPending, outboxDropped, reconnects, published, delivered };
    },
    close: async () => {
      const away = reach.stop();
      await claims?.close();
      const before = bridge.stats();
      await bridge.close(); // drops what waits in the outbox
      const historyUnsent = (await history?.close())?.unsent ?? 0;
      await Promise.all([letGo(publisher), letGo(subscriber)]);
      // Sends Redis never answered fail when their connection is dropped: counted as send errors.
      await new Promise((resolve) => setImmediate(resolve));
      const unsent = before.outboxPending + (bridge.stats().sendErrors - before.sendErrors);
      if (away || unsent > 0 || historyUnsent > 0) {
        log(
          `redis: ${away ? `${url} unreachable at shutdown` : 'closing'}: ${unsent} message${unsent === 1 ? '' : 's'} for the other nodes (log entries, chat, network state) ` +
            `and ${historyUnsent} shared-history entr${historyUnsent === 1 ? 'y' : 'ies'} were not sent`,
        );
      }
    },
  };
}
