/**
 * What the three Redis bridges share beyond {@link BridgeBase}: topics travel on a fixed
 * number of channels ({@link ChannelMap}), counted per channel, and a node follows the
 * channels its subscriptions need.
 *
 * @module
 */
import type { PubSubBroker } from 'logcaster';
import { BridgeBase } from '../bridge/bridge-base.js';
import type { ConnectionRole } from '../bridge/events.js';
import type { BridgeLink } from '../bridge/link-watch.js';
import { BRIDGE_OPTION_KEYS, type BridgeOptions } from '../bridge/options.js';
import { ChannelSequencer } from '../bridge/sequencer.js';
import { optionKeys } from '../internal/options.js';
import { ChannelInterest } from './channel-interest.js';
import { CHANNEL_MAP_OPTION_KEYS, ChannelMap, type ChannelMapOptions } from './channel-map.js';

/** Options every Redis bridge takes: {@link BridgeOptions} and the {@link ChannelMapOptions}. */
export interface ChannelBridgeOptions<T> extends BridgeOptions<T>, ChannelMapOptions {}

/** The keys of {@link ChannelBridgeOptions}: each Redis bridge adds its own to these. */
export const CHANNEL_BRIDGE_OPTION_KEYS = /* @__PURE__ */ optionKeys<ChannelBridgeOptions<unknown>>({
  ...BRIDGE_OPTION_KEYS,
  ...CHANNEL_MAP_OPTION_KEYS,
});

/** The {@link ChannelMapOptions} of a bridge's options, alone (the map checks its keys). */
export function channelMapOptions(options: ChannelMapOptions): ChannelMapOptions {
  return { prefix: options.prefix, channels: options.channels, levels: options.levels };
}

/** What a Redis bridge hands to {@link ChannelBridge}'s constructor. */
export interface ChannelBridgeSetup<T> {
  name: string;
  broker: PubSubBroker<T>;
  options: ChannelBridgeOptions<T>;
  links: ReadonlyArray<readonly [ConnectionRole, BridgeLink]>;
  /** See {@link BridgeSetup.witness}. */
  witness?: boolean;
  /** The channel map (made by the subclass: Pub/Sub names or hash-tagged names). */
  map: ChannelMap;
  /** The Redis name of each channel (a channel, a stream key), by index. */
  names: readonly string[];
}

/**
 * The shared half of {@link RedisBridge}, {@link RedisStreamBridge} and
 * {@link RedisShardedBridge}.
 *
 * @typeParam T - the message type.
 */
export abstract class ChannelBridge<T> extends BridgeBase<T, number> {
  /** How topics map to Redis channels (or streams). */
  readonly channelMap: ChannelMap;
  /** @internal */
  protected readonly names: readonly string[];
  private readonly channels: ChannelInterest<T>;

  protected constructor(setup: ChannelBridgeSetup<T>) {
    const { map, names } = setup;
    const channels = new ChannelInterest<T>(map);
    super({
      name: setup.name,
      engine: 'Redis',
      broker: setup.broker,
      options: setup.options,
      links: setup.links,
      witness: setup.witness,
      interest: channels,
      sequencer: (resolved) =>
        new ChannelSequencer(map.channels, resolved.maxOrigins, (topic) => map.channelOf(topic), (channel) => names[channel]),
    });
    this.channelMap = map;
    this.names = names;
    this.channels = channels;
  }

  /** Follows the interest: subscribe to the channels now needed, let go of the rest. @internal */
  protected abstract applyChannels(wants: (channel: number) => boolean): void;

  protected override applyInterest(): void {
    this.applyChannels((channel) => this.channels.wants(channel));
  }

  /** Forgets a channel's sequence numbers once it is let go: a later resubscribe starts afresh. @internal */
  protected forget(channel: number): void {
    (this.sequencer as ChannelSequencer).forget(channel);
  }
}
