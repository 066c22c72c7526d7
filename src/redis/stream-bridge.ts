/**
 * `RedisStreamBridge`: brokers in several processes share their messages through Redis
 * Streams, so a node that was disconnected gets what it missed (up to a bound) and a late
 * joiner can read a topic's recent history.
 *
 * @module
 */
import type { PubSubBroker } from 'logcaster';
import { parseTopic } from 'logcaster/adapter';
import { decodeEnvelope } from '../bridge/envelope.js';
import { EnvelopeError } from '../bridge/errors.js';
import { invalidArgType } from '../internal/coded-errors.js';
import type { ConnectionRole } from '../bridge/events.js';
import { checkBridgeOptions } from '../bridge/options.js';
import { UNDECODABLE } from '../bridge/relay.js';
import { COUNT_FROM_0, COUNT_FROM_1, numberRule, requireNumber } from '../internal/checks.js';
import { optionKeys } from '../internal/options.js';
import { MAX_TIMER_MS } from '../internal/timers.js';
import { CHANNEL_BRIDGE_OPTION_KEYS, ChannelBridge, channelMapOptions, type ChannelBridgeOptions } from './channel-bridge.js';
import { ChannelMap } from './channel-map.js';
import { checkClient, type RedisCommandClient } from './client.js';
import { fieldValue, parseEntries, parseXRead } from './stream-reply.js';

/** Options of {@link RedisStreamBridge}. */
export interface RedisStreamBridgeOptions<T> extends ChannelBridgeOptions<T> {
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
   * the wake-up (CLIENT UNBLOCK) cannot be sent. An integer from 1 to 2147483647 (the
   * longest delay a timer honours).
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

/** The keys of {@link RedisStreamBridgeOptions}, for the check of unknown keys. */
export const REDIS_STREAM_BRIDGE_OPTION_KEYS = /* @__PURE__ */ optionKeys<RedisStreamBridgeOptions<unknown>>({
  ...CHANNEL_BRIDGE_OPTION_KEYS,
  publisher: true,
  reader: true,
  maxLen: true,
  blockMs: true,
  readCount: true,
});

const BLOCK_RULE = /* @__PURE__ */ numberRule({ min: 1, max: MAX_TIMER_MS, integer: true });

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
export class RedisStreamBridge<T> extends ChannelBridge<T> {
  private readonly publisher: RedisCommandClient;
  private readonly reader: RedisCommandClient;
  private readonly maxLen: number;
  private readonly blockMs: number;
  private readonly readCount: number;
  private readonly keyIndex = new Map<string, number>();
  /** Streams being read, with the id to read after. */
  private readonly cursors = new Map<number, string>();
  /** Streams needed whose starting id is not known yet. */
  private readonly unresolved = new Set<number>();
  private readerUp: boolean;
  private readonly loop: Promise<void>;
  private blocking = false;
  private readerId: string | undefined = undefined;
  private woken = false;
  private wakeUp: (() => void) | undefined = undefined;
  private sleepTimer: NodeJS.Timeout | undefined = undefined;

  /**
   * @throws TypeError or RangeError (coded `ERR_INVALID_ARG_TYPE` / `ERR_OUT_OF_RANGE`) for
   * a bad option, naming it; TypeError (`ERR_UNKNOWN_OPTION`) for a key that is not an option,
   * naming the nearest one.
   * @throws {@link BridgeError} (`ERR_BRIDGE_BROKER_TAKEN`) when another bridge is
   * attached to the broker.
   */
  constructor(broker: PubSubBroker<T>, options: RedisStreamBridgeOptions<T>) {
    checkBridgeOptions('new RedisStreamBridge', options, REDIS_STREAM_BRIDGE_OPTION_KEYS);
    checkClient('publisher', options.publisher, ['callBuffer']);
    checkClient('reader', options.reader, ['callBuffer']);
    if (options.publisher === options.reader) {
      throw invalidArgType('publisher and reader must be two connections (use publisher.duplicate())');
    }
    const maxLen = requireNumber('maxLen', options.maxLen ?? 10_000, COUNT_FROM_1);
    const blockMs = requireNumber('blockMs', options.blockMs ?? 1000, BLOCK_RULE);
    const readCount = requireNumber('readCount', options.readCount ?? 512, COUNT_FROM_1);
    const map = new ChannelMap(channelMapOptions(options), broker.syntax);
    super({
      name: 'RedisStreamBridge',
      broker,
      options,
      links: [
        ['publisher', options.publisher],
        ['reader', options.reader],
      ],
      map,
      names: Array.from({ length: map.channels }, (_, i) => `${map.prefix}:stream:${i}`),
    });
    this.maxLen = maxLen;
    this.blockMs = blockMs;
    this.readCount = readCount;
    this.publisher = options.publisher;
    this.reader = options.reader;
    this.readerUp = this.reader.status === 'ready';
    this.names.forEach((key, i) => this.keyIndex.set(key, i));
    this.loop = this.run();
  }

