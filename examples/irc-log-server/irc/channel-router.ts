/**
 * One {@link ChannelDirectory} over two kinds of channel: names the log side owns (e.g.
 * everything under `#logs`) go to the log directory, every other valid name is an ordinary
 * channel ({@link ChatChannelDirectory}). The commands see one set of channels and follow the
 * same numerics for both; only what a channel allows differs.
 *
 * @module
 */
import type { Channel, ChannelDirectory, ChannelRefusal } from './channel.js';
import { ChatChannel, ChatChannelDirectory } from './chat-channel.js';
import type { Client } from './client.js';
import type { OutLine } from './client.js';

/** Options of {@link ChannelRouter}. */
export interface ChannelRouterOptions {
  /** The directory of server-owned channels (the log channels). */
  readonly owned: ChannelDirectory;
  /** Whether a name belongs to {@link ChannelRouterOptions.owned} (even if it does not exist yet). */
  readonly isOwnedName: (name: string) => boolean;
  /** Clock in ms. */
  readonly now: () => number;
  /** Channels per client, both kinds together (405 past it). */
  readonly maxChannelsPerClient: number;
  /** How many members a channel (folded name) has on the other nodes. @default none */
  readonly remoteMembers?: (key: string) => number;
}

/** Routes each channel name to the directory that owns it. */
export class ChannelRouter implements ChannelDirectory {
  /** The ordinary channels. */
  readonly chat: ChatChannelDirectory;
  private readonly owned: ChannelDirectory;
  private readonly isOwnedName: (name: string) => boolean;

  constructor(options: ChannelRouterOptions) {
    this.owned = options.owned;
    this.isOwnedName = options.isOwnedName;
    this.chat = new ChatChannelDirectory({ now: options.now, maxChannelsPerClient: options.maxChannelsPerClient, remoteMembers: options.remoteMembers });
  }

  find(name: string): Channel | undefined {
    return this.isOwnedName(name) ? this.owned.find(name) : this.chat.find(name);
  }

  *all(): Iterable<Channel> {
    yield* this.owned.all();
    yield* this.chat.all();
  }

  join(client: Client, name: string): Channel | ChannelRefusal {
    return this.isOwnedName(name) ? this.owned.join(client, name) : this.chat.join(client, name);
  }

  part(client: Client, channel: Channel): void {
    if (channel instanceof ChatChannel) this.chat.part(client, channel);
    else this.owned.part(client, channel);
  }

  relay(channel: Channel, from: Client | undefined, tagged: OutLine, plain: OutLine): number {
    return channel instanceof ChatChannel ? this.chat.relay(channel, from, tagged, plain) : this.owned.relay(channel, from, tagged, plain);
  }

  /** Ordinary channels keep no backlog; the owner of the server's channels may replay one. */
  replay(client: Client, channel: Channel): void {
    if (!(channel instanceof ChatChannel)) this.owned.replay?.(client, channel);
  }
}
