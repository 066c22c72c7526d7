/**
 * `RedisBridge`: brokers in several processes share their messages over Redis Pub/Sub.
 *
 * @module
 */
import type { PubSubBroker } from 'logcaster';
import { invalidArgType } from '../internal/coded-errors.js';
import type { BridgeStats, ConnectionRole } from '../bridge/events.js';
import { checkBridgeOptions } from '../bridge/options.js';
import { numberRule, requireNumber } from '../internal/checks.js';
import { optionKeys } from '../internal/options.js';
import { MAX_TIMER_MS } from '../internal/timers.js';
import { CHANNEL_BRIDGE_OPTION_KEYS, ChannelBridge, channelMapOptions, type ChannelBridgeOptions } from './channel-bridge.js';
import { ChannelMap } from './channel-map.js';
import { checkClient, type RedisPublisherClient, type RedisSubscriberClient } from './client.js';

/** Options of {@link RedisBridge}. */
export interface RedisBridgeOptions<T> extends ChannelBridgeOptions<T> {
  /** The connection to publish on (an ioredis client). Never closed by the bridge. */
  publisher: RedisPublisherClient;
  /**
   * The connection to subscribe on: a second ioredis client (`publisher.duplicate()`),
   * since a subscribed connection can do nothing else. Never closed by the bridge.
   */
  subscriber: RedisSubscriberClient;
  /**
   * After the publisher reconnects, how long at most the outbox is held back until the
   * other nodes' subscribers are back: the bridge asks Redis (`PUBSUB NUMSUB`) every 25 ms
   * and sends as soon as each channel it published on has as many subscribers as before
   * the outage, or when this time is up. Without it, what waited in the outbox is sent
   * before the others have resubscribed, and lost to them. 0 sends at once. The default
   * covers ioredis's default reconnect back-off (at most 2 s between attempts). Needs the
   * publisher's `callBuffer` (ioredis has it); without it there is no hold. A number from 0
   * to 2147483647 (the longest delay a timer honours).
   * @default 3000
   */
  resubscribeGraceMs?: number;
}

/** The keys of {@link RedisBridgeOptions}, for the check of unknown keys. */
export const REDIS_BRIDGE_OPTION_KEYS = /* @__PURE__ */ optionKeys<RedisBridgeOptions<unknown>>({
  ...CHANNEL_BRIDGE_OPTION_KEYS,
  publisher: true,
  subscriber: true,
  resubscribeGraceMs: true,
});

const GRACE_RULE = /* @__PURE__ */ numberRule({ min: 0, max: MAX_TIMER_MS });

/** A channel's Redis subscription: none, asked for (not acknowledged yet), acknowledged. */
const NONE = 0;
const ASKED = 1;
const LIVE = 2;

/** How often the outbox hold asks Redis whether the subscribers are back. */
const HOLD_POLL_MS = 25;
/** Pause before asking again after a SUBSCRIBE failed on a connected subscriber. */
const RETRY_MS = 100;

/**
 * Shares a broker's messages with the brokers of other processes through Redis Pub/Sub.
 *
 * - Drop-in: once attached, plain `broker.publish(topic, message)` delivers to this node's
 *   subscribers and sends to Redis; the other nodes deliver it to theirs, exactly once
 *   each; this node skips its own echo. `broker.publishLocal` (or `bridge.publishLocal`)
 *   keeps a message on this node.
 * - Topics are routed to one of `channels` Redis channels by hashing their first `levels`
 *   levels ({@link ChannelMap}), with the broker's topic syntax (`broker.syntax`). The bridge
 *   follows the broker's subscriptions (made before or after it) and subscribes to the
 *   channels they need, reference-counted. `await bridge.ready()` resolves once Redis has
 *   acknowledged them.
 * - Redis going away never throws into or blocks a publisher: publishes wait in a bounded
 *   outbox (drop-oldest by default, counted, `'drop'`), held after the reconnect until the
 *   other nodes have resubscribed (`resubscribeGraceMs`), then sent in order.
 *   `'disconnect'`, `'reconnect'` and `'gap'` tell what happened.
 *
 * The guarantee is **at most once**: a message published while a receiver's subscriber
 * connection is down is lost to it (reported as a `'gap'` once the next message from its
 * sender arrives). Use {@link RedisStreamBridge} for no loss.
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
 * await bridge.ready();
 * broker.publish('logs/api/ERROR', entry); // here and on every other node
 * ```
 */
