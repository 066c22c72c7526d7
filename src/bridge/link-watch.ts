/**
 * Follows one connection's state through its events and turns it into the bridge's
 * `'disconnect'`/`'reconnect'` events, with a reason. A connection is anything with a
 * `status` and `ready`/`close`/`end`/`error` events: an ioredis client as it is, a NATS
 * connection or a Redis Cluster's sharded subscribers through a small adapter.
 *
 * @module
 */
import type { ConnectionRole, DisconnectInfo, DisconnectReason, ReconnectInfo } from './events.js';

/**
 * The events a bridge follows on a connection, with ioredis's names:
 *
 * - `ready`: connected and usable (again);
 * - `close`: the connection closed (the client may reconnect);
 * - `end`: it closed for good: no more reconnects;
 * - `error`: a connection or protocol error.
 */
export interface LinkEvents {
  ready: [];
  close: [];
  end: [];
  error: [error: Error];
}

/** What a bridge needs of any connection it watches: its state and its events. */
export interface BridgeLink {
  /**
   * The connection state with ioredis's values; the bridges only ask whether it is
   * `'ready'` (connected and usable). An adapter returns `'ready'` or anything else.
   */
  readonly status: string;
  /** Adds a listener (ioredis is a Node `EventEmitter`). */
  on<E extends keyof LinkEvents>(event: E, listener: (...args: LinkEvents[E]) => void): unknown;
  /** Removes a listener added with `on`. */
  off<E extends keyof LinkEvents>(event: E, listener: (...args: LinkEvents[E]) => void): unknown;
}

/** What a {@link LinkWatch} tells its bridge. */
export interface WatchHooks {
  /** The connection closed: called at once, before `down` is decided (what it held on the server is gone). */
  closed(): void;
  /** The connection went down (reported once per outage). */
  down(info: DisconnectInfo): void;
  /** The connection is ready: `reconnected` is set when it had been reported down. */
  ready(reconnected: ReconnectInfo | undefined): void;
  /** The client reported an error (a connection error, usually: it is recorded, not raised). */
  clientError(error: Error): void;
}

/**
 * How long a close waits for the other connection's verdict. When a server goes away every
 * connection to it closes within the same moment; when it cuts one client (Redis's output
 * buffer limit, CLIENT KILL) the others stay up.
 */
const KILL_CHECK_MS = 50;

/** A sentence for a `'disconnect'` event's `message`. */
function explain(engine: string, role: ConnectionRole, reason: DisconnectReason, witness: ConnectionRole | undefined): string {
  if (reason === 'killed') {
    return (
      `${engine} closed the ${role} connection while the ${witness ?? 'other'} connection stayed up: ` +
      'a subscriber too slow for client-output-buffer-limit, CLIENT KILL, or the timeout setting'
    );
  }
  if (reason === 'ended') return `the ${role} connection ended: its client will not reconnect`;
  return `the ${role} connection to ${engine} was lost; its client is reconnecting`;
}

/** The state of one of a bridge's connections. */
export class LinkWatch {
  /** Whether the connection is ready, as far as its events tell. */
  up: boolean;
  /** How many times it went down. */
  closes = 0;
  private witness: LinkWatch | undefined = undefined;
  private downSince = 0;
  private reported = false;
  private lastError: Error | undefined = undefined;
  private pending: { timer: NodeJS.Timeout; witnessCloses: number } | undefined = undefined;
  private readonly onReady = (): void => this.handleReady();
  private readonly onClose = (): void => this.handleClose(false);
  private readonly onEnd = (): void => this.handleClose(true);
  private readonly onError = (error: Error): void => {
    this.lastError = error;
    this.hooks.clientError(error);
  };

  /** @param engine the server's name in messages: `'Redis'`, `'NATS'`. */
  constructor(
    readonly engine: string,
    readonly role: ConnectionRole,
    readonly link: BridgeLink,
    private readonly hooks: WatchHooks,
    private readonly now: () => number,
  ) {
    this.up = link.status === 'ready';
    link.on('ready', this.onReady);
    link.on('close', this.onClose);
    link.on('end', this.onEnd);
    link.on('error', this.onError);
  }

  /** The connection whose state tells a killed connection from a lost server. */
  watchWith(witness: LinkWatch): void {
    this.witness = witness;
  }

  /** Stops listening (pending reports are dropped). */
  detach(): void {
    this.link.off('ready', this.onReady);
    this.link.off('close', this.onClose);
    this.link.off('end', this.onEnd);
    this.link.off('error', this.onError);
    if (this.pending !== undefined) clearTimeout(this.pending.timer);
    this.pending = undefined;
  }

  private handleReady(): void {
    if (this.pending !== undefined) this.decide();
    this.up = true;
    this.lastError = undefined;
    const reconnected = this.reported;
    this.reported = false;
    this.hooks.ready(reconnected ? { connection: this.role, downMs: this.now() - this.downSince } : undefined);
  }

  private handleClose(ended: boolean): void {
    if (this.up) {
      this.up = false;
      this.closes++;
      this.hooks.closed();
      this.downSince = this.now();
      if (ended) {
        this.report('ended');
        return;
      }
      const witness = this.witness;
      if (witness === undefined) {
        this.report('lost');
        return;
      }
      const timer = setTimeout(() => this.decide(), KILL_CHECK_MS);
      timer.unref();
      this.pending = { timer, witnessCloses: witness.closes };
      return;
    }
    // Already down: an 'end' after the close means the client gave up.
    if (ended && this.pending !== undefined) {
      clearTimeout(this.pending.timer);
      this.pending = undefined;
      this.report('ended');
    }
  }

  /** Settles a pending close: killed if the witness stayed up all along, else lost. */
  private decide(): void {
    const pending = this.pending;
    if (pending === undefined) return;
    clearTimeout(pending.timer);
    this.pending = undefined;
    const witness = this.witness;
    const killed = witness !== undefined && witness.up && witness.closes === pending.witnessCloses;
    this.report(killed ? 'killed' : 'lost');
  }

  private report(reason: DisconnectReason): void {
    this.reported = true;
    this.hooks.down({
      connection: this.role,
      reason,
      error: this.lastError,
      message: explain(this.engine, this.role, reason, this.witness?.role),
    });
  }
}
