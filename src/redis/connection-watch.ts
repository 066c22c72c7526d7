/**
 * Follows one Redis connection's state through its client's events and turns it into the
 * bridge's `'disconnect'`/`'reconnect'` events, with a reason.
 *
 * @module
 */
import type { RedisConnection } from './client.js';
import type { DisconnectInfo, DisconnectReason, ReconnectInfo, RedisConnectionRole } from './events.js';

/** What a {@link ConnectionWatch} tells its bridge. */
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
 * How long a close waits for the other connection's verdict. When Redis goes away every
 * connection closes within the same moment; when it cuts one client (output buffer limit,
 * CLIENT KILL) the others stay up.
 */
const KILL_CHECK_MS = 50;

const explain = (role: RedisConnectionRole, reason: DisconnectReason, witness: RedisConnectionRole | undefined): string => {
  if (reason === 'killed') {
    return (
      `Redis closed the ${role} connection while the ${witness ?? 'other'} connection stayed up: ` +
      'a subscriber too slow for client-output-buffer-limit, CLIENT KILL, or the timeout setting'
    );
  }
  if (reason === 'ended') return `the ${role} connection ended: its client will not reconnect`;
  return `the ${role} connection to Redis was lost; its client is reconnecting`;
};

/** The state of one of a bridge's connections. */
export class ConnectionWatch {
  /** Whether the connection is ready, as far as its events tell. */
  up: boolean;
  /** How many times it went down. */
  closes = 0;
  private witness: ConnectionWatch | undefined = undefined;
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

  constructor(
    readonly role: RedisConnectionRole,
    readonly client: RedisConnection,
    private readonly hooks: WatchHooks,
    private readonly now: () => number,
  ) {
    this.up = client.status === 'ready';
    client.on('ready', this.onReady);
    client.on('close', this.onClose);
    client.on('end', this.onEnd);
    client.on('error', this.onError);
  }

  /** The connection whose state tells a killed connection from a lost server. */
  watchWith(witness: ConnectionWatch): void {
    this.witness = witness;
  }

  /** Stops listening (pending reports are dropped). */
  detach(): void {
    this.client.off('ready', this.onReady);
    this.client.off('close', this.onClose);
    this.client.off('end', this.onEnd);
    this.client.off('error', this.onError);
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
      message: explain(this.role, reason, this.witness?.role),
    });
  }
}
