/**
 * What the IRC commands know of channels: a named set of members with a topic, and a
 * directory that finds, joins, parts and relays. Which channels exist and what feeds them is
 * the directory's business (today `logs/log-channels.ts`, the log channels), not the commands'.
 *
 * @module
 */
import type { Client } from './client.js';
import type { OutLine } from './client.js';

/** A channel as the commands see it. */
export interface Channel {
  /** Case-folded name, the key in every table. */
  readonly key: string;
  /** Name as shown (canonical spelling). */
  readonly name: string;
  /** Topic text (332). */
  readonly topic: string;
  /** Creation time, seconds since the epoch (329, 333). */
  readonly createdAt: number;
  /** This node's members, in join order (the other nodes' are in `ServerContext.remote`). */
  readonly members: Set<Client>;
}

/** Why a JOIN was refused: the numeric and its text. */
export interface ChannelRefusal {
  readonly numeric: '403' | '405' | '476';
  readonly text: string;
}

/** The channels a server has, as the commands use them. */
export interface ChannelDirectory {
  /** The channel called `name`, if it exists. */
  find(name: string): Channel | undefined;
  /** Every existing channel, in a stable order. */
  all(): Iterable<Channel>;
  /**
   * Adds `client` to the channel called `name`, creating it if the directory allows. The
   * caller checks that the client is not already a member.
   */
  join(client: Client, name: string): Channel | ChannelRefusal;
  /** Removes `client` from `channel`. */
  part(client: Client, channel: Channel): void;
  /**
   * Queues `line` (tagged or plain per member) to every member except `from`.
   *
   * @returns how many members queued it.
   */
  relay(channel: Channel, from: Client | undefined, tagged: OutLine, plain: OutLine): number;
  /**
   * Optional: queues the channel's recent lines to `client`, which just joined (after the
   * JOIN burst, before any live line).
   */
  replay?(client: Client, channel: Channel): void;
}

/** Whether a JOIN result is a refusal. */
export function isRefusal(result: Channel | ChannelRefusal): result is ChannelRefusal {
  return 'numeric' in result;
}
