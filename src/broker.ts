/**
 * The typed publish/subscribe broker.
 *
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import { BrokerClosedError } from './errors.js';
import { Subscription, type Handler, type UnsubscribeReason } from './subscription.js';
import { parsePattern, type TopicOptions } from './topic.js';
import { TopicTrie } from './topic-trie.js';

/** Options of {@link PubSubBroker}. */
export interface BrokerOptions extends TopicOptions {
  /**
   * How deep publishes may nest (a handler that publishes, whose handler publishes, …)
   * before the innermost one is refused with a `RangeError` reported as an `'error'` event.
   * Minimum: 1.
   * @default 32
   */
  maxPublishDepth?: number;
  /**
   * How many topics keep their resolved subscriber list cached. Any subscribe or
   * unsubscribe empties the cache. `0` turns it off. Minimum: 0.
   * @default 1024
   */
  cacheSize?: number;
}

/** Options of {@link PubSubBroker.subscribe}. */
export interface SubscribeOptions {
  /** Ends the subscription when aborted. An already aborted signal returns an ended subscription. */
  signal?: AbortSignal;
  /**
   * Ties the subscription's life to an object that the broker holds only weakly: once the
   * owner is garbage-collected the subscription ends (reason `'owner-collected'`). The handler
   * must not capture the owner, or it will never be collected.
   */
  owner?: object;
}

/** Counters of a {@link PubSubBroker}; see {@link PubSubBroker.stats}. */
export interface BrokerStats {
  /** Live subscriptions. */
  subscriptions: number;
  /** Distinct live patterns. */
  patterns: number;
  /** Calls to `publish` that were accepted (not refused for depth). */
  published: number;
  /** Handler calls made (a handler that threw still counts as delivered to). */
  delivered: number;
  /** Handler throws and rejections, plus publishes refused for depth. */
  errors: number;
}

/** Event signatures of {@link PubSubBroker}. */
export interface BrokerEvents<T> {
  /** A subscription was created. */
  subscribe: [subscription: Subscription<T>];
  /** A subscription ended, with the reason. */
  unsubscribe: [subscription: Subscription<T>, reason: UnsubscribeReason];
  /**
   * A handler threw or rejected (`subscription` is the one whose handler failed), or a nested
   * publish was refused for depth (`subscription` is `undefined`).
   */
  error: [error: unknown, topic: string, subscription: Subscription<T> | undefined];
}

/** All subscriptions that share one pattern, in subscription order. */
interface PatternEntry<T> {
  readonly pattern: string;
  readonly subscriptions: Set<Subscription<T>>;
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

const byId = <T>(a: Subscription<T>, b: Subscription<T>): number => a.id - b.id;

/**
 * A typed publish/subscribe broker over MQTT-style topics.
 *
 * Handlers run synchronously, in subscription order, over a snapshot taken when `publish`
 * is called: a subscription made during a publish does not get that message, and one ended
 * during a publish gets nothing after it ended. A handler that throws never stops the others
 * and never throws out of `publish`: the error is emitted as `'error'` and counted. Handlers
 * may publish, subscribe and unsubscribe (themselves included).
 *
 * @typeParam T - the message type.
 * @example
 * ```ts
 * const broker = new PubSubBroker<{ level: string; message: string }>();
 * const sub = broker.subscribe('logs/payments/*', (entry, topic) => console.log(topic, entry.message));
 * broker.publish('logs/payments/ERROR', { level: 'ERROR', message: 'card declined' }); // 1
 * sub.unsubscribe();
 * ```
 */
export class PubSubBroker<T> extends EventEmitter<BrokerEvents<T>> implements Disposable {
  private readonly trie: TopicTrie<PatternEntry<T>>;
  private readonly entries = new Map<string, PatternEntry<T>>();
  private readonly snapshots = new Map<string, Subscription<T>[]>();
  private readonly cacheSize: number;
  private readonly maxDepth: number;
  private readonly owners = new FinalizationRegistry<Subscription<T>>((sub) => this.end(sub, 'owner-collected'));
  private readonly endHook = (sub: Subscription<T>, reason: UnsubscribeReason): void => this.end(sub, reason);
  private nextId = 1;
  private depth = 0;
  private closed = false;
  private count = 0;
  private published = 0;
  private delivered = 0;
  private errors = 0;

  /**
   * @throws RangeError when an option is out of range.
   */
  constructor(options: BrokerOptions = {}) {
    super();
    this.trie = new TopicTrie<PatternEntry<T>>({ ...options, cacheSize: 0 });
    const cacheSize = options.cacheSize ?? 1024;
    if (!Number.isSafeInteger(cacheSize) || cacheSize < 0) {
      throw new RangeError(`cacheSize must be an integer >= 0 (got ${String(cacheSize)})`);
    }
    const maxDepth = options.maxPublishDepth ?? 32;
    if (!Number.isSafeInteger(maxDepth) || maxDepth < 1) {
      throw new RangeError(`maxPublishDepth must be an integer >= 1 (got ${String(maxDepth)})`);
    }
    this.cacheSize = cacheSize;
    this.maxDepth = maxDepth;
  }