  /**
   * The last `count` messages published on `topic` (exactly that topic, not a pattern) that
   * its stream still holds, oldest first. Reads on the publisher connection; the stream is
   * scanned from its newest entry back, at most `maxLen`-ish entries.
   *
   * @returns a promise that rejects with `TopicError` for an invalid topic, a `RangeError`
   * (`ERR_OUT_OF_RANGE`) or `TypeError` (`ERR_INVALID_ARG_TYPE`) for a bad count, or the client's error when Redis cannot be reached.
   */
  async history(topic: string, count: number): Promise<Array<HistoryEntry<T>>> {
    requireNumber('count', count, COUNT_FROM_0);
    parseTopic(topic, this.channelMap.syntax);
    const found: Array<HistoryEntry<T>> = [];
    if (count === 0) return found;
    const key = this.names[this.channelMap.channelOf(topic)];
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

  protected override canSend(): boolean {
    return this.publisher.status === 'ready';
  }

  protected override sendEnvelope(channel: number, data: Buffer): Promise<unknown> {
    return this.publisher.callBuffer('XADD', this.names[channel], 'MAXLEN', '~', this.maxLen, '*', FIELD, data);
  }

  protected override isLive(): boolean {
    return this.unresolved.size === 0;
  }

  protected override pendingDescription(): string {
    return `${this.unresolved.size} streams without a starting id; reader ${this.reader.status}`;
  }

  protected override listening(): number {
    return this.cursors.size + this.unresolved.size;
  }

  protected override applyChannels(wants: (channel: number) => boolean): void {
    let changed = false;
    for (let i = 0; i < this.names.length; i++) {
      const wanted = wants(i);
      const held = this.cursors.has(i) || this.unresolved.has(i);
      if (wanted && !held) {
        this.unresolved.add(i);
        changed = true;
      } else if (!wanted && held) {
        this.cursors.delete(i);
        this.unresolved.delete(i);
        this.forget(i);
        changed = true;
      }
    }
    if (changed) this.wake();
  }

  protected override connectionClosed(role: ConnectionRole): void {
    if (role === 'reader') this.readerUp = false;
  }

  protected override connectionReady(role: ConnectionRole): void {
    if (role === 'publisher') {
      // After the current task: ioredis resends the XADDs the outage interrupted right after
      // emitting 'ready'; sending the outbox first would overtake them (and reorder).
      queueMicrotask(() => this.relay.flush());
      return;
    }
    this.readerUp = true;
    // A new connection has a new client id.
    this.readerId = undefined;
    this.wake();
  }

  protected override async stop(): Promise<void> {
    this.wake();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.min(this.blockMs + RETRY_MS, MAX_TIMER_MS));
      timer.unref();
    });
    // A reader whose client holds the XREAD while disconnected may never answer: do not wait for it.
    await Promise.race([this.loop, late]);
    clearTimeout(timer);
  }

  /** The read loop: resolve starting ids, then XREAD from the cursors, until closed. */
  private async run(): Promise<void> {
    while (!this.isClosed) {
      if (!this.readerUp) {
        await this.sleep(Infinity);
        continue;
      }
      const next = this.unresolved.values().next();
      if (next.done !== true) {
        await this.resolveStart(next.value);
        continue;
      }
      this.settle();
      if (this.cursors.size === 0) {
        await this.sleep(Infinity);
        continue;
      }
      if (this.readerId === undefined) await this.learnReaderId();
      await this.readOnce();
    }
    this.settle();
  }

  /** Sets the cursor of a newly needed stream to its last entry: reading starts after it. */
  private async resolveStart(index: number): Promise<void> {
    let reply: unknown;
    try {
      reply = await this.reader.callBuffer('XREVRANGE', this.names[index], '+', '-', 'COUNT', 1);
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
      this.fail(error);
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
      this.fail(error);
    }
  }

  private async readOnce(): Promise<void> {
    const keys: string[] = [];
    const ids: string[] = [];
    for (const [index, id] of this.cursors) {
      keys.push(this.names[index]);
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
      this.fail(error);
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
    if (!this.readerUp) {
      await this.sleep(Infinity);
      return;
    }
    this.fail(error);
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
      this.publisher.callBuffer('CLIENT', 'UNBLOCK', this.readerId).then(undefined, this.reportFailure);
    }
  }
}