export class RedisBridge<T> extends ChannelBridge<T> {
  private readonly publisher: RedisPublisherClient;
  private readonly subscriber: RedisSubscriberClient;
  private readonly graceMs: number;
  /** Per channel: {@link NONE}, {@link ASKED} or {@link LIVE}. */
  private readonly state: Uint8Array;
  /** Per channel: subscribers the last PUBLISH reached (Redis's reply), for the outbox hold. */
  private readonly receivers: Int32Array;
  /** Channels of the PUBLISHes awaiting their reply, in order (replies come in order). */
  private readonly inFlight: number[] = [];
  private inFlightHead = 0;
  private held = 0;
  private asked = 0;
  /** UNSUBSCRIBEs sent and not answered yet. */
  private unsubscribing = 0;
  /** Grows when the subscriber connection closes: acknowledgements of older SUBSCRIBEs are stale. */
  private epoch = 0;
  private holdRun = 0;
  private holds = 0;
  private lastHoldMs = 0;
  private retryTimer: NodeJS.Timeout | undefined = undefined;
  private readonly onMessage = (channel: Buffer, message: Buffer): void => {
    const index = this.channelMap.indexOf(channel.toString('utf8'));
    if (index === -1 || this.state[index] === NONE) return;
    this.relay.receive(index, message);
  };
  private readonly onPublished = (receivers: unknown): void => {
    const channel = this.nextInFlight();
    if (channel !== undefined && typeof receivers === 'number') this.receivers[channel] = receivers;
  };
  private readonly onPublishFailed = (error: unknown): void => {
    this.nextInFlight();
    this.relay.sendFailed(error);
  };

  /**
   * @throws TypeError or RangeError (coded `ERR_INVALID_ARG_TYPE` / `ERR_OUT_OF_RANGE`) for
   * a bad option, naming it; TypeError (`ERR_UNKNOWN_OPTION`) for a key that is not an option,
   * naming the nearest one.
   * @throws {@link BridgeError} (`ERR_BRIDGE_BROKER_TAKEN`) when another bridge is
   * attached to the broker.
   */
  constructor(broker: PubSubBroker<T>, options: RedisBridgeOptions<T>) {
    checkBridgeOptions('new RedisBridge', options, REDIS_BRIDGE_OPTION_KEYS);
    checkClient('publisher', options.publisher, ['publish']);
    checkClient('subscriber', options.subscriber, ['subscribe', 'unsubscribe']);
    if (options.publisher === (options.subscriber as unknown)) {
      throw invalidArgType('publisher and subscriber must be two connections (use publisher.duplicate())');
    }
    const graceMs = requireNumber('resubscribeGraceMs', options.resubscribeGraceMs ?? 3000, GRACE_RULE);
    const map = new ChannelMap(channelMapOptions(options), broker.syntax);
    super({
      name: 'RedisBridge',
      broker,
      options,
      links: [
        ['publisher', options.publisher],
        ['subscriber', options.subscriber],
      ],
      map,
      names: Array.from({ length: map.channels }, (_, i) => map.name(i)),
    });
    this.publisher = options.publisher;
    this.subscriber = options.subscriber;
    this.graceMs = graceMs;
    this.state = new Uint8Array(this.channelMap.channels);
    this.receivers = new Int32Array(this.channelMap.channels);
    this.subscriber.on('messageBuffer', this.onMessage);
  }