  /** Whether {@link PubSubBroker.close} has been called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Calls `handler(message, topic)` for every message published on a topic that matches
   * `pattern`.
   *
   * @throws {@link TopicError} when the pattern is invalid (nothing changes).
   * @throws TypeError when `handler` is not a function.
   * @throws {@link BrokerClosedError} after `close()`.
   */
  subscribe(pattern: string, handler: Handler<T>, options: SubscribeOptions = {}): Subscription<T> {
    if (this.closed) throw new BrokerClosedError('subscribe');
    if (typeof handler !== 'function') {
      throw new TypeError(`handler must be a function (got ${typeof handler})`);
    }
    parsePattern(pattern, this.trie.syntax);
    const sub = new Subscription<T>(this.nextId++, pattern, handler, this.endHook);
    const { signal, owner } = options;
    if (signal?.aborted) {
      // Like addEventListener with an aborted signal: nothing is registered.
      sub.live = false;
      return sub;
    }
    let entry = this.entries.get(pattern);
    if (entry === undefined) {
      entry = { pattern, subscriptions: new Set() };
      this.trie.add(pattern, entry);
      this.entries.set(pattern, entry);
    }
    entry.subscriptions.add(sub);
    this.count++;
    this.invalidate();
    if (signal !== undefined) {
      const onAbort = (): void => this.end(sub, 'abort');
      signal.addEventListener('abort', onAbort, { once: true });
      sub.detach = () => signal.removeEventListener('abort', onAbort);
    }
    if (owner !== undefined) {
      sub.ownerRef = new WeakRef(owner);
      this.owners.register(owner, sub, sub);
    }
    this.emit('subscribe', sub);
    return sub;
  }

  /**
   * Delivers `message` to every subscription whose pattern matches `topic`.
   *
   * @returns how many handlers were called.
   * @throws {@link TopicError} when the topic is invalid.
   * @throws {@link BrokerClosedError} after `close()`.
   */
  publish(topic: string, message: T): number {
    if (this.closed) throw new BrokerClosedError('publish');
    const targets = this.snapshots.get(topic) ?? this.resolve(topic);
    if (this.depth >= this.maxDepth) {
      this.report(
        new RangeError(`publish nested deeper than maxPublishDepth (${this.maxDepth}) on topic ${JSON.stringify(topic)}`),
        topic,
        undefined,
      );
      return 0;
    }
    this.published++;
    this.depth++;
    let delivered = 0;
    try {
      for (let i = 0; i < targets.length; i++) {
        const sub = targets[i];
        // Checked per call, not per snapshot: an earlier handler may have ended this one.
        if (!sub.live) continue;
        if (sub.ownerRef !== undefined && sub.ownerRef.deref() === undefined) {
          this.end(sub, 'owner-collected');
          continue;
        }
        delivered++;
        try {
          const result = sub.handler(message, topic);
          if (result !== undefined && isThenable(result)) {
            result.then(undefined, (error: unknown) => this.report(error, topic, sub));
          }
        } catch (error) {
          this.report(error, topic, sub);
        }
      }
    } finally {
      this.depth--;
      this.delivered += delivered;
    }
    return delivered;
  }

  /**
   * Ends every subscription (reason `'close'`). Later `publish` and `subscribe` calls throw
   * {@link BrokerClosedError}. Safe to call twice.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const entry of [...this.entries.values()]) {
      for (const sub of [...entry.subscriptions]) this.end(sub, 'close');
    }
  }

  /** Same as {@link PubSubBroker.close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** A snapshot of the broker's counters. */
  stats(): BrokerStats {
    return {
      subscriptions: this.count,
      patterns: this.entries.size,
      published: this.published,
      delivered: this.delivered,
      errors: this.errors,
    };
  }

  private resolve(topic: string): Subscription<T>[] {
    const entries = this.trie.match(topic);
    let targets: Subscription<T>[];
    if (entries.length === 0) {
      targets = [];
    } else if (entries.length === 1) {
      targets = Array.from(entries[0].subscriptions);
    } else {
      targets = [];
      for (const entry of entries) for (const sub of entry.subscriptions) targets.push(sub);
      targets.sort(byId);
    }
    if (this.cacheSize > 0) {
      if (this.snapshots.size >= this.cacheSize) {
        const oldest = this.snapshots.keys().next();
        if (oldest.done !== true) this.snapshots.delete(oldest.value);
      }
      this.snapshots.set(topic, targets);
    }
    return targets;
  }

  private end(sub: Subscription<T>, reason: UnsubscribeReason): void {
    if (!sub.live) return;
    sub.live = false;
    const entry = this.entries.get(sub.pattern);
    if (entry !== undefined && entry.subscriptions.delete(sub)) {
      this.count--;
      if (entry.subscriptions.size === 0) {
        this.entries.delete(sub.pattern);
        this.trie.remove(sub.pattern, entry);
      }
      // Snapshots already handed to running publishes stay valid: they are never mutated.
      this.invalidate();
    }
    sub.detach?.();
    sub.detach = undefined;
    if (sub.ownerRef !== undefined) {
      this.owners.unregister(sub);
      sub.ownerRef = undefined;
    }
    this.emit('unsubscribe', sub, reason);
  }

  private invalidate(): void {
    if (this.snapshots.size > 0) this.snapshots.clear();
  }

  private report(error: unknown, topic: string, sub: Subscription<T> | undefined): void {
    this.errors++;
    try {
      this.emit('error', error, topic, sub);
    } catch (listenerError) {
      // A throwing 'error' listener is a bug in that listener; raise it outside the
      // delivery loop so the remaining handlers still get the message.
      process.nextTick(() => {
        throw listenerError;
      });
    }
  }
}
