/**
 * `RedisStreamBridge`: brokers in several processes share their messages through Redis
 * Streams, so a node that was disconnected gets what it missed (up to a bound) and a late
 * joiner can read a topic's recent history.
 *
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import { parseTopic, type PubSubBroker } from 'logcaster';
import { ChannelInterest } from './channel-interest.js';
import { ChannelMap } from './channel-map.js';
import type { RedisCommandClient } from './client.js';
import { ConnectionWatch, type WatchHooks } from './connection-watch.js';
import { decodeEnvelope, EnvelopeError } from './envelope.js';
import type { RedisBridgeEvents, RedisBridgeStats, RedisConnectionRole } from './events.js';
import { checkClient, resolveBridgeOptions, type BridgeOptions } from './options.js';
import { Relay, UNDECODABLE } from './relay.js';
import { fieldValue, parseEntries, parseXRead } from './stream-reply.js';

/** Options of {@link RedisStreamBridge}. */
export interface RedisStreamBridgeOptions<T> extends BridgeOptions<T> {
  /**
   * The connection for XADD, history reads and the reader's wake-ups (an ioredis client).
   * Never closed by the bridge.
   */
  publisher: RedisCommandClient;
  /**
   * A connection of its own for the blocking XREAD loop (`publisher.duplicate()`): a
   * blocked connection can do nothing else. Never closed by the bridge.
   */
  reader: RedisCommandClient;
  /**
   * The bound of each stream: XADD trims it to about this many entries (`MAXLEN ~`). It is
   * also how far a reconnecting node can catch up, and how deep `history` can look. An
   * integer >= 1.
   * @default 10000
   */
  maxLen?: number;
  /**
   * How long one XREAD blocks, in milliseconds. It bounds how long `close()` can take when
   * the wake-up (CLIENT UNBLOCK) cannot be sent. An integer >= 1.
   * @default 1000
   */
  blockMs?: number;
  /**
   * The most entries one XREAD returns per stream. An integer >= 1.
   * @default 512
   */
  readCount?: number;
}

/** One message of a topic's history; see {@link RedisStreamBridge.history}. */
export interface HistoryEntry<T> {
  /** The stream entry id (`ms-seq`): its time and place in the stream. */
  id: string;
  /** The topic. */
  topic: string;
  /** The node that published it. */
  origin: string;
  /** The message. */
  message: T;
}

/** The field each stream entry keeps its envelope in. */
const FIELD = 'e';

/** Pause before retrying after a failed read while the reader is connected. */
const RETRY_MS = 100;

const checkCount = (field: string, value: unknown, fallback: number): number => {
  const resolved = value ?? fallback;
  if (typeof resolved !== 'number' || !Number.isSafeInteger(resolved) || resolved < 1) {
    throw new RangeError(`${field} must be an integer >= 1 (got ${String(resolved)})`);
  }
  return resolved;
};

/**
 * Shares a broker's messages with the brokers of other processes through Redis Streams:
 * the same API and events as {@link RedisBridge}, with replay.
 *
 * - `publish` appends to the stream of the topic's channel (`${prefix}:stream:${n}`, XADD
 *   with `MAXLEN ~ maxLen`). A node reads the streams its subscriptions need with a blocking
 *   XREAD loop on its own connection, always continuing from the last entry id it got: after
 *   a reconnect it reads what it missed, in order, as long as the stream still holds it.
 * - A stream is read from the moment a local subscription first needs it (what was already
 *   in it is not replayed; ask `history` for that).
 * - `history(topic, count)` returns the last `count` messages of a topic, oldest first: what
 *   a late joiner is shown.
 *
 * The guarantee: **no loss within the bound**. A node that falls further behind than
 * `maxLen` entries of a stream loses the oldest ones (reported as a `'gap'`). Delivery is
 * per sender in order; duplicates (a resent XADD) are dropped.
 *
 * @typeParam T - the message type.
 * @example
 * ```ts
 * const publisher = new Redis('redis://127.0.0.1:6379');
 * const bridge = new RedisStreamBridge(broker, { publisher, reader: publisher.duplicate(), maxLen: 50_000 });
 * const recent = await bridge.history('logs/api/ERROR', 20); // the last 20, oldest first
 * ```
 */
