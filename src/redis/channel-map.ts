/**
 * Topic → Redis channel routing: a fixed number of channels, chosen by hashing a topic's
 * first levels, so that every node agrees without talking to the others.
 *
 * @module
 */
import { resolveTopicSyntax, type TopicSyntax } from 'logcaster/adapter';
import { invalidArgType, outOfRange } from '../internal/coded-errors.js';
import { COUNT_FROM_1, mustBe, numberRule, requireNumber } from '../internal/checks.js';
import { checkOptions, optionKeys } from '../internal/options.js';

/** Options of {@link ChannelMap}. Every node of a cluster must use the same values. */
export interface ChannelMapOptions {
  /**
   * The prefix of every Redis channel and key the bridge uses: channels are
   * `${prefix}:${n}` (`${prefix}:{${n}}` for `RedisShardedBridge`), streams
   * `${prefix}:stream:${n}`. Separate clusters sharing one Redis use different prefixes. A
   * non-empty string.
   * @default 'logcaster'
   */
  prefix?: string;
  /**
   * How many Redis channels topics are spread over. More channels let a node with narrow
   * subscriptions receive less of the traffic it does not want; a node with a wildcard in
   * the hashed levels subscribes to all of them. An integer from 1 to 65536.
   * @default 64
   */
  channels?: number;
  /**
   * How many leading topic levels are hashed: with 2, `logs/payments/ERROR` and
   * `logs/payments/INFO` share a channel, and a node subscribed to `logs/payments/#` needs
   * only that one. An integer >= 1.
   * @default 2
   */
  levels?: number;
}

/** The keys of {@link ChannelMapOptions}, for the check of unknown keys. */
export const CHANNEL_MAP_OPTION_KEYS = /* @__PURE__ */ optionKeys<ChannelMapOptions>({ prefix: true, channels: true, levels: true });

const CHANNELS_RULE = /* @__PURE__ */ numberRule({ min: 1, max: 65_536, integer: true });

/** FNV-1a, 32 bits, over the UTF-8 bytes of `text` from `start` to `end`. */
function fnv1a(text: string, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    let code = text.charCodeAt(i);
    if (code < 0x80) {
      hash = Math.imul(hash ^ code, 0x01000193);
      continue;
    }
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < end) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    // Lone surrogates hash as U+FFFD, as Buffer.from would encode them.
    if (code >= 0xd800 && code <= 0xdfff) code = 0xfffd;
    if (code < 0x800) {
      hash = Math.imul(hash ^ (0xc0 | (code >> 6)), 0x01000193);
    } else {
      if (code < 0x10000) {
        hash = Math.imul(hash ^ (0xe0 | (code >> 12)), 0x01000193);
      } else {
        hash = Math.imul(hash ^ (0xf0 | (code >> 18)), 0x01000193);
        hash = Math.imul(hash ^ (0x80 | ((code >> 12) & 0x3f)), 0x01000193);
      }
      hash = Math.imul(hash ^ (0x80 | ((code >> 6) & 0x3f)), 0x01000193);
    }
    hash = Math.imul(hash ^ (0x80 | (code & 0x3f)), 0x01000193);
  }
  return hash >>> 0;
}

/** Every channel: what {@link ChannelMap.channelsOf} returns for a wildcard in the hashed levels. */
export const ALL_CHANNELS = -1;

/**
 * Maps topics to one of `channels` Redis channels by hashing their first `levels` levels
 * (FNV-1a over UTF-8, modulo `channels`), and patterns to the channel they need: one when
 * the hashed levels hold no wildcard, {@link ALL_CHANNELS} otherwise.
 *
 * @example
 * ```ts
 * const map = new ChannelMap({ channels: 64, levels: 2 });
 * map.channelOf('logs/payments/ERROR') === map.channelsOf('logs/payments/#'); // true
 * map.channelsOf('logs/#'); // ALL_CHANNELS: the second level is a wildcard
 * map.name(map.channelOf('logs/payments/ERROR')); // e.g. 'logcaster:17'
 * ```
 */
