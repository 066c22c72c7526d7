/**
 * The users of the other nodes, as this node knows them: who they are, which channels they
 * are on, and which node (server) has them. Each node is the authority on its own users; it
 * tells the others of every change (network.ts), and this registry is what a node has heard.
 * The commands read it to answer NAMES, WHO, WHOIS, ISON, USERHOST, KICK and MODE about users
 * they cannot see on this node.
 *
 * Bounded by what the other nodes hold (each bounds its clients and their channels), and
 * emptied node by node when a node is gone (see `cluster/network-bus.ts`).
 *
 * @module
 */
import { foldCase } from './names.js';

/** What identifies and describes a user, on any node (a local `Client` has the same fields). */
export interface UserView {
  /** Unique across nodes (it starts with the node's id). */
  readonly id: string;
  readonly nick: string | undefined;
  readonly user: string | undefined;
  readonly host: string;
  readonly realname: string;
  readonly away: string | undefined;
  /** `nick!user@host`. */
  readonly mask: string;
}

/** A user as its node describes it to the others. */
export interface UserInfo {
  readonly id: string;
  readonly nick: string;
  readonly user: string;
  readonly host: string;
  readonly realname: string;
  readonly away?: string;
  /** When it connected, ms since the epoch (WHOIS 317). */
  readonly signonAt: number;
}

/** A user on another node. */
export class RemoteUser implements UserView {
  readonly id: string;
  nick: string;
  user: string;
  readonly host: string;
  realname: string;
  away: string | undefined;
  readonly signonAt: number;
  /** The channels it is on: folded name → name as shown. */
  readonly channels = new Map<string, string>();

  /**
   * @param node - the id of the node that has it.
   * @param server - that node's server name (WHOIS 312, WHO).
   */
  constructor(
    readonly node: string,
    readonly server: string,
    info: UserInfo,
  ) {
    this.id = info.id;
    this.nick = info.nick;
    this.user = info.user;
    this.host = info.host;
    this.realname = info.realname;
    this.away = info.away;
    this.signonAt = info.signonAt;
  }

  get mask(): string {
    return `${this.nick}!${this.user}@${this.host}`;
  }
}

const NONE: ReadonlySet<RemoteUser> = new Set();

/** Every user this node knows on the other nodes, by id, by nick, by channel and by node. */
export class RemoteUsers {
  private readonly byId = new Map<string, RemoteUser>();
  private readonly byNick = new Map<string, RemoteUser>();
  private readonly byChannel = new Map<string, Set<RemoteUser>>();
  private readonly byNode = new Map<string, Set<RemoteUser>>();

  /** How many users the other nodes have. */
  get size(): number {
    return this.byId.size;
  }

  /** The user with this id, if known. */
  get(id: string): RemoteUser | undefined {
    return this.byId.get(id);
  }

  /** The user using `nick` (any case), if known. */
  byNickname(nick: string): RemoteUser | undefined {
    return this.byNick.get(foldCase(nick));
  }

  /** The users of `node`. */
  ofNode(node: string): ReadonlySet<RemoteUser> {
    return this.byNode.get(node) ?? NONE;
  }

  /** The other nodes' members of the channel whose folded name is `key`. */
  membersOf(key: string): ReadonlySet<RemoteUser> {
    return this.byChannel.get(key) ?? NONE;
  }

  /** Every known user, grouped by node. */
  all(): IterableIterator<RemoteUser> {
    return this.byId.values();
  }

  /** Adds a user, or updates the one with its id (a nick or away change). */
  upsert(node: string, server: string, info: UserInfo): { user: RemoteUser; oldNick: string | undefined } {
    let user = this.byId.get(info.id);
    let oldNick: string | undefined;
    if (user === undefined) {
      user = new RemoteUser(node, server, info);
      this.byId.set(user.id, user);
      let users = this.byNode.get(node);
      if (users === undefined) {
        users = new Set();
        this.byNode.set(node, users);
      }
      users.add(user);
    } else {
      if (user.nick !== info.nick) {
        oldNick = user.nick;
        if (this.byNick.get(foldCase(user.nick)) === user) this.byNick.delete(foldCase(user.nick));
        user.nick = info.nick;
      }
      user.user = info.user;
      user.realname = info.realname;
      user.away = info.away;
    }
    this.byNick.set(foldCase(user.nick), user);
    return { user, oldNick };
  }

  /** Puts `user` on the channel called `name` (folded: `key`). */
  join(user: RemoteUser, key: string, name: string): boolean {
    if (user.channels.has(key)) return false;
    user.channels.set(key, name);
    let members = this.byChannel.get(key);
    if (members === undefined) {
      members = new Set();
      this.byChannel.set(key, members);
    }
    members.add(user);
    return true;
  }

  /** Takes `user` off the channel whose folded name is `key`. */
  part(user: RemoteUser, key: string): boolean {
    if (!user.channels.delete(key)) return false;
    const members = this.byChannel.get(key);
    members?.delete(user);
    if (members?.size === 0) this.byChannel.delete(key);
    return true;
  }

  /** Forgets `user` (it quit, or its node is gone): off every channel first. */
  remove(user: RemoteUser): void {
    for (const key of [...user.channels.keys()]) this.part(user, key);
    this.byId.delete(user.id);
    if (this.byNick.get(foldCase(user.nick)) === user) this.byNick.delete(foldCase(user.nick));
    const users = this.byNode.get(user.node);
    users?.delete(user);
    if (users?.size === 0) this.byNode.delete(user.node);
  }
}
