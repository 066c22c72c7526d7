/**
 * What a change made on another node does here: the user registry (`ctx.remote`) and the
 * channels follow it, and this node's members are shown the line their client expects (JOIN,
 * PART, QUIT, NICK, KICK, TOPIC, MODE, INVITE), as if the user were here. The other half,
 * telling the other nodes what changed here, is one `announce(ctx, …)` in each command.
 *
 * Also the two whole-node operations: the snapshot a node sends of its users and channels
 * (to a node that starts, or that missed changes), and forgetting a node that is gone.
 *
 * @module
 */
import type { Channel } from '../channel.js';
import { ChatChannel } from '../chat-channel.js';
import type { Client } from '../client.js';
import { foldCase } from '../names.js';
import type { ChannelState, NetworkChange, ShownLine } from '../network.js';
import type { RemoteUser, UserInfo } from '../remote-users.js';
import { audience, isMember, localUser, localUsers, shared, userInfo, type ServerContext } from './context.js';

/** The node a change came from. */
export interface Origin {
  readonly node: string;
  /** Its server name. */
  readonly server: string;
}

/** A user in a snapshot: who, and which channels (names as shown) it is on. */
export interface SnapshotUser extends UserInfo {
  readonly channels: readonly string[];
}

/** What a node tells a node that asks for everything: its users, and its ordinary channels' state. */
export interface Snapshot {
  readonly users: readonly SnapshotUser[];
  readonly channels: readonly ChannelState[];
}

/** The channel called `name` as this node knows it: log channels always, ordinary ones once heard of. */
function channelNamed(ctx: ServerContext, name: string): Channel | undefined {
  return ctx.channels.find(name);
}

/** Shows `line` to this node's members of every channel `user` is on (each member once). */
function showToSharers(ctx: ServerContext, user: RemoteUser, line: ShownLine, only?: (member: Client) => boolean): void {
  const out = shared({ source: line.source, command: line.command, params: [...line.params], colon: true });
  const told = new Set<Client>();
  for (const key of user.channels.keys()) {
    const channel = ctx.channels.find(key);
    if (channel === undefined) continue;
    for (const member of audience(ctx, channel)) {
      if (told.has(member) || (only !== undefined && !only(member))) continue;
      told.add(member);
      member.enqueue(out);
    }
  }
}

/** Shows `line` to this node's members of `channel` (when the channel announces such things). */
function showToChannel(ctx: ServerContext, channel: Channel, line: ShownLine, colon = true): void {
  const out = shared({ source: line.source, command: line.command, params: [...line.params], colon });
  for (const member of audience(ctx, channel)) member.enqueue(out);
}

/** Takes `user` (remote) off `key`'s channel, and the channel away if nobody is left on it. */
function leaveChannel(ctx: ServerContext, user: RemoteUser, key: string): void {
  ctx.remote.part(user, key);
  const channel = ctx.channels.find(key);
  if (channel instanceof ChatChannel) {
    channel.forget(user.id);
    ctx.channels.chat.dropIfEmpty(channel);
  }
}

/** Puts `user` (remote) on the channel called `name`; an ordinary channel is made if unknown. */
function joinChannel(ctx: ServerContext, user: RemoteUser, name: string): Channel | undefined {
  const key = foldCase(name);
  if (!ctx.remote.join(user, key, name)) return undefined;
  return channelNamed(ctx, name) ?? (name.startsWith('#') && !foldCase(name).startsWith('#logs') ? ctx.channels.chat.ensure(name) : undefined);
}

/** Forgets `user` (it quit, or its node is gone) and tells the members who shared a channel with it. */
function removeUser(ctx: ServerContext, user: RemoteUser, reason: string): void {
  showToSharers(ctx, user, { source: user.mask, command: 'QUIT', params: [reason] });
  for (const key of [...user.channels.keys()]) leaveChannel(ctx, user, key);
  ctx.remote.remove(user);
}

/** A user registered on another node, or changed nick or away message there. */
function updateUser(ctx: ServerContext, origin: Origin, info: UserInfo): RemoteUser {
  const known = ctx.remote.get(info.id);
  const before = known === undefined ? undefined : { mask: known.mask, away: known.away };
  const { user, oldNick } = ctx.remote.upsert(origin.node, origin.server, info);
  if (before !== undefined && oldNick !== undefined) showToSharers(ctx, user, { source: before.mask, command: 'NICK', params: [user.nick] });
  if (before !== undefined && before.away !== user.away) {
    const params = user.away === undefined ? [] : [user.away];
    showToSharers(ctx, user, { source: user.mask, command: 'AWAY', params }, (member) => member.caps.has('away-notify'));
  }
  return user;
}

