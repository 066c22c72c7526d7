/**
 * Whether the engine that joins the nodes can be reached, watched through its connections'
 * events and said once per change: `unreachable`, then `still unreachable` every `noticeMs`,
 * then `reachable again`. Every link (Redis, Redis Cluster, NATS) says it the same way, with
 * its own name in front.
 *
 * @module
 */

/**
 * A connection as {@link Reachability} watches it: ioredis's `Redis` and `Cluster` fit as they
 * are; a NATS connection fits through `NatsConnectionState` (nats-link.ts).
 */
export interface WatchedConnection {
  /** `'ready'` while usable (ioredis's value); anything else is away. */
  readonly status: string;
  on(event: 'ready' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'ready', listener: () => void): unknown;
}

/** Options of {@link Reachability}. */
export interface ReachabilityOptions {
  /** The engine's name at the start of every line: `redis`, `redis cluster`, `nats`. */
  readonly engine: string;
  /** Where it is, as the operator gave it (a URL, a list of nodes). */
  readonly where: string;
  /** The connections that must all be ready for the engine to count as reachable. */
  readonly connections: readonly WatchedConnection[];
  /** While away, how often to say so again, ms. */
  readonly noticeMs: number;
  readonly log: (line: string) => void;
  /** What waits meanwhile, said with every `still unreachable`. */
  readonly waiting: () => string;
}

/** Watches the engine's connections and says when it goes away and comes back. */
export class Reachability {
  private downSince: number | undefined = undefined;
  private lastError = '';
  private timer: NodeJS.Timeout | undefined = undefined;
  private started = false;
  private readonly listeners: (() => void)[] = [];
  private readonly options: ReachabilityOptions;

  constructor(options: ReachabilityOptions) {
    this.options = options;
    for (const connection of options.connections) {
      // For the connection's whole life, closed or not: an ioredis client without an 'error'
      // listener prints "Unhandled error event" on every failed reconnect.
      connection.on('error', (error: Error) => (this.lastError = error.message));
      connection.on('close', () => this.check());
      connection.on('ready', () => {
        if (this.downSince !== undefined) this.check();
      });
    }
  }

  get up(): boolean {
    return this.options.connections.every((connection) => connection.status === 'ready');
  }

  /** Resolves once every connection is ready, or after `timeoutMs`. */
  whenUp(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        for (const connection of this.options.connections) connection.off('ready', onReady);
        resolve();
      };
      const onReady = (): void => {
        if (this.up) done();
      };
      const timer = setTimeout(done, timeoutMs);
      for (const connection of this.options.connections) connection.on('ready', onReady);
      onReady();
    });
  }

  /** Adds a listener called when the engine is back after an outage. */
  onBack(listener: () => void): void {
    this.listeners.push(listener);
  }

  /**
   * Starts saying what changes: looks at the connections now (after the start has waited for
   * them), then at every close and at a ready while down. A close during the start's wait is
   * not an outage yet: a client that fails its first attempt and connects at its second would
   * otherwise be reported unreachable, then reachable again, in the first second of a node.
   */
  start(): void {
    this.started = true;
    this.check();
  }

  /** Stops watching; says whether the engine was away. */
  stop(): boolean {
    this.started = false;
    clearInterval(this.timer);
    this.timer = undefined;
    return this.downSince !== undefined || !this.up;
  }

  private check(): void {
    if (!this.started) return;
    const { engine, where, noticeMs, log, waiting } = this.options;
    if (this.up) {
      if (this.downSince === undefined) return;
      log(`${engine}: ${where} reachable again after ${this.seconds()} s`);
      this.downSince = undefined;
      clearInterval(this.timer);
      this.timer = undefined;
      for (const listener of this.listeners) listener();
      return;
    }
    if (this.downSince !== undefined) return;
    this.downSince = Date.now();
    log(`${engine}: ${where} unreachable${this.reason()}; serving this node's clients alone, retrying`);
    this.timer = setInterval(() => log(`${engine}: ${where} still unreachable after ${this.seconds()} s${this.reason()}; ${waiting()}`), noticeMs);
    this.timer.unref();
  }

  private seconds(): number {
    return Math.round((Date.now() - (this.downSince ?? Date.now())) / 1000);
  }

  private reason(): string {
    return this.lastError === '' ? '' : ` (${this.lastError})`;
  }
}