export class RedisStreamBridge<T> extends EventEmitter<RedisBridgeEvents> {
  /** This node's id. */
  readonly nodeId: string;
  /** How topics map to streams (`${prefix}:stream:${n}`). */
  readonly channelMap: ChannelMap;
  private readonly publisher: RedisCommandClient;
  private readonly reader: RedisCommandClient;
  private readonly maxLen: number;
  private readonly blockMs: number;
  private readonly readCount: number;
  private readonly relay: Relay<T>;
  private readonly interest: ChannelInterest<T>;
  private readonly keys: string[] = [];
  private readonly keyIndex = new Map<string, number>();
  /** Streams being read, with the id to read after. */
  private readonly cursors = new Map<number, string>();
  /** Streams needed whose starting id is not known yet. */
  private readonly unresolved = new Set<number>();
  private readonly publisherWatch: ConnectionWatch;
  private readonly readerWatch: ConnectionWatch;
  private readonly loop: Promise<void>;
  private settledWaiters: Array<() => void> = [];
  private scheduled = false;
  private isClosed = false;
  private closing: Promise<void> | undefined = undefined;
  private blocking = false;
  private readerId: string | undefined = undefined;
  private woken = false;
  private wakeUp: (() => void) | undefined = undefined;
  private sleepTimer: NodeJS.Timeout | undefined = undefined;
  private disconnects = 0;
  private reconnects = 0;
  private connectionErrors = 0;
  private readonly onCommandError = (error: unknown): void => {
    this.emit('error', error);
  };
  private readonly reconcileNow = (): void => this.reconcile();

  /**
   * @throws TypeError or RangeError for a bad option, naming it.
   */
  constructor(broker: PubSubBroker<T>, options: RedisStreamBridgeOptions<T>) {
    super();
    checkClient('publisher', options.publisher, ['callBuffer']);
    checkClient('reader', options.reader, ['callBuffer']);
    if (options.publisher === options.reader) {
      throw new TypeError('publisher and reader must be two connections (use publisher.duplicate())');
    }
    const resolved = resolveBridgeOptions(options);
    this.maxLen = checkCount('maxLen', options.maxLen, 10_000);
    this.blockMs = checkCount('blockMs', options.blockMs, 1000);
    this.readCount = checkCount('readCount', options.readCount, 512);
    this.channelMap = new ChannelMap(options);
    this.nodeId = resolved.nodeId;
    this.publisher = options.publisher;
    this.reader = options.reader;
    for (let i = 0; i < this.channelMap.channels; i++) {
      const key = `${this.channelMap.prefix}:stream:${i}`;
      this.keys.push(key);
      this.keyIndex.set(key, i);
    }
    this.relay = new Relay(broker, resolved, this.channelMap, this, {
      canSend: () => this.publisher.status === 'ready',
      send: (channel, data) =>
        this.publisher.callBuffer('XADD', this.keys[channel], 'MAXLEN', '~', this.maxLen, '*', FIELD, data),
      nameOf: (channel) => this.keys[channel],
    });
    this.publisherWatch = new ConnectionWatch('publisher', this.publisher, this.hooks('publisher'), resolved.now);
    this.readerWatch = new ConnectionWatch('reader', this.reader, this.hooks('reader'), resolved.now);
    this.publisherWatch.watchWith(this.readerWatch);
    this.readerWatch.watchWith(this.publisherWatch);
    this.interest = new ChannelInterest(broker, this.channelMap, () => this.schedule());
    this.interest.start();
    this.loop = this.run();
  }

  /** Whether {@link RedisStreamBridge.close} has been called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Delivers `message` to this node's subscribers and appends it to its stream for the
   * others. Never throws or waits because of Redis (see {@link RedisBridge.publish}).
   *
   * @returns how many local subscribers took it.
   * @throws `TopicError` for an invalid topic, `BrokerClosedError` for a closed broker, and
   * whatever the codec throws; nothing is delivered or sent.
   */
  publish(topic: string, message: T): number {
    return this.relay.publish(topic, message);
  }

  /**
   * Delivers `message` to this node's subscribers only (not recorded in any stream).
   *
   * @returns how many local subscribers took it.
   */
  publishLocal(topic: string, message: T): number {
    return this.relay.publishLocal(topic, message);
  }

