/**
 * What both Redis bridges do alike: attach to the broker (its publish tap and its
 * subscriptions), watch their two connections, batch subscription changes, answer
 * `ready()`, count, report errors and close. The subclasses say how messages travel.
 *
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import type { PubSubBroker } from 'logcaster';
import { reportError, type PublishTap } from 'logcaster/adapter';
import { ChannelInterest } from './channel-interest.js';
import { ChannelMap } from './channel-map.js';
import type { RedisConnection } from './client.js';
import { ConnectionWatch, type WatchHooks } from './connection-watch.js';
import { BRIDGE_ERROR_CODES, outOfRange, RedisBridgeError } from './errors.js';
import type { RedisBridgeEvents, RedisBridgeStats, RedisConnectionRole } from './events.js';
import { resolveBridgeOptions, type BridgeOptions, type ResolvedBridgeOptions } from './options.js';
import { Relay } from './relay.js';

/** Options of `ready()`. */
export interface ReadyOptions {
  /**
   * Reject with a {@link RedisBridgeError} (`ERR_BRIDGE_READY_TIMEOUT`) after this many
   * milliseconds. A number >= 0.
   * @default no timeout: wait until Redis answers
   */
  timeoutMs?: number;
  /**
   * Reject with the signal's reason when it aborts.
   * @default none
   */
  signal?: AbortSignal;
}

/** A pending `ready()`. */
interface ReadyWaiter {
  resolve(): void;
  reject(error: unknown): void;
  cleanup(): void;
}

/** What a subclass hands to {@link BridgeBase}'s constructor. */
export interface BridgeSetup<T> {
  /** `'RedisBridge'` or `'RedisStreamBridge'`: the source named in unheard-error warnings. */
  name: string;
  broker: PubSubBroker<T>;
  options: BridgeOptions<T>;
  /** The two connections, publisher first. */
  connections: [[RedisConnectionRole, RedisConnection], [RedisConnectionRole, RedisConnection]];
}

/**
 * The shared half of {@link RedisBridge} and {@link RedisStreamBridge}.
 *
 * @typeParam T - the message type.
 */
export abstract class BridgeBase<T> extends EventEmitter<RedisBridgeEvents> implements AsyncDisposable {
  /** This node's id (the origin of its envelopes). */
  readonly nodeId: string;
  /** How topics map to Redis channels (or streams). */
  readonly channelMap: ChannelMap;
  /** @internal */
  protected readonly broker: PubSubBroker<T>;
  /** @internal */
  protected readonly relay: Relay<T>;
  /** @internal */
  protected readonly resolved: ResolvedBridgeOptions<T>;
  /** @internal */
  protected isClosed = false;
  private readonly sourceName: string;
  private readonly interest: ChannelInterest<T>;
  private readonly watches: ConnectionWatch[];
  private readonly tap: PublishTap<T>;
  private scheduled = false;
  private closing: Promise<void> | undefined = undefined;
  private waiters: ReadyWaiter[] = [];
  private publishedLocal = 0;
  private disconnects = 0;
  private reconnects = 0;
  private connectionErrors = 0;
  private readonly reconcileNow = (): void => this.reconcile();
  /** @internal */
  protected readonly reportFailure = (error: unknown): void => this.fail(error);

