/**
 * Coalesced writes: every client with output is flushed once per event-loop turn.
 *
 * @module
 */

/** What the scheduler flushes: a client, seen only through these two members. */
export interface Flushable {
  /** Set while the client waits in the scheduler's list. */
  flushQueued: boolean;
  /** Writes what the client has queued. */
  flush(): void;
}

/**
 * Runs `Client.flush` for every client that got output, once per event-loop turn, so
 * that many lines published in one turn cost each client one write.
 */
export class FlushScheduler {
  private dirty: Flushable[] = [];
  private pending = false;
  private readonly run = (): void => {
    this.pending = false;
    const batch = this.dirty;
    this.dirty = [];
    for (let i = 0; i < batch.length; i++) {
      batch[i].flushQueued = false;
      batch[i].flush();
    }
  };

  /** Flushes `client` at the end of this turn (once, however often it is called). */
  schedule(client: Flushable): void {
    if (client.flushQueued) return;
    client.flushQueued = true;
    this.dirty.push(client);
    if (!this.pending) {
      this.pending = true;
      // Not unref()ed: an unref()ed immediate lets the event loop block in its poll phase, so
      // the flush would wait for the next unrelated I/O. It runs once and holds nothing.
      setImmediate(this.run);
    }
  }
}