  /**
   * The last `count` messages published on `topic` (exactly that topic, not a pattern) that
   * its stream still holds, oldest first. Reads on the publisher connection; the stream is
   * scanned from its newest entry back, at most `maxLen`-ish entries.
   *
   * @returns a promise that rejects with `TopicError` for an invalid topic, `RangeError` for
   * a bad count, or the client's error when Redis cannot be reached.
   */
  async history(topic: string, count: number): Promise<Array<HistoryEntry<T>>> {
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new RangeError(`count must be an integer >= 0 (got ${String(count)})`);
    }
    parseTopic(topic, this.channelMap.syntax);
    const found: Array<HistoryEntry<T>> = [];
    if (count === 0) return found;
    const key = this.keys[this.channelMap.channelOf(topic)];
    // Other topics share the stream: read pages of a useful size until enough match.
    const page = Math.min(1000, Math.max(100, count));
    let end = '+';
    for (;;) {
      const entries = parseEntries(await this.publisher.callBuffer('XREVRANGE', key, end, '-', 'COUNT', page));
      for (const entry of entries) {
        const data = fieldValue(entry, FIELD);
        if (data === undefined) continue;
        let envelope;
        try {
          envelope = decodeEnvelope(data);
        } catch (error) {
          this.relay.fail(error);
          continue;
        }
        if (envelope.topic !== topic) continue;
        const message = this.relay.decodePayload(envelope);
        if (message === UNDECODABLE) continue;
        found.push({ id: entry.id, topic, origin: envelope.origin, message });
        if (found.length === count) return found.reverse();
      }
      if (entries.length < page) return found.reverse();
      end = `(${entries[entries.length - 1].id}`;
    }
  }

  /**
   * Resolves once the reader knows where to start in every stream the current
   * subscriptions need: messages published from then on will be delivered. Never rejects.
   */
  async settled(): Promise<void> {
    if (this.scheduled) this.reconcile();
    if (this.isClosed || this.unresolved.size === 0) return;
    await new Promise<void>((resolve) => this.settledWaiters.push(resolve));
  }

  /** A snapshot of the bridge's counters (`channels` counts the streams being read). */
  stats(): RedisBridgeStats {
    return {
      ...this.relay.counters(),
      channels: this.cursors.size + this.unresolved.size,
      disconnects: this.disconnects,
      reconnects: this.reconnects,
      connectionErrors: this.connectionErrors,
    };
  }

  /**
   * Stops bridging: stops following the broker, drops what waits in the outbox (counted),
   * and ends the read loop (woken with CLIENT UNBLOCK; at worst after `blockMs`). The
   * clients stay open: quit them yourself. Safe to call twice.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** Same as {@link RedisStreamBridge.close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async shutdown(): Promise<void> {
    this.isClosed = true;
    this.interest.stop();
    this.publisherWatch.detach();
    this.readerWatch.detach();
    this.relay.close();
    this.releaseSettled();
    this.wake();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.blockMs + RETRY_MS);
      timer.unref();
    });
    // A reader whose client holds the XREAD while disconnected may never answer: do not wait for it.
    await Promise.race([this.loop, late]);
    clearTimeout(timer);
  }

  private hooks(role: RedisConnectionRole): WatchHooks {
    return {
      down: (info) => {
        this.disconnects++;
        this.emit('disconnect', info);
      },
      ready: (reconnected) => {
        if (this.isClosed) return;
        if (role === 'publisher') {
          this.relay.flush();
        } else {
          // A new connection has a new client id.
          this.readerId = undefined;
          this.wake();
        }
        if (reconnected !== undefined) {
          this.reconnects++;
          this.emit('reconnect', reconnected);
        }
      },
      clientError: () => {
        this.connectionErrors++;
      },
    };
  }

  private schedule(): void {
    if (this.scheduled || this.isClosed) return;
    this.scheduled = true;
    queueMicrotask(this.reconcileNow);
  }

  /** Starts reading the streams now needed and stops reading the others. */
  private reconcile(): void {
    if (!this.scheduled) return;
    this.scheduled = false;
    if (this.isClosed) return;
    let changed = false;
    for (let i = 0; i < this.keys.length; i++) {
      const wanted = this.interest.wants(i);
      const held = this.cursors.has(i) || this.unresolved.has(i);
      if (wanted && !held) {
        this.unresolved.add(i);
        changed = true;
      } else if (!wanted && held) {
        this.cursors.delete(i);
        this.unresolved.delete(i);
        this.relay.forget(i);
        changed = true;
      }
    }
    if (changed) this.wake();
  }

  /** The read loop: resolve starting ids, then XREAD from the cursors, until closed. */
  private async run(): Promise<void> {
    while (!this.isClosed) {
      if (!this.readerWatch.up) {
        await this.sleep(Infinity);
        continue;
      }
      const next = this.unresolved.values().next();
      if (next.done !== true) {
        await this.resolveStart(next.value);
        continue;
      }
      this.releaseSettled();
      if (this.cursors.size === 0) {
        await this.sleep(Infinity);
        continue;
      }
      if (this.readerId === undefined) await this.learnReaderId();
      await this.readOnce();
    }
    this.releaseSettled();
  }

  /** Sets the cursor of a newly needed stream to its last entry: reading starts after it. */
  private async resolveStart(index: number): Promise<void> {
    let reply: unknown;
    try {
      reply = await this.reader.callBuffer('XREVRANGE', this.keys[index], '+', '-', 'COUNT', 1);
    } catch (error) {
      await this.afterFailure(error);
      return;
    }
    // Still needed? It may have been let go meanwhile.
    if (!this.unresolved.delete(index)) return;
    let start = '0-0';
    try {
      const [last] = parseEntries(reply);
      if (last !== undefined) start = last.id;
    } catch (error) {
      this.emit('error', error);
    }
    this.cursors.set(index, start);
  }

  /** Asks the reader connection for its id, so that a wake-up can CLIENT UNBLOCK it. */
  private async learnReaderId(): Promise<void> {
    try {
      const id = await this.reader.callBuffer('CLIENT', 'ID');
      this.readerId = String(id);
    } catch (error) {
      // Without the id, wake-ups wait for the XREAD to time out (blockMs): slower, not wrong.
      this.readerId = '';
      this.emit('error', error);
    }
  }

  private async readOnce(): Promise<void> {
    const keys: string[] = [];
    const ids: string[] = [];
    for (const [index, id] of this.cursors) {
      keys.push(this.keys[index]);
      ids.push(id);
    }
    let reply: unknown;
    this.blocking = true;
    try {
      reply = await this.reader.callBuffer(
        'XREAD', 'COUNT', this.readCount, 'BLOCK', this.blockMs, 'STREAMS', ...keys, ...ids,
      );
    } catch (error) {
      await this.afterFailure(error);
      return;
    } finally {
      this.blocking = false;
    }
    if (this.isClosed) return;
    let batches;
    try {
      batches = parseXRead(reply);
    } catch (error) {
      this.emit('error', error);
      return;
    }
    for (const { key, entries } of batches) {
      const index = this.keyIndex.get(key);
      if (index === undefined) continue;
      for (const entry of entries) {
        // Let go of while the read was under way: drop the rest, keep no cursor.
        if (!this.cursors.has(index)) break;
        // The cursor moves with every entry, so a reconnect continues right after it.
        this.cursors.set(index, entry.id);
        const data = fieldValue(entry, FIELD);
        if (data === undefined) {
          this.relay.fail(new EnvelopeError(`stream entry ${entry.id} of ${key} has no '${FIELD}' field`));
          continue;
        }
        this.relay.receive(index, data);
      }
    }
  }

  /**
   * After a failed command: while the reader is down that is the outage (already reported
   * as 'disconnect'), so wait for it; otherwise report it and pause before retrying.
   */
  private async afterFailure(error: unknown): Promise<void> {
    if (this.isClosed) return;
    if (!this.readerWatch.up) {
      await this.sleep(Infinity);
      return;
    }
    this.emit('error', error);
    await this.sleep(RETRY_MS);
  }

  /** Waits for `ms` (Infinity: no timer) or for a wake-up, whichever comes first. */
  private sleep(ms: number): Promise<void> {
    if (this.woken || this.isClosed) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      this.wakeUp = resolve;
      if (Number.isFinite(ms)) {
        this.sleepTimer = setTimeout(() => this.wake(), ms);
        this.sleepTimer.unref();
      }
    });
  }

  /** Wakes the loop: from a sleep at once, from a blocked XREAD with CLIENT UNBLOCK. */
  private wake(): void {
    const wakeUp = this.wakeUp;
    if (wakeUp !== undefined) {
      this.wakeUp = undefined;
      clearTimeout(this.sleepTimer);
      this.sleepTimer = undefined;
      wakeUp();
    } else {
      this.woken = true;
    }
    if (this.blocking && this.readerId !== undefined && this.readerId !== '' && this.publisher.status === 'ready') {
      this.publisher.callBuffer('CLIENT', 'UNBLOCK', this.readerId).then(undefined, this.onCommandError);
    }
  }

  private releaseSettled(): void {
    if (this.settledWaiters.length === 0) return;
    const waiters = this.settledWaiters;
    this.settledWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
