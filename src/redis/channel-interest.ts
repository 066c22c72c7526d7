/**
 * Which Redis channels a node needs, from the patterns its broker's subscribers use,
 * reference-counted so that the last local interest going away releases the channel.
 *
 * @module
 */
import type { PubSubBroker, Subscription, UnsubscribeReason } from 'logcaster';
import { ALL_CHANNELS, type ChannelMap } from './channel-map.js';

/**
 * Follows a broker's `'subscribe'`/`'unsubscribe'` events (so code that subscribes on the
 * broker directly just works) and counts, per channel, the live subscriptions that need it.
 * A pattern with a wildcard in the hashed levels needs every channel. `onChange` is called
 * whenever the set of needed channels may have changed; the owner reconciles (batched).
 */
export class ChannelInterest<T> {
  private readonly counts: Int32Array;
  private everything = 0;
  private readonly tracked = new Map<Subscription<T>, number>();
  private readonly onSubscribe = (sub: Subscription<T>): void => this.add(sub);
  private readonly onUnsubscribe = (sub: Subscription<T>, _reason: UnsubscribeReason): void => this.remove(sub);
  private attached = false;

  constructor(
    private readonly broker: PubSubBroker<T>,
    private readonly map: ChannelMap,
    private readonly onChange: () => void,
  ) {
    this.counts = new Int32Array(map.channels);
  }

  /** Counts the broker's live subscriptions and starts following its events. */
  start(): void {
    if (this.attached) return;
    this.attached = true;
    this.broker.on('subscribe', this.onSubscribe);
    this.broker.on('unsubscribe', this.onUnsubscribe);
    for (const sub of this.broker.subscriptions()) this.add(sub);
  }

  /** Stops following the broker and forgets every count. */
  stop(): void {
    if (!this.attached) return;
    this.attached = false;
    this.broker.off('subscribe', this.onSubscribe);
    this.broker.off('unsubscribe', this.onUnsubscribe);
    this.tracked.clear();
    this.counts.fill(0);
    this.everything = 0;
    this.onChange();
  }

  /** Whether channel `index` is needed by at least one live subscription. */
  wants(index: number): boolean {
    return this.everything > 0 || this.counts[index] > 0;
  }

  /** Live subscriptions counted. */
  get size(): number {
    return this.tracked.size;
  }

  private add(sub: Subscription<T>): void {
    if (this.tracked.has(sub) || !sub.active) return;
    const channel = this.map.channelsOf(sub.pattern);
    this.tracked.set(sub, channel);
    if (channel === ALL_CHANNELS) {
      if (++this.everything === 1) this.onChange();
    } else if (++this.counts[channel] === 1 && this.everything === 0) {
      this.onChange();
    }
  }

  private remove(sub: Subscription<T>): void {
    const channel = this.tracked.get(sub);
    // Not counted: made before an aborted signal, or before start().
    if (channel === undefined) return;
    this.tracked.delete(sub);
    if (channel === ALL_CHANNELS) {
      if (--this.everything === 0) this.onChange();
    } else if (--this.counts[channel] === 0 && this.everything === 0) {
      this.onChange();
    }
  }
}
