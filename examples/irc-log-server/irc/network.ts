/**
 * The IRC side's view of the other nodes: where chat goes when it must reach users this
 * node does not have, and who owns a nick network-wide. The server gives an implementation
 * (`cluster/chat-bus.ts`: chat as broker topics, carried by the same Redis bridge as the
 * log entries); without one, a node is a network of its own.
 *
 * @module
 */
import type { ChatEvent } from './chat-line.js';

/** Network-wide nick ownership. */
export interface NickClaims {
  /**
   * Claims `folded` for this node. Resolves `false` when another node holds it.
   * A claim lives while this node does (it is refreshed, and expires when the node dies).
   */
  claim(folded: string): Promise<boolean>;
  /** Gives `folded` back (the user quit or changed nick). */
  release(folded: string): void;
  /** Whether a node other than this one holds `folded`. */
  heldElsewhere(folded: string): Promise<boolean>;
}

/** Chat across nodes. */
export interface ChatNetwork {
  /**
   * Sends a channel message to the channel's members on every node, this one included
   * (the network calls back the local delivery; the sender is skipped by its id).
   */
  toChannel(event: ChatEvent): void;
  /** Sends a message to the user called `event.target` on whichever other node has it. */
  toUser(event: ChatEvent): void;
  /** Network-wide nicks; absent when this node is alone. */
  readonly claims?: NickClaims;
}