/** Applies a change another node made. */
export function applyRemote(ctx: ServerContext, origin: Origin, change: NetworkChange): void {
  switch (change.type) {
    case 'user':
      updateUser(ctx, origin, change.user);
      return;
    case 'quit': {
      const user = ctx.remote.get(change.id);
      if (user !== undefined) removeUser(ctx, user, change.reason);
      return;
    }
    case 'join': {
      const user = ctx.remote.get(change.id);
      const channel = user === undefined ? undefined : joinChannel(ctx, user, change.channel);
      if (user === undefined || channel === undefined) return;
      showToChannel(ctx, channel, { source: user.mask, command: 'JOIN', params: [channel.name] }, false);
      if (user.away !== undefined) {
        const away = shared({ source: user.mask, command: 'AWAY', params: [user.away], colon: true });
        for (const member of audience(ctx, channel)) if (member.caps.has('away-notify')) member.enqueue(away);
      }
      return;
    }
    case 'part': {
      const user = ctx.remote.get(change.id);
      const channel = channelNamed(ctx, change.channel);
      if (user === undefined || !user.channels.has(foldCase(change.channel))) return;
      if (channel !== undefined) {
        const params = change.reason === undefined ? [channel.name] : [channel.name, change.reason];
        showToChannel(ctx, channel, { source: user.mask, command: 'PART', params }, change.reason !== undefined);
      }
      leaveChannel(ctx, user, foldCase(change.channel));
      return;
    }
    case 'kick':
      applyKick(ctx, change);
      return;
    case 'channel': {
      const channel = ctx.channels.chat.ensure(change.state.name, change.state.createdAt);
      if (adoptState(ctx, channel, change.state) && change.line !== undefined) showToChannel(ctx, channel, change.line, change.line.command === 'TOPIC');
      return;
    }
    case 'invite':
      applyInvite(ctx, change);
  }
}

/** Takes `state` into `channel` if it is newer; operators and voices only for its members. */
function adoptState(ctx: ServerContext, channel: ChatChannel, state: ChannelState): boolean {
  const local = new Set<string>();
  for (const member of channel.members) local.add(member.id);
  return channel.adopt(state, (id) => local.has(id) || ctx.remote.get(id)?.channels.has(channel.key) === true);
}

/** A KICK made on another node: shown here, and the user (of any node) leaves the channel. */
function applyKick(ctx: ServerContext, change: Extract<NetworkChange, { type: 'kick' }>): void {
  const channel = channelNamed(ctx, change.channel);
  if (channel === undefined) return;
  const remote = ctx.remote.get(change.id);
  const local = remote === undefined ? [...channel.members].find((member) => member.id === change.id) : undefined;
  const target = remote ?? local;
  if (target === undefined || !isMember(channel, target)) return;
  const out = shared({ source: change.by, command: 'KICK', params: [channel.name, target.nick ?? '*', change.reason], colon: true });
  // Everyone sees a kick, the kicked member too, whatever the channel's size.
  for (const member of channel.members) member.enqueue(out);
  if (local !== undefined) ctx.channels.part(local, channel);
  else if (remote !== undefined) leaveChannel(ctx, remote, channel.key);
}

/** An INVITE made on another node: remembered for `+i`, and told to the invited user if it is here. */
function applyInvite(ctx: ServerContext, change: Extract<NetworkChange, { type: 'invite' }>): void {
  const channel = channelNamed(ctx, change.channel);
  if (channel instanceof ChatChannel) channel.invite(foldCase(change.nick));
  const target = localUser(ctx, change.nick);
  if (target === undefined || target.id !== change.id) return;
  target.enqueue(shared({ source: change.by, command: 'INVITE', params: [target.nick ?? change.nick, channel?.name ?? change.channel], colon: true }));
}

/** This node's users and ordinary channels, for a node that asks for everything. */
export function localSnapshot(ctx: ServerContext): Snapshot {
  const users: SnapshotUser[] = [];
  const channels: ChannelState[] = [];
  for (const client of localUsers(ctx)) {
    const names: string[] = [];
    for (const key of client.channels) {
      const channel = ctx.channels.find(key);
      if (channel !== undefined) names.push(channel.name);
    }
    users.push({ ...userInfo(client), channels: names });
  }
  for (const channel of ctx.channels.chat.all()) if (channel.members.size > 0) channels.push(channel.state());
  return { users, channels };
}

/**
 * Makes what this node knows of `origin` match its snapshot: users it no longer has quit, new
 * ones and new memberships join, channels it left are parted (each shown to the members
 * here), and the channels' states are adopted where newer.
 */
export function applySnapshot(ctx: ServerContext, origin: Origin, snapshot: Snapshot): void {
  const listed = new Set<string>();
  for (const info of snapshot.users) {
    listed.add(info.id);
    const user = updateUser(ctx, origin, info);
    const wanted = new Map(info.channels.map((name) => [foldCase(name), name]));
    for (const key of [...user.channels.keys()]) {
      if (wanted.has(key)) continue;
      const channel = channelNamed(ctx, key);
      if (channel !== undefined) showToChannel(ctx, channel, { source: user.mask, command: 'PART', params: [channel.name] }, false);
      leaveChannel(ctx, user, key);
    }
    for (const name of wanted.values()) applyRemote(ctx, origin, { type: 'join', id: user.id, channel: name });
  }
  for (const user of [...ctx.remote.ofNode(origin.node)]) if (!listed.has(user.id)) removeUser(ctx, user, 'Lost in the network');
  for (const state of snapshot.channels) adoptState(ctx, ctx.channels.chat.ensure(state.name, state.createdAt), state);
}

/** Forgets every user of a node that is gone, as a netsplit: `QUIT :<this server> <its server>`. */
export function forgetNode(ctx: ServerContext, origin: Origin): void {
  for (const user of [...ctx.remote.ofNode(origin.node)]) removeUser(ctx, user, `${ctx.config.serverName} ${origin.server}`);
}
