/**
 * Which channels a node needs, from the patterns its broker's subscribers use,
 * reference-counted so that the last local interest going away releases the channel.
 *
 * @module
 */
import type { Subscription } from 'logcaster';
import type { Interest } from '../bridge/bridge-base.js';
import { ALL_CHANNELS, type ChannelMap } from './channel-map.js';

/**
 * Counts, per channel, the live subscriptions that need it. A pattern with a wildcard in the
 * hashed levels needs every channel. The bridge feeds it the broker's subscriptions and
 * reconciles (batched) when {@link ChannelInterest.add} or `remove` says the set changed.
 */
export class ChannelInterest<T> implements Interest<T> {
  private readonly counts: Int32Array;
  private everything = 0;
  private readonly tracked = new Map<Subscription<T>, number>();

  constructor(private readonly map: ChannelMap) {
    this.counts = new Int32Array(map.channels);
  }

  /** Whether channel `index` is needed by at least one live subscription. */
  wants(index: number): boolean {
    return this.everything > 0 || this.counts[index] > 0;
  }

  /** Live subscriptions counted. */
  get size(): number {
    return this.tracked.size;
  }

  add(sub: Subscription<T>): boolean {
    if (this.tracked.has(sub) || !sub.active) return false;
    const channel = this.map.channelsOf(sub.pattern);
    this.tracked.set(sub, channel);
    if (channel === ALL_CHANNELS) return ++this.everything === 1;
    return ++this.counts[channel] === 1 && this.everything === 0;
  }

  remove(sub: Subscription<T>): boolean {
    const channel = this.tracked.get(sub);
    // Not counted: made before an aborted signal, or before the bridge.
    if (channel === undefined) return false;
    this.tracked.delete(sub);
    if (channel === ALL_CHANNELS) return --this.everything === 0;
    return --this.counts[channel] === 0 && this.everything === 0;
  }

  clear(): void {
    this.tracked.clear();
    this.counts.fill(0);
    this.everything = 0;
  }
}