  /**
   * @throws TypeError or RangeError (coded `ERR_INVALID_ARG_TYPE` / `ERR_OUT_OF_RANGE`) for a
   * bad option, naming it.
   * @throws {@link RedisBridgeError} (`ERR_BRIDGE_BROKER_TAKEN`) when another bridge is
   * attached to the broker.
   */
  protected constructor(setup: BridgeSetup<T>) {
    super();
    const { broker, options } = setup;
    this.resolved = resolveBridgeOptions(options);
    if (broker.publishTap !== undefined) {
      throw new RedisBridgeError(
        BRIDGE_ERROR_CODES.brokerTaken,
        'the broker already has a publish tap (another bridge?): one bridge per broker; close the other first',
      );
    }
    this.sourceName = setup.name;
    this.broker = broker;
    this.channelMap = new ChannelMap(options, broker.syntax);
    this.nodeId = this.resolved.nodeId;
    this.relay = new Relay(broker, this.resolved, this.channelMap, {
      failed: this.reportFailure,
      gap: (info) => this.emit('gap', info),
      dropped: (count, reason) => this.emit('drop', count, reason),
    }, {
      // Late-bound: they use the subclass's connections, set after this constructor.
      canSend: () => this.canSend(),
      send: (channel, data) => this.sendEnvelope(channel, data),
      nameOf: (channel) => this.channelName(channel),
    });
    const [[role1, client1], [role2, client2]] = setup.connections;
    const first = new ConnectionWatch(role1, client1, this.hooks(role1), this.resolved.now);
    const second = new ConnectionWatch(role2, client2, this.hooks(role2), this.resolved.now);
    first.watchWith(second);
    second.watchWith(first);
    this.watches = [first, second];
    this.tap = { tapped: (topic, message) => this.relay.send(topic, message) };
    broker.setPublishTap(this.tap);
    this.interest = new ChannelInterest(broker, this.channelMap, () => this.schedule());
    // Counted now, reconciled in a microtask: after the subclass's constructor has run.
    this.interest.start();
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * The same as `broker.publish(topic, message)` while the bridge is attached: delivers to
   * this node's subscribers and sends to the other nodes (exactly once each; this node skips
   * its own echo). Never throws or waits because of Redis: while the publisher connection
   * is down the message waits in the bounded outbox. After `close()` it is delivered here
   * only and counted as dropped.
   *
   * @returns how many local subscribers took it.
   * @throws `TopicError` for an invalid topic, `BrokerClosedError` for a closed broker,
   * and whatever the codec throws for a message it cannot encode; nothing is delivered or sent.
   */
  publish(topic: string, message: T): number {
    if (!this.isClosed) return this.broker.publish(topic, message);
    this.relay.send(topic, message);
    return this.broker.publishLocal(topic, message);
  }

  /**
   * Delivers to this node's subscribers only (`broker.publishLocal`): for reactions to an
   * event every node sees, which would otherwise be multiplied by the number of nodes.
   *
   * @returns how many local subscribers took it.
   * @throws as `broker.publishLocal` does.
   */
  publishLocal(topic: string, message: T): number {
    const local = this.broker.publishLocal(topic, message);
    this.publishedLocal++;
    return local;
  }

