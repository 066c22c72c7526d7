/**
 * `RedisShardedBridge`: brokers in several processes share their messages over a Redis
 * Cluster's sharded Pub/Sub (`SPUBLISH`/`SSUBSCRIBE`, Redis 7).
 *
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import type { PubSubBroker } from 'logcaster';
import { invalidArgType } from '../internal/coded-errors.js';
import type { BridgeLink, LinkEvents } from '../bridge/link-watch.js';
import { checkBridgeOptions } from '../bridge/options.js';
import { optionKeys } from '../internal/options.js';
import { CHANNEL_BRIDGE_OPTION_KEYS, ChannelBridge, channelMapOptions, type ChannelBridgeOptions } from './channel-bridge.js';
import { ChannelMap } from './channel-map.js';
import { checkClient } from './client.js';
import { hashSlot } from './hash-slot.js';

/**
 * The events a {@link RedisShardedBridge} follows on its cluster client, with ioredis's
 * names: the connection events, `-node` (with a node key as second argument when one of the
 * sharded subscriber connections was lost), `subscribersReady` (the sharded subscribers were
 * (re)made after a topology refresh) and `smessageBuffer` (a sharded message).
 */
export interface RedisClusterEvents extends LinkEvents {
  '-node': [node: unknown, nodeKey?: string];
  subscribersReady: [];
  smessageBuffer: [channel: Buffer, message: Buffer];
}

/**
 * What a {@link RedisShardedBridge} needs of a Redis Cluster client: an ioredis `Cluster`
 * (5.9 or later, or 6) created with `shardedSubscribers: true` fits as is.
 */
export interface RedisClusterClient {
  /** `'ready'` once connected and the slot map is known. */
  readonly status: string;
  /** Which node serves each hash slot: `slots[slot][0]` is the master's `host:port`. */
  readonly slots: ReadonlyArray<readonly string[] | undefined>;
  /** The client's options: `shardedSubscribers` must be true. */
  readonly options: { readonly shardedSubscribers?: boolean };
  on<E extends keyof RedisClusterEvents>(event: E, listener: (...args: RedisClusterEvents[E]) => void): unknown;
  off<E extends keyof RedisClusterEvents>(event: E, listener: (...args: RedisClusterEvents[E]) => void): unknown;
  /** `SPUBLISH channel message`, sent to the master of the channel's slot. */
  spublish(channel: string, message: Buffer): Promise<unknown>;
  /** `SSUBSCRIBE channel…` (one slot), on the sharded subscriber of the slot's master. */
  ssubscribe(...channels: string[]): Promise<unknown>;
  /** `SUNSUBSCRIBE channel…` (one slot). */
  sunsubscribe(...channels: string[]): Promise<unknown>;
  /** `EXISTS key`: how the bridge checks that a slot's master answers again. */
  exists(key: string): Promise<unknown>;
}

/** Options of {@link RedisShardedBridge}. */
export interface RedisShardedBridgeOptions<T> extends ChannelBridgeOptions<T> {
  /**
   * The cluster client: `new Cluster(nodes, { shardedSubscribers: true })` of ioredis (5.9+
   * or 6). It publishes and subscribes; never closed by the bridge.
   */
  cluster: RedisClusterClient;
}

/** The keys of {@link RedisShardedBridgeOptions}, for the check of unknown keys. */
export const REDIS_SHARDED_BRIDGE_OPTION_KEYS = /* @__PURE__ */ optionKeys<RedisShardedBridgeOptions<unknown>>({
  ...CHANNEL_BRIDGE_OPTION_KEYS,
  cluster: true,
});

/** A channel's sharded subscription: none, asked for (not acknowledged yet), acknowledged. */
const NONE = 0;
const ASKED = 1;
const LIVE = 2;

/** Pause between attempts to restore the subscriptions of a shard that is away. */
const RETRY_MS = 250;

/**
 * The sharded subscribers, seen as one connection: down while any subscription on a lost
 * shard is not restored, up again once all are.
 */
class ShardLink extends EventEmitter<LinkEvents> implements BridgeLink {
  status: 'ready' | 'reconnecting' = 'ready';

  down(): void {
    if (this.status !== 'ready') return;
    this.status = 'reconnecting';
    this.emit('close');
  }

  up(): void {
    if (this.status === 'ready') return;
    this.status = 'ready';
    this.emit('ready');
  }
}

