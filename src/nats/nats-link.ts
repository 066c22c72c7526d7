/**
 * A NATS connection seen as a {@link BridgeLink}: its status events turned into the
 * `ready`/`close`/`end`/`error` events the bridges watch.
 *
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import type { BridgeLink, LinkEvents } from '../bridge/link-watch.js';
import type { NatsClient, NatsStatus } from './client.js';

/**
 * Follows `connection.status()`: `disconnect` → `close`, `reconnect` → `ready` (the client
 * has failed over, to the same server or another), `error` → `error`; `closed()` → `end`.
 */
export class NatsLink extends EventEmitter<LinkEvents> implements BridgeLink {
  /** `'ready'`, `'reconnecting'` (between a disconnect and a reconnect) or `'end'`. */
  status: 'ready' | 'reconnecting' | 'end';
  private readonly events: AsyncIterable<NatsStatus>;
  private stopped = false;

  constructor(connection: NatsClient) {
    super();
    this.status = connection.isClosed() ? 'end' : 'ready';
    this.events = connection.status();
    void this.follow();
    connection.closed().then(
      () => this.end(),
      () => this.end(),
    );
  }

  /** Stops following the connection. */
  stop(): void {
    this.stopped = true;
    const events = this.events as AsyncIterable<NatsStatus> & { stop?: () => void };
    // nats.js's iterator stops at once; a plain async iterator when it next yields.
    if (typeof events.stop === 'function') events.stop();
    this.removeAllListeners();
  }

  private async follow(): Promise<void> {
    for await (const event of this.events) {
      if (this.stopped) return;
      if (event.type === 'disconnect' && this.status === 'ready') {
        this.status = 'reconnecting';
        this.emit('close');
      } else if (event.type === 'reconnect' && this.status === 'reconnecting') {
        this.status = 'ready';
        this.emit('ready');
      } else if (event.type === 'error' && event.error !== undefined) {
        this.emit('error', event.error);
      }
    }
  }

  private end(): void {
    if (this.stopped || this.status === 'end') return;
    this.status = 'end';
    // Up until now: a disconnect reported as 'ended'. Reconnecting: the client gave up.
    this.emit('end');
  }
}
