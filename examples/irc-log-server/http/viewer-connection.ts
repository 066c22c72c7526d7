/**
 * One browser watching: an SSE response fed by ONE broker subscription with a bounded queue.
 *
 * The queue is the library's (`subscribe(pattern, handler, { queue })`) with the
 * `'drop-oldest'` policy: a browser that reads slower than entries arrive keeps the newest
 * lines, and the server holds at most `queueLines` entries for it (entries are shared objects,
 * so that is pointers, not copies). The handler batches frames, written once per turn; once the
 * socket is full (`write()` returns `false`) the handler returns a promise that settles on
 * `'drain'`: the broker then stops calling it and the queue absorbs the difference.
 *
 * Why drop-oldest and not drop-newest: evictions always take the oldest queued lines, so the
 * lines lost sit exactly between the last line written and the next one the queue hands out.
 * The next write is preceded by a `skipped` event with their count, which the page shows as
 * "N lines skipped" at the very place they fell out.
 *
 * Resume (`Last-Event-ID`): the history's lines after the browser's last id are written right
 * after `hello`, in the same turn as the subscription is made. The subscription's queue hands
 * lines over on a later turn (never from inside `publish`), so every live line published
 * meanwhile waits in the queue behind the replay — held, as an IRC join's replay holds them —
 * and a line whose id was already written is not written again: no gap, no duplicate.
 *
 * @module
 */
import type { ServerResponse } from 'node:http';
import type { PubSubBroker, Subscription } from 'logcaster';
import type { LogEntry } from '../logs/entry.js';
import type { HistorySince } from '../logs/history.js';
import { SSE_RETRY_MS, entryFrame, sseComment, sseEvent } from './sse.js';

/** Counters every connection of one web viewer adds to. */
export interface ViewerCounters {
  /** Entries written to responses. */
  linesSent: number;
  /** Entries dropped from viewers' queues because the viewer was not reading fast enough. */
  linesSkipped: number;
  /** Entries written from the history (backlog and resume), also counted in `linesSent`. */
  linesReplayed: number;
}

/** Options of a {@link ViewerConnection}. */
export interface ViewerConnectionOptions {
  broker: PubSubBroker<LogEntry>;
  /** The broker pattern to subscribe to. */
  pattern: string;
  /** Queue bound in entries. */
  queueLines: number;
  counters: ViewerCounters;
  /** Called once when the connection ends, for whatever reason. */
  onEnd: (connection: ViewerConnection) => void;
  /** The history's id of an entry, written as the event's `id:`. @default none (no ids) */
  idOf?: (entry: LogEntry) => number | undefined;
  /** History lines to write before the live ones, and what was lost before them. @default none */
  replay?: HistorySince;
}

const HEARTBEAT = sseComment('keep-alive');

/** One SSE stream of log entries. */
export class ViewerConnection {
  /** The viewer's broker subscription (its `pending` is this viewer's queue length). */
  readonly subscription: Subscription<LogEntry>;
  readonly #response: ServerResponse;
  readonly #counters: ViewerCounters;
  readonly #onEnd: (connection: ViewerConnection) => void;
  /** Lines dropped from the queue and not yet announced to the browser. */
  #unannounced = 0;
  #skippedTotal = 0;
  #batch: Buffer[] = [];
  #flushQueued = false;
  /** Set while the socket is full, until 'drain'. */
  #blocked = false;
  #wake: (() => void) | undefined = undefined;
  #ended = false;
  readonly #idOf: ((entry: LogEntry) => number | undefined) | undefined;
  /** The id of the last entry written: a live line at or below it was replayed already. */
  #lastId = -1;

  /** Writes the `hello` event (and the retry hint) before the first entry. */
  constructor(response: ServerResponse, hello: Record<string, unknown>, options: ViewerConnectionOptions) {
    this.#response = response;
    this.#counters = options.counters;
    this.#onEnd = options.onEnd;
    this.#idOf = options.idOf;
    response.write(`retry: ${SSE_RETRY_MS}\n${sseEvent('hello', hello)}`);
    this.subscription = options.broker.subscribe(options.pattern, (entry) => this.#send(entry), {
      queue: { maxItems: options.queueLines, lowWaterItems: Math.floor(options.queueLines / 10), policy: 'drop-oldest' },
    });
    response.once('close', () => this.end());
    if (options.replay !== undefined) this.#replay(options.replay);
  }

  // Subscribed first, replayed second, in one turn: see the module comment.
  #replay({ entries, lost }: HistorySince): void {
    if (lost !== 0) this.#batch.push(Buffer.from(sseEvent('skipped', { count: lost, reason: 'history' }), 'utf8'));
    for (const { id, entry } of entries) {
      this.#batch.push(entryFrame(entry, id));
      this.#lastId = id;
    }
    this.#counters.linesSent += entries.length;
    this.#counters.linesReplayed += entries.length;
    this.#flush();
  }

  /** The broker's queue dropped `count` of this viewer's lines (policy drops, not the final discard). */
  dropped(count: number): void {
    this.#unannounced += count;
    this.#counters.linesSkipped += count;
  }

  /** Writes an SSE comment when the socket has room, so idle streams stay open through proxies. */
  heartbeat(): void {
    if (!this.#ended && !this.#blocked) this.#response.write(HEARTBEAT);
  }

  /** Ends the subscription and the response. Idempotent. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.subscription.unsubscribe();
    this.#release();
    if (!this.#response.writableEnded) this.#response.end();
    this.#onEnd(this);
  }

  // Writes what the handler batched during this turn as one chunk: the broker hands a queue's
  // lines over in batches, and one write per batch costs far less than one per line (each
  // `response.write` is a chunk of the chunked encoding and, uncorked, a system call).
  readonly #flush = (): void => {
    this.#flushQueued = false;
    const frames = this.#batch;
    this.#batch = [];
    if (this.#ended || frames.length === 0) return;
    if (!this.#response.write(frames.length === 1 ? frames[0] : Buffer.concat(frames))) {
      // The socket is full: the next handler call waits for 'drain', so the queue holds the rest.
      this.#blocked = true;
      this.#response.once('drain', this.#release);
    }
  };

  readonly #release = (): void => {
    this.#blocked = false;
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  };

  // The queued handler: at most one call at a time (concurrency 1), so a pending promise
  // holds the rest of the lines in the bounded queue.
  #send(entry: LogEntry): Promise<void> | undefined {
    if (this.#ended) return undefined;
    const id = this.#idOf?.(entry);
    if (id !== undefined) {
      if (id <= this.#lastId) return undefined;
      this.#lastId = id;
    }
    if (this.#unannounced > 0) {
      const count = this.#unannounced;
      this.#unannounced = 0;
      this.#skippedTotal += count;
      this.#batch.push(Buffer.from(sseEvent('skipped', { count, total: this.#skippedTotal }), 'utf8'));
    }
    this.#batch.push(entryFrame(entry, id));
    this.#counters.linesSent++;
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      process.nextTick(this.#flush);
    }
    if (!this.#blocked) return undefined;
    // At most one line past a full socket; the rest wait in the queue (and drop there).
    return new Promise<void>((resolve) => {
      this.#wake = resolve;
    });
  }
}