/**
 * Shares a broker's messages with the brokers of other processes through a Redis Cluster's
 * sharded Pub/Sub.
 *
 * Classic `PUBLISH` in a Redis Cluster is copied to every shard over the cluster bus: every
 * node carries every message, and adding shards adds no capacity. `SPUBLISH` goes to the one
 * shard that owns the channel's hash slot, and only its subscribers hear it. So:
 *
 * - Topics map to `channels` channels by hashing their first `levels` levels
 *   ({@link ChannelMap}), as with {@link RedisBridge}; each channel is named
 *   `${prefix}:{${n}}`, its index a hash tag, so it lives in the slot of `{n}` and every
 *   `SSUBSCRIBE` stays within one slot. The channels spread over the shards as their slots
 *   do: with 64 channels on 3 masters, about 21 each (see docs/scaling.md for choosing
 *   `channels` and `levels`).
 * - A node subscribes only to the channels its broker's patterns can match (and to all of
 *   them for a pattern with a wildcard in the hashed levels), so a message reaches only the
 *   shard of its channel and the nodes that want that channel.
 * - The same contract as {@link RedisBridge}: drop-in `broker.publish`, exactly once per
 *   local subscription, no echo, the bounded outbox (before the bridge is first ready and
 *   while the cluster is unreachable), `ready()`, the same events and stats.
 *
 * When one shard goes away, the others go on. Sends to its channels fail (`sendErrors`,
 * `'error'`); the nodes subscribed to its channels report a `'disconnect'` of their
 * `'subscriber'` connection, and a `'reconnect'` once the bridge has restored their
 * subscriptions on it; what was lost meanwhile is reported as a `'gap'` by the receivers when
 * the next message on the channel arrives. At most once, like {@link RedisBridge}.
 *
 * @typeParam T - the message type.
 * @example
 * ```ts
 * import { Cluster } from 'ioredis';
 * import { PubSubBroker } from 'logcaster';
 * import { RedisShardedBridge } from 'logcaster/redis';
 *
 * const cluster = new Cluster([{ host: '10.0.0.1', port: 6379 }], { shardedSubscribers: true });
 * const broker = new PubSubBroker<LogEntry>();
 * const bridge = new RedisShardedBridge(broker, { cluster, channels: 256 });
 * broker.subscribe('logs/payments/#', show); // one channel: one shard
 * await bridge.ready();
 * ```
 */
export class RedisShardedBridge<T> extends ChannelBridge<T> {
  private readonly cluster: RedisClusterClient;
  private readonly shards: ShardLink;
  /** Per channel: {@link NONE}, {@link ASKED} or {@link LIVE}. */
  private readonly state: Uint8Array;
  /** Per channel: grows when its shard's subscriber is lost, so older acknowledgements are stale. */
  private readonly epochs: Uint32Array;
  /** Per channel: its hash slot. */
  private readonly slotOf: Uint16Array;
  /** Per channel: the master (`host:port`) that acknowledged its SSUBSCRIBE. */
  private readonly ackedOn: Array<string | undefined>;
  private asked = 0;
  private held = 0;
  private unsubscribing = 0;
  /** Channels whose shard's subscriber was lost and that are not restored yet. */
  private readonly lost = new Set<number>();
  private restoring = false;
  private retryTimer: NodeJS.Timeout | undefined = undefined;
  private readonly onMessage = (channel: Buffer, message: Buffer): void => {
    const index = this.channelMap.indexOf(channel.toString('utf8'));
    if (index === -1 || this.state[index] === NONE) return;
    this.relay.receive(index, message);
  };
  private readonly onNodeLost = (_node: unknown, nodeKey?: string): void => {
    // Without a node key it is a command connection (the publisher side), not a subscriber.
    if (nodeKey === undefined || this.isClosed) return;
    this.loseWhere((i) => this.ackedOn[i] === nodeKey || this.ownerOf(i) === nodeKey);
  };
  private readonly onSubscribersReady = (): void => {
    if (this.isClosed) return;
    // The topology changed: a channel whose slot moved (a failover, a reshard) is subscribed
    // on a connection that no longer serves it.
    this.loseWhere((i) => this.state[i] === LIVE && this.ackedOn[i] !== this.ownerOf(i));
    if (this.lost.size > 0) void this.restore();
  };