  /**
   * Resolves once Redis has acknowledged everything the broker's current subscriptions
   * need (each SUBSCRIBE, or each stream's starting XREAD cursor): from then on, a message
   * another node publishes on a matching topic reaches this node. After a new subscription,
   * call it again. While Redis is down it waits for the connection to come back (bound it
   * with `timeoutMs` or `signal`).
   *
   * @example
   * ```ts
   * broker.subscribe('logs/#', show);
   * await bridge.ready({ timeoutMs: 5000 }); // now other nodes' logs arrive
   * ```
   * @returns a promise that rejects with {@link RedisBridgeError} `ERR_BRIDGE_CLOSED` when
   * the bridge is or gets closed, `ERR_BRIDGE_READY_TIMEOUT` after `timeoutMs`, or with the
   * signal's reason when it aborts.
   * @throws RangeError (`ERR_OUT_OF_RANGE`) for a bad `timeoutMs`.
   */
  ready(options: ReadyOptions = {}): Promise<void> {
    const { timeoutMs, signal } = options;
    if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs >= 0))) {
      throw outOfRange(`timeoutMs must be a number >= 0 (got ${String(timeoutMs)})`);
    }
    if (this.isClosed) return Promise.reject(this.closedError());
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    if (this.scheduled) this.reconcile();
    if (this.isLive()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => {
        waiter.cleanup();
        reject(signal?.reason);
      };
      const waiter: ReadyWaiter = {
        resolve,
        reject,
        cleanup: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          const at = this.waiters.indexOf(waiter);
          if (at !== -1) this.waiters.splice(at, 1);
        },
      };
      if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
        timer = setTimeout(() => {
          waiter.cleanup();
          reject(
            new RedisBridgeError(
              BRIDGE_ERROR_CODES.readyTimeout,
              `Redis did not acknowledge the subscriptions within ${timeoutMs} ms (${this.pendingDescription()})`,
            ),
          );
        }, timeoutMs);
        timer.unref();
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** A snapshot of the bridge's counters. */
  stats(): RedisBridgeStats {
    return {
      ...this.relay.counters(),
      ...this.holdCounters(),
      publishedLocal: this.publishedLocal,
      channels: this.listening(),
      disconnects: this.disconnects,
      reconnects: this.reconnects,
      connectionErrors: this.connectionErrors,
    };
  }

  /**
   * Stops bridging: detaches from the broker (`broker.publish` is local again), drops what
   * waits in the outbox (counted), rejects pending `ready()` calls, and lets go of Redis
   * (unsubscribes, or ends the read loop). The clients stay open: quit them yourself. Safe
   * to call twice; resolves when done.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** Same as `close()`: `await using bridge = new RedisBridge(…)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Whether the publisher connection can take a command now. @internal */
  protected abstract canSend(): boolean;
  /** Sends one envelope on channel `channel` (PUBLISH or XADD). @internal */
  protected abstract sendEnvelope(channel: number, data: Buffer): Promise<unknown>;
  /** The Redis name of channel `channel` (a channel or a stream key). @internal */
  protected abstract channelName(channel: number): string;
  /** Whether everything the current subscriptions need is acknowledged by Redis. @internal */
  protected abstract isLive(): boolean;
  /** What `ready()` still waits for, for its timeout error. @internal */
  protected abstract pendingDescription(): string;
  /** Follows the interest: subscribe to what is now needed, let go of the rest. @internal */
  protected abstract applyInterest(wants: (channel: number) => boolean): void;
  /** A connection is ready (`reconnected`: after an outage). @internal */
  protected abstract connectionReady(role: RedisConnectionRole, reconnected: boolean): void;
  /** A connection closed: what it held on the server is gone. @internal */
  protected abstract connectionClosed(role: RedisConnectionRole): void;
  /** How many channels (or streams) are listened to. @internal */
  protected abstract listening(): number;
  /** The subclass's share of closing (after the shared part). @internal */
  protected abstract stop(): Promise<void>;
  /** Outbox hold counters (Pub/Sub); zeros by default. @internal */
  protected holdCounters(): Pick<RedisBridgeStats, 'outboxHolds' | 'lastHoldMs'> {
    return { outboxHolds: 0, lastHoldMs: 0 };
  }

  /** Reports a failure through the library's error policy (`'error'`, or a warning). @internal */
  protected fail(error: unknown): void {
    reportError(this, this.sourceName, error);
  }

  /** Resolves the pending `ready()` calls if everything is acknowledged now. @internal */
  protected settle(): void {
    if (this.waiters.length === 0 || this.scheduled || !this.isLive()) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) {
      waiter.cleanup();
      waiter.resolve();
    }
  }

  private closedError(): RedisBridgeError {
    return new RedisBridgeError(BRIDGE_ERROR_CODES.closed, `the ${this.sourceName} is closed`);
  }

  private async shutdown(): Promise<void> {
    this.isClosed = true;
    if (this.broker.publishTap === this.tap) this.broker.setPublishTap(undefined);
    this.interest.stop();
    for (const watch of this.watches) watch.detach();
    this.relay.close();
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) {
      waiter.cleanup();
      waiter.reject(this.closedError());
    }
    await this.stop();
  }

  private hooks(role: RedisConnectionRole): WatchHooks {
    return {
      closed: () => {
        if (!this.isClosed) this.connectionClosed(role);
      },
      down: (info) => {
        this.disconnects++;
        this.emit('disconnect', info);
      },
      ready: (reconnected) => {
        if (this.isClosed) return;
        this.connectionReady(role, reconnected !== undefined);
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
    // Batched: a burst of subscribes at start-up becomes one SUBSCRIBE (or one wake-up).
    queueMicrotask(this.reconcileNow);
  }

  private reconcile(): void {
    if (!this.scheduled) return;
    this.scheduled = false;
    if (this.isClosed) return;
    this.applyInterest((channel) => this.interest.wants(channel));
    this.settle();
  }
}
