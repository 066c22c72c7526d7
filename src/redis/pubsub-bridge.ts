/**
 * `RedisBridge`: brokers in several processes share their messages over Redis Pub/Sub.
 *
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import type { PubSubBroker } from 'logcaster';
import { ChannelInterest } from './channel-interest.js';
import { ChannelMap } from './channel-map.js';
import type { RedisPublisherClient, RedisSubscriberClient } from './client.js';
import { ConnectionWatch, type WatchHooks } from './connection-watch.js';
import type { RedisBridgeEvents, RedisBridgeStats, RedisConnectionRole } from './events.js';
import { checkClient, resolveBridgeOptions, type BridgeOptions } from './options.js';
import { Relay } from './relay.js';

/** Options of {@link RedisBridge}. */
export interface RedisBridgeOptions<T> extends BridgeOptions<T> {
  /** The connection to publish on (an ioredis client). Never closed by the bridge. */
  publisher: RedisPublisherClient;
  /**
   * The connection to subscribe on: a second ioredis client (`publisher.duplicate()`),
   * since a subscribed connection can do nothing else. Never closed by the bridge.
   */
  subscriber: RedisSubscriberClient;
}

/**
 * Shares a broker's messages with the brokers of other processes through Redis Pub/Sub.
 *
 * - `publish(topic, message)` delivers to this node's subscribers and sends to Redis; the
 *   other nodes deliver it to theirs, exactly once each; this node skips its own echo.
 *   `publishLocal` delivers here only. `broker.publish` stays local too.
 * - Topics are routed to one of `channels` Redis channels by hashing their first `levels`
 *   levels ({@link ChannelMap}). The bridge follows the broker's subscriptions (made before
 *   or after it, through the broker as usual) and subscribes to the channels they need,
 *   reference-counted: when the last local interest in a channel goes, so does the Redis
 *   subscription. Received messages are published into the broker, whose trie does the
 *   exact matching.
 * - Redis going away never throws into or blocks a publisher: publishes wait in a bounded
 *   outbox (drop-oldest by default, counted, `'drop'`) and are sent in order once the
 *   publisher is back; subscriptions are restored. `'disconnect'`, `'reconnect'` and `'gap'`
 *   tell what happened.
 *
 * The guarantee is **at most once**: messages published while a subscriber connection is
 * down are lost to it (reported as a `'gap'` once the next message from their sender
 * arrives). Use {@link RedisStreamBridge} to replay them.
 *
 * @typeParam T - the message type.
 * @example
 * ```ts
 * import Redis from 'ioredis';
 * import { PubSubBroker } from 'logcaster';
 * import { RedisBridge } from 'logcaster/redis';
 *
 * const broker = new PubSubBroker<LogEntry>();
 * const publisher = new Redis('redis://127.0.0.1:6379');
 * const bridge = new RedisBridge(broker, { publisher, subscriber: publisher.duplicate() });
 * bridge.on('gap', ({ origin, missing }) => console.warn(`lost ${missing} messages from ${origin}`));
 *
 * broker.subscribe('logs/#', (entry) => console.log(entry)); // logs from every node
 * bridge.publish('logs/api/ERROR', entry); // here and on every other node
 * ```
 */
export class RedisBridge<T> extends EventEmitter<RedisBridgeEvents> {
  /** This node's id. */
  readonly nodeId: string;
  /** How topics map to Redis channels. */
  readonly channelMap: ChannelMap;
  private readonly publisher: RedisPublisherClient;
  private readonly subscriber: RedisSubscriberClient;
  private readonly relay: Relay<T>;
  private readonly interest: ChannelInterest<T>;
  private readonly subscribed: Uint8Array;
  private readonly watches: ConnectionWatch[];
  private subscribedCount = 0;
  private scheduled = false;
  private isClosed = false;
  private closing: Promise<void> | undefined = undefined;
  private commands: Promise<unknown> = Promise.resolve();
  private disconnects = 0;
  private reconnects = 0;
  private connectionErrors = 0;
  private readonly onMessage = (channel: Buffer, message: Buffer): void => {
    const index = this.channelMap.indexOf(channel.toString('utf8'));
    if (index === -1 || this.subscribed[index] === 0) return;
    this.relay.receive(index, message);
  };
  private readonly onCommandError = (error: unknown): void => {
    this.emit('error', error);
  };
  private readonly reconcileNow = (): void => this.reconcile();

  /**
   * @throws TypeError or RangeError for a bad option, naming it.
   */
  constructor(broker: PubSubBroker<T>, options: RedisBridgeOptions<T>) {
    super();
    checkClient('publisher', options.publisher, ['publish']);
    checkClient('subscriber', options.subscriber, ['subscribe', 'unsubscribe']);
    if (options.publisher === (options.subscriber as unknown)) {
      throw new TypeError('publisher and subscriber must be two connections (use publisher.duplicate())');
    }
    const resolved = resolveBridgeOptions(options);
    this.channelMap = new ChannelMap(options);
    this.nodeId = resolved.nodeId;
    this.publisher = options.publisher;
    this.subscriber = options.subscriber;
    this.subscribed = new Uint8Array(this.channelMap.channels);
    this.relay = new Relay(broker, resolved, this.channelMap, this, {
      canSend: () => this.publisher.status === 'ready',
      send: (channel, data) => this.publisher.publish(this.channelMap.name(channel), data),
      nameOf: (channel) => this.channelMap.name(channel),
    });
    const publisherWatch = new ConnectionWatch('publisher', this.publisher, this.hooks('publisher'), resolved.now);
    const subscriberWatch = new ConnectionWatch('subscriber', this.subscriber, this.hooks('subscriber'), resolved.now);
    publisherWatch.watchWith(subscriberWatch);
    subscriberWatch.watchWith(publisherWatch);
    this.watches = [publisherWatch, subscriberWatch];
    this.subscriber.on('messageBuffer', this.onMessage);
    this.interest = new ChannelInterest(broker, this.channelMap, () => this.schedule());
    this.interest.start();
  }