  /**
   * @throws TypeError or RangeError (coded `ERR_INVALID_ARG_TYPE` / `ERR_OUT_OF_RANGE`) for
   * a bad option, naming it; TypeError (`ERR_UNKNOWN_OPTION`) for a key that is not an option,
   * naming the nearest one; TypeError for a cluster client made without
   * `shardedSubscribers: true`.
   * @throws {@link BridgeError} (`ERR_BRIDGE_BROKER_TAKEN`) when another bridge is attached
   * to the broker.
   */
  constructor(broker: PubSubBroker<T>, options: RedisShardedBridgeOptions<T>) {
    checkBridgeOptions('new RedisShardedBridge', options, REDIS_SHARDED_BRIDGE_OPTION_KEYS);
    checkClient('cluster', options.cluster, ['spublish', 'ssubscribe', 'sunsubscribe', 'exists']);
    if (options.cluster.options?.shardedSubscribers !== true) {
      throw invalidArgType('cluster must be created with shardedSubscribers: true (new Cluster(nodes, { shardedSubscribers: true }))');
    }
    const { prefix } = options;
    if (typeof prefix === 'string' && (prefix.includes('{') || prefix.includes('}'))) {
      throw invalidArgType(`prefix must not contain '{' or '}': the channel index is the hash tag (got ${JSON.stringify(options.prefix)})`);
    }
    const map = new ChannelMap(channelMapOptions(options), broker.syntax, true);
    const shards = new ShardLink();
    super({
      name: 'RedisShardedBridge',
      broker,
      options,
      links: [
        ['publisher', options.cluster],
        ['subscriber', shards],
      ],
      // Two links, but not two connections to one server: a lost shard is not a killed connection.
      witness: false,
      map,
      names: Array.from({ length: map.channels }, (_, i) => map.name(i)),
    });
    this.shards = shards;
    this.cluster = options.cluster;
    this.state = new Uint8Array(map.channels);
    this.epochs = new Uint32Array(map.channels);
    this.slotOf = new Uint16Array(map.channels);
    for (let i = 0; i < map.channels; i++) this.slotOf[i] = hashSlot(map.name(i));
    this.ackedOn = new Array<string | undefined>(map.channels).fill(undefined);
    this.cluster.on('smessageBuffer', this.onMessage);
    this.cluster.on('-node', this.onNodeLost);
    this.cluster.on('subscribersReady', this.onSubscribersReady);
  }

  protected override canSend(): boolean {
    return this.cluster.status === 'ready';
  }

  protected override sendEnvelope(channel: number, data: Buffer): Promise<unknown> {
    return this.cluster.spublish(this.names[channel], data);
  }

  protected override isLive(): boolean {
    return this.asked === 0 && this.unsubscribing === 0 && this.cluster.status === 'ready';
  }

  protected override pendingDescription(): string {
    return `${this.asked} of ${this.held} channels not acknowledged, ${this.lost.size} on a lost shard; cluster ${this.cluster.status}`;
  }

  protected override listening(): number {
    return this.held;
  }

  protected override applyChannels(wants: (channel: number) => boolean): void {
    const add: number[] = [];
    for (let i = 0; i < this.state.length; i++) {
      const wanted = wants(i);
      if (wanted && this.state[i] === NONE) {
        this.state[i] = ASKED;
        this.asked++;
        this.held++;
        add.push(i);
      } else if (!wanted && this.state[i] !== NONE) {
        if (this.state[i] === ASKED) this.asked--;
        this.state[i] = NONE;
        this.held--;
        this.lost.delete(i);
        this.epochs[i]++;
        this.unsubscribe(i);
        // A later resubscribe starts afresh: what was sent meanwhile is not a gap.
        this.forget(i);
      }
    }
    // Not before the cluster is ready: the slot map decides which shard each goes to.
    if (this.cluster.status !== 'ready') return;
    for (const i of add) this.subscribe(i);
  }

  protected override connectionReady(role: string): void {
    if (role !== 'publisher') {
      this.settle();
      return;
    }
    // The cluster is (again) ready: subscribe what waited for it, send what waited.
    for (let i = 0; i < this.state.length; i++) if (this.state[i] === ASKED && !this.lost.has(i)) this.subscribe(i);
    queueMicrotask(() => this.relay.flush());
  }

  protected override connectionClosed(role: string): void {
    if (role !== 'publisher') return;
    // The whole cluster is away: every subscription must be acknowledged again.
    for (let i = 0; i < this.state.length; i++) {
      if (this.state[i] === NONE) continue;
      if (this.state[i] === LIVE) {
        this.state[i] = ASKED;
        this.asked++;
      }
      this.epochs[i]++;
    }
  }

