/**
 * When lines go out: at once while the server is idle, coalesced once per event-loop turn
 * under load.
 *
 * A line for a client with nothing queued is written at once (see `Client.enqueue`) and the
 * client is scheduled, so that further lines in the same turn wait for the flush at the end
 * of the turn and share one write. The scheduler notices load from what it flushes: when a
 * turn left a client more than one line to write, the next lines are all queued and flushed
 * `coalesceMs` later, so a stream of lines costs each client one write per window instead of
 * one per line; once a flush carries at most one line per client again, lines go out at once
 * again. Low rates therefore never wait for a batch meant for high rates.
 *
 * @module
 */

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
 * Runs `Client.flush` for every client that got output, once per event-loop turn, so
 * that many lines published in one turn cost each client one write.
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