export class ChannelMap {
  /** The channel and key prefix. */
  readonly prefix: string;
  /** How many channels. */
  readonly channels: number;
  /** How many leading levels are hashed. */
  readonly levels: number;
  /** The topic syntax (a bridge passes its broker's `syntax`). */
  readonly syntax: Readonly<TopicSyntax>;
  /**
   * Whether channel names carry their index as a Redis Cluster hash tag (`${prefix}:{${n}}`):
   * each channel then lives in the one hash slot of its index, whatever the prefix.
   */
  readonly tagged: boolean;
  private readonly names: string[];
  private readonly indexes = new Map<string, number>();

  /**
   * @param syntax the topic syntax of the broker being bridged: a bridge passes
   *   `broker.syntax`, so there is one place to set it.
   * @param tagged name channels `${prefix}:{${n}}` (hash tags, for Redis Cluster's sharded
   *   Pub/Sub) instead of `${prefix}:${n}`.
   * @throws TypeError (`ERR_INVALID_ARG_TYPE`) when `options` is not an object or `prefix` is
   *   not a non-empty string; (`ERR_UNKNOWN_OPTION`) for a key that is not an option.
   * @throws RangeError (`ERR_OUT_OF_RANGE`) when `channels` or `levels` is out of range.
   */
  constructor(options: ChannelMapOptions = {}, syntax: Readonly<TopicSyntax> = resolveTopicSyntax(), tagged = false) {
    checkOptions('new ChannelMap', options, CHANNEL_MAP_OPTION_KEYS);
    const prefix = options.prefix ?? 'logcaster';
    if (typeof prefix !== 'string' || prefix.length === 0) throw invalidArgType(mustBe('prefix', 'a non-empty string', prefix));
    const channels = requireNumber('channels', options.channels ?? 64, CHANNELS_RULE);
    const levels = requireNumber('levels', options.levels ?? 2, COUNT_FROM_1);
    this.prefix = prefix;
    this.channels = channels;
    this.levels = levels;
    this.syntax = syntax;
    this.tagged = tagged;
    this.names = [];
    for (let i = 0; i < channels; i++) {
      const name = tagged ? `${prefix}:{${i}}` : `${prefix}:${i}`;
      this.names.push(name);
      this.indexes.set(name, i);
    }
  }

  /** The channel (0 to `channels - 1`) a topic is published on. */
  channelOf(topic: string): number {
    const sep = this.syntax.separator;
    // The hashed part ends at the `levels`-th separator, or with the topic.
    let end = -1;
    let from = 0;
    for (let level = 0; level < this.levels; level++) {
      end = topic.indexOf(sep, from);
      if (end === -1) break;
      from = end + sep.length;
    }
    if (end === -1) end = topic.length;
    return fnv1a(topic, 0, end) % this.channels;
  }

  /**
   * The channel a subscriber to `pattern` needs: the one its topics hash to when its first
   * `levels` levels hold no wildcard, or {@link ALL_CHANNELS}.
   */
  channelsOf(pattern: string): number {
    const { separator, singleLevelWildcard, multiLevelWildcard } = this.syntax;
    const levels = pattern.split(separator, this.levels);
    for (const level of levels) {
      if (level === singleLevelWildcard || level === multiLevelWildcard) return ALL_CHANNELS;
    }
    return this.channelOf(pattern);
  }

  /** The Redis channel name of channel `index`: `${prefix}:${index}` (or `${prefix}:{${index}}`). */
  name(index: number): string {
    const name = this.names[index];
    if (name === undefined) throw outOfRange(`channel index out of range (got ${String(index)})`);
    return name;
  }

  /** The channel index of a Redis channel name, or `-1` when it is not one of this map's. */
  indexOf(name: string): number {
    return this.indexes.get(name) ?? -1;
  }
}