  protected override canSend(): boolean {
    return this.publisher.status === 'ready';
  }

  protected override sendEnvelope(channel: number, data: Buffer): void {
    const sending = this.publisher.publish(this.names[channel], data);
    // After the call: a client that throws has nothing in flight.
    this.inFlight.push(channel);
    // One reaction for both outcomes: no second promise per message.
    sending.then(this.onPublished, this.onPublishFailed);
  }

  protected override isLive(): boolean {
    return this.asked === 0 && this.unsubscribing === 0;
  }

  protected override pendingDescription(): string {
    return `${this.asked} of ${this.held} channels not acknowledged, ${this.unsubscribing} UNSUBSCRIBE(s) unanswered; subscriber ${this.subscriber.status}`;
  }

  protected override listening(): number {
    return this.held;
  }

  protected override holdCounters(): Pick<BridgeStats, 'outboxHolds' | 'lastHoldMs'> {
    return { outboxHolds: this.holds, lastHoldMs: this.lastHoldMs };
  }

  protected override applyChannels(wants: (channel: number) => boolean): void {
    const add: number[] = [];
    const remove: string[] = [];
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
        remove.push(this.channelMap.name(i));
        // A later resubscribe starts afresh: what was sent meanwhile is not a gap.
        this.forget(i);
      }
    }
    // Not before the connection is ready: ioredis would send a queued SUBSCRIBE ahead of its
    // ready check (INFO), which fails in subscriber mode and drops the connection. The
    // 'ready' hook subscribes to everything held.
    if (this.subscriber.status !== 'ready') return;
    if (add.length > 0) this.subscribe(add);
    if (remove.length > 0) this.unsubscribe(remove);
  }

  /**
   * Sends UNSUBSCRIBE; `ready()` waits for its reply too, so that once it resolves Redis no
   * longer routes those channels here (a query on another connection sees them gone).
   */
  private unsubscribe(names: string[]): void {
    this.unsubscribing++;
    const done = (): void => {
      this.unsubscribing--;
      this.settle();
    };
    this.subscriber.unsubscribe(...names).then(done, (error: unknown) => {
      done();
      this.reportFailure(error);
    });
  }

  protected override connectionClosed(role: ConnectionRole): void {
    if (role !== 'subscriber') return;
    // The server forgot this connection's subscriptions: each must be acknowledged again.
    this.epoch++;
    for (let i = 0; i < this.state.length; i++) if (this.state[i] === LIVE) this.state[i] = ASKED;
    this.asked = this.held;
  }

  protected override connectionReady(role: ConnectionRole, reconnected: boolean): void {
    if (role === 'subscriber') {
      // Every ready, the first included (SUBSCRIBEs are held back until then). ioredis
      // resubscribes by itself too; a repeated SUBSCRIBE is harmless and this one is tracked.
      this.subscribeHeld();
      return;
    }
    if (reconnected && this.graceMs > 0 && typeof this.publisher.callBuffer === 'function') {
      void this.holdForSubscribers();
      return;
    }
    // After the current task: ioredis resends the commands the outage interrupted right
    // after emitting 'ready'; sending the outbox first would overtake them.
    queueMicrotask(() => this.relay.flush());
  }

  protected override async stop(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.holdRun++;
    this.subscriber.off('messageBuffer', this.onMessage);
    const names: string[] = [];
    for (let i = 0; i < this.state.length; i++) if (this.state[i] !== NONE) names.push(this.channelMap.name(i));
    this.state.fill(NONE);
    this.held = 0;
    this.asked = 0;
    if (names.length === 0) return;
    const leaving = this.subscriber.unsubscribe(...names).then(undefined, this.reportFailure);
    // A disconnected subscriber holds nothing on the server: no need to wait for it.
    if (this.subscriber.status === 'ready') await leaving;
  }

  private nextInFlight(): number | undefined {
    if (this.inFlightHead >= this.inFlight.length) return undefined;
    const channel = this.inFlight[this.inFlightHead++];
    // Compact now and then, so the array does not grow forever.
    if (this.inFlightHead > 1024 && this.inFlightHead * 2 > this.inFlight.length) {
      this.inFlight.splice(0, this.inFlightHead);
      this.inFlightHead = 0;
    }
    return channel;
  }

  private subscribeHeld(): void {
    const all: number[] = [];
    for (let i = 0; i < this.state.length; i++) if (this.state[i] !== NONE) all.push(i);
    if (all.length > 0) this.subscribe(all);
  }

  /** Sends SUBSCRIBE for `channels`; when Redis acknowledges it on this connection, they are live. */
  private subscribe(channels: number[]): void {
    const epoch = this.epoch;
    const names = channels.map((i) => this.channelMap.name(i));
    this.subscriber.subscribe(...names).then(
      () => {
        if (epoch !== this.epoch || this.isClosed) return;
        for (const i of channels) {
          if (this.state[i] !== ASKED) continue;
          this.state[i] = LIVE;
          this.asked--;
        }
        this.settle();
      },
      (error: unknown) => {
        if (this.isClosed) return;
        this.fail(error);
        if (epoch !== this.epoch || this.retryTimer !== undefined) return;
        // Connected but refused (rare): ask again for what is still not acknowledged.
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          if (!this.isClosed && this.subscriber.status === 'ready') this.subscribeHeld();
        }, RETRY_MS);
        this.retryTimer.unref();
      },
    );
  }

  /**
   * Holds the outbox after the publisher reconnected until every channel this node had
   * published on has as many subscribers as its last PUBLISH reached (the other nodes are
   * back), or `resubscribeGraceMs` is up; then sends it.
   */
  private async holdForSubscribers(): Promise<void> {
    const run = ++this.holdRun;
    const started = this.resolved.now();
    const deadline = started + this.graceMs;
    this.relay.hold('resubscribe');
    this.holds++;
    // A snapshot: the PUBLISHes the outage interrupted are resent now and their replies
    // (made before the others resubscribed) would lower the counts to wait for.
    const expected = this.receivers.slice();
    const waiting: number[] = [];
    for (let i = 0; i < expected.length; i++) if (expected[i] > 0) waiting.push(i);
    try {
      while (waiting.length > 0 && run === this.holdRun && this.publisher.status === 'ready') {
        const names = waiting.map((i) => this.channelMap.name(i));
        const reply = await this.publisher.callBuffer?.('PUBSUB', 'NUMSUB', ...names);
        if (run !== this.holdRun) return;
        const counts = numsubCounts(reply);
        for (let k = waiting.length - 1; k >= 0; k--) {
          const count = counts.get(this.channelMap.name(waiting[k]));
          if (count !== undefined && count >= expected[waiting[k]]) waiting.splice(k, 1);
        }
        if (waiting.length === 0 || this.resolved.now() >= deadline) break;
        await new Promise((resolve) => setTimeout(resolve, HOLD_POLL_MS).unref());
      }
    } catch (error) {
      if (run === this.holdRun && !this.isClosed) this.fail(error);
    } finally {
      if (run === this.holdRun && !this.isClosed) {
        this.lastHoldMs = this.resolved.now() - started;
        this.relay.release('resubscribe');
      }
    }
  }
}

/** The counts of a `PUBSUB NUMSUB` reply: a flat `channel, count, …` array (RESP2 and ioredis 6 alike). */
function numsubCounts(reply: unknown): Map<string, number> {
  const counts = new Map<string, number>();
  if (!Array.isArray(reply)) return counts;
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const name: unknown = reply[i];
    const count: unknown = reply[i + 1];
    const key = Buffer.isBuffer(name) ? name.toString('utf8') : String(name);
    counts.set(key, typeof count === 'number' ? count : Number(count));
  }
  return counts;
}