  /** Whether {@link RedisBridge.close} has been called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Delivers `message` to this node's subscribers and sends it to the other nodes. Never
   * throws or waits because of Redis: while the publisher connection is down the message
   * waits in the outbox. After `close()` it is only delivered locally (and counted as
   * dropped).
   *
   * @returns how many local subscribers took it, as `broker.publish` does.
   * @throws `TopicError` for an invalid topic, `BrokerClosedError` for a closed broker,
   * and whatever the codec throws for a message it cannot encode; nothing is delivered or sent.
   */
  publish(topic: string, message: T): number {
    return this.relay.publish(topic, message);
  }

  /**
   * Delivers `message` to this node's subscribers only: for reactions to an event every
   * node sees, which would otherwise be multiplied by the number of nodes.
   *
   * @returns how many local subscribers took it.
   * @throws as `broker.publish` does.
   */
  publishLocal(topic: string, message: T): number {
    return this.relay.publishLocal(topic, message);
  }

  /**
   * Resolves once Redis has acknowledged every subscription change made so far: after
   * `broker.subscribe(…)`, `await bridge.settled()` and messages from other nodes arrive.
   * Never rejects (failures are reported as `'error'`).
   */
  async settled(): Promise<void> {
    if (this.scheduled) this.reconcile();
    if (this.subscribedCount > 0 && !this.isClosed && this.subscriber.status !== 'ready') {
      // SUBSCRIBEs wait for the connection: its 'ready' hook (added first) sends them.
      await new Promise<void>((resolve) => {
        const onReady = (): void => {
          this.subscriber.off('ready', onReady);
          resolve();
        };
        this.subscriber.on('ready', onReady);
      });
    }
    await this.commands;
  }

  /** A snapshot of the bridge's counters. */
  stats(): RedisBridgeStats {
    return {
      ...this.relay.counters(),
      channels: this.subscribedCount,
      disconnects: this.disconnects,
      reconnects: this.reconnects,
      connectionErrors: this.connectionErrors,
    };
  }

  /**
   * Stops bridging: stops following the broker, drops what waits in the outbox (counted),
   * and unsubscribes from its Redis channels (awaited when the subscriber is connected). The
   * clients stay open: quit them yourself. Safe to call twice.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** Same as {@link RedisBridge.close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async shutdown(): Promise<void> {
    this.isClosed = true;
    this.interest.stop();
    for (const watch of this.watches) watch.detach();
    this.subscriber.off('messageBuffer', this.onMessage);
    this.relay.close();
    const names: string[] = [];
    for (let i = 0; i < this.subscribed.length; i++) {
      if (this.subscribed[i] === 1) names.push(this.channelMap.name(i));
    }
    this.subscribed.fill(0);
    this.subscribedCount = 0;
    if (names.length > 0) {
      const leaving = this.subscriber.unsubscribe(...names).then(undefined, this.onCommandError);
      if (this.subscriber.status === 'ready') await leaving;
    }
    await this.commands;
  }

  private hooks(role: RedisConnectionRole): WatchHooks {
    return {
      down: (info) => {
        this.disconnects++;
        this.emit('disconnect', info);
      },
      ready: (reconnected) => {
        if (this.isClosed) return;
        if (role === 'publisher') this.relay.flush();
        // Every ready, the first included: SUBSCRIBEs are held back until the connection is
        // ready (see reconcile), and a repeated SUBSCRIBE is harmless.
        else this.resubscribe();
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
    // Batched: a burst of subscribes at start-up becomes one SUBSCRIBE command.
    queueMicrotask(this.reconcileNow);
  }

  /** Subscribes to the channels now needed and unsubscribes from the ones no longer needed. */
  private reconcile(): void {
    if (!this.scheduled) return;
    this.scheduled = false;
    if (this.isClosed) return;
    const add: string[] = [];
    const remove: string[] = [];
    for (let i = 0; i < this.subscribed.length; i++) {
      const wanted = this.interest.wants(i);
      if (wanted && this.subscribed[i] === 0) {
        this.subscribed[i] = 1;
        add.push(this.channelMap.name(i));
      } else if (!wanted && this.subscribed[i] === 1) {
        this.subscribed[i] = 0;
        remove.push(this.channelMap.name(i));
        // A later resubscribe starts afresh: what was sent meanwhile is not a gap.
        this.relay.forget(i);
      }
    }
    this.subscribedCount += add.length - remove.length;
    // Not before the connection is ready: ioredis would send a queued SUBSCRIBE ahead of its
    // ready check (INFO), which fails in subscriber mode, drops the connection, and the
    // subscription would not be restored. The 'ready' hook subscribes to everything held.
    if (this.subscriber.status !== 'ready') return;
    if (add.length > 0) this.track(this.subscriber.subscribe(...add));
    if (remove.length > 0) this.track(this.subscriber.unsubscribe(...remove));
  }

  /**
   * Subscribes again to every channel held, after the subscriber reconnected. ioredis does
   * it by itself (autoResubscribe); other clients may not, and a repeated SUBSCRIBE is harmless.
   */
  private resubscribe(): void {
    const names: string[] = [];
    for (let i = 0; i < this.subscribed.length; i++) {
      if (this.subscribed[i] === 1) names.push(this.channelMap.name(i));
    }
    if (names.length > 0) this.track(this.subscriber.subscribe(...names));
  }

  private track(command: Promise<unknown>): void {
    const settled = command.then(undefined, this.onCommandError);
    this.commands = Promise.all([this.commands, settled]);
  }
}
