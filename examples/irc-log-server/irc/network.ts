/**
 * The IRC side's view of the other nodes: where chat goes when it must reach users this node
 * does not have, how this node tells the others what changed (a user came, joined, set a
 * topic…), and who owns a nick network-wide. The server gives an implementation
 * (`cluster/network-bus.ts`: broker topics, carried by the same bridge as the log entries);
 * without one, a node is a network of its own.
 *
 * What a change from another node does here is in `commands/remote.ts`.
 *
 * @module
 */
import type { BanEntry } from './chat-channel.js';
import type { ChatEvent } from './chat-line.js';
import type { UserInfo } from './remote-users.js';

/** The answer to a nick claim. */
export type ClaimResult = 'granted' | 'taken' | 'unconfirmed';

/** Network-wide nick ownership. */
export interface NickClaims {
  /** The engine that keeps the claims, as users read it (`Redis`, `NATS`): named when a claim cannot be confirmed. */
  readonly engine?: string;
  /**
   * Claims `folded` for this node: `'taken'` when another node holds it, `'unconfirmed'` when
   * the network could not be asked (the nick is then refused: two nodes must never both grant
   * it). A claim lives while this node does (it is refreshed, and expires when the node dies).
   */
  claim(folded: string): Promise<ClaimResult>;
  /** Gives `folded` back (the user quit or changed nick). */
  release(folded: string): void;
  /** Whether a node other than this one holds `folded`. */
  heldElsewhere(folded: string): Promise<boolean>;
}

/** An ordinary channel's shared state, as it travels between nodes (see `ChatChannel.adopt`). */
export interface ChannelState {
  readonly name: string;
  /** Seconds since the epoch. */
  readonly createdAt: number;
  readonly topic: string;
  readonly topicSetBy: string;
  readonly topicSetAt: number;
  /** The flag modes set, as letters (`nt`). */
  readonly flags: string;
  readonly key: string | undefined;
  readonly limit: number | undefined;
  readonly bans: readonly BanEntry[];
  /** User ids. */
  readonly ops: readonly string[];
  /** User ids. */
  readonly voiced: readonly string[];
  /** Folded nicks. */
  readonly invited: readonly string[];
  readonly version: number;
  readonly versionNode: string;
}

/** An IRC line to show, as data: the change that caused it already happened. */
export interface ShownLine {
  readonly source: string;
  readonly command: string;
  readonly params: readonly string[];
}

/** What changed on a node, told to the others. Each node tells only of its own users. */
export type NetworkChange =
  /** A user registered, or changed nick or away message. */
  | { readonly type: 'user'; readonly user: UserInfo }
  | { readonly type: 'quit'; readonly id: string; readonly reason: string }
  | { readonly type: 'join'; readonly id: string; readonly channel: string }
  | { readonly type: 'part'; readonly id: string; readonly channel: string; readonly reason?: string }
  /** `id` (a user of any node) was kicked by `by` (a mask). */
  | { readonly type: 'kick'; readonly id: string; readonly channel: string; readonly by: string; readonly reason: string }
  /** An ordinary channel's state changed (topic, modes, operators); `line` says so to its members. */
  | { readonly type: 'channel'; readonly state: ChannelState; readonly line?: ShownLine }
  /** `id` (a user of any node) was invited to `channel` by `by` (a mask). */
  | { readonly type: 'invite'; readonly id: string; readonly nick: string; readonly channel: string; readonly by: string };

/** The other nodes. */
export interface Network {
  /** This node's id (the prefix of its users' ids). */
  readonly node: string;
  /**
   * Sends a channel message to the channel's members on every node, this one included
   * (the network calls back the local delivery; the sender is skipped by its id).
   */
  toChannel(event: ChatEvent): void;
  /** Sends a message to the user called `event.target` on whichever other node has it. */
  toUser(event: ChatEvent): void;
  /** Tells the other nodes what changed here. */
  announce(change: NetworkChange): void;
  /** Network-wide nicks; absent when this node is alone. */
  readonly claims?: NickClaims;
}