  protected override async stop(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.cluster.off('smessageBuffer', this.onMessage);
    this.cluster.off('-node', this.onNodeLost);
    this.cluster.off('subscribersReady', this.onSubscribersReady);
    const leaving: Array<Promise<unknown>> = [];
    for (let i = 0; i < this.state.length; i++) {
      if (this.state[i] === NONE) continue;
      this.state[i] = NONE;
      leaving.push(this.cluster.sunsubscribe(this.names[i]).then(undefined, this.reportFailure));
    }
    this.held = 0;
    this.asked = 0;
    this.lost.clear();
    if (this.cluster.status === 'ready') await Promise.all(leaving);
  }

  /** The master serving channel `i`'s slot now. */
  private ownerOf(channel: number): string | undefined {
    return this.cluster.slots[this.slotOf[channel]]?.[0];
  }

  /** Marks the held channels that pass `test` as lost (to be restored), and the subscribers as down. */
  private loseWhere(test: (channel: number) => boolean): void {
    let any = false;
    for (let i = 0; i < this.state.length; i++) {
      if (this.state[i] === NONE || !test(i)) continue;
      if (this.state[i] === LIVE) {
        this.state[i] = ASKED;
        this.asked++;
      }
      this.epochs[i]++;
      this.lost.add(i);
      any = true;
    }
    if (any) this.shards.down();
  }

  /** SSUBSCRIBE one channel; live when acknowledged (unless its shard was lost meanwhile). */
  private subscribe(channel: number): Promise<boolean> {
    const epoch = this.epochs[channel];
    const owner = this.ownerOf(channel);
    return this.cluster.ssubscribe(this.names[channel]).then(
      () => {
        if (epoch !== this.epochs[channel] || this.isClosed || this.state[channel] !== ASKED) return false;
        this.ackedOn[channel] = owner;
        this.state[channel] = LIVE;
        this.asked--;
        this.settle();
        return true;
      },
      (error: unknown) => {
        if (this.isClosed || epoch !== this.epochs[channel]) return false;
        this.fail(error);
        // Refused while the cluster is up (rare): count it as lost, so that it is restored.
        if (this.state[channel] === ASKED) {
          this.lost.add(channel);
          this.retryLater();
        }
        return false;
      },
    );
  }

  /** SUNSUBSCRIBE one channel; `ready()` waits for the reply. */
  private unsubscribe(channel: number): void {
    this.unsubscribing++;
    const done = (): void => {
      this.unsubscribing--;
      this.settle();
    };
    this.cluster.sunsubscribe(this.names[channel]).then(done, (error: unknown) => {
      done();
      this.reportFailure(error);
    });
  }

  /**
   * Restores the subscriptions of lost shards: for each shard, once its master answers a
   * command (EXISTS on a channel name, which routes by slot), SSUBSCRIBE its channels again.
   * ioredis resubscribes by itself too; this makes the bridge know when it is done, and
   * covers a client that does not.
   */
  private async restore(): Promise<void> {
    if (this.restoring) return;
    this.restoring = true;
    try {
      while (this.lost.size > 0 && !this.isClosed && this.cluster.status === 'ready') {
        const byShard = new Map<string, number[]>();
        for (const channel of this.lost) {
          const shard = this.cluster.slots[this.slotOf[channel]]?.[0] ?? '?';
          const list = byShard.get(shard);
          if (list === undefined) byShard.set(shard, [channel]);
          else list.push(channel);
        }
        await Promise.all([...byShard.values()].map((channels) => this.restoreShard(channels)));
        if (this.lost.size === 0) break;
        await new Promise((resolve) => {
          this.retryTimer = setTimeout(resolve, RETRY_MS);
          this.retryTimer.unref();
        });
      }
    } finally {
      this.restoring = false;
    }
    if (this.lost.size === 0 && !this.isClosed) this.shards.up();
  }

  private async restoreShard(channels: number[]): Promise<void> {
    try {
      await this.cluster.exists(this.names[channels[0]]);
    } catch {
      // The shard is still away: the next round asks again.
      return;
    }
    await Promise.all(channels.map((channel) => (this.state[channel] === ASKED ? this.subscribe(channel) : undefined)));
    // Restored (live), or let go meanwhile; what is still asked stays lost for the next round.
    for (const channel of channels) if (this.state[channel] !== ASKED) this.lost.delete(channel);
  }

  private retryLater(): void {
    if (this.restoring) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.restore(), RETRY_MS);
    this.retryTimer.unref();
  }
}
