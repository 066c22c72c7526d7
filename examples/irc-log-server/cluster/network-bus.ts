/**
 * The IRC network between nodes is more topics on the broker the log entries use:
 *
 *   logs/<service>/<LEVEL>      log entries (pattern channels)
 *   channels/<name>             log entries routed to the filtered channels
 *   chat/channels/<channel>     what users say in a channel            ← this file
 *   chat/users/<nick>           what users say to a user on another node
 *   chat/state                  what changes on a node: its users, their channels, channel state
 *
 * The bridge attached to that broker (`--redis`: a `RedisBridge`, see `link.ts`) carries every
 * `broker.publish` to the other nodes: nothing here knows which engine that is.
 *
 * **Chat**: each node subscribes once to `chat/channels/*` and `chat/users/*` and delivers to
 * its own members; the sender is skipped by its id.
 *
 * **State**: each node is the authority on its own users and tells the others every change
 * (`announce`), numbered; changes to an ordinary channel carry its whole state, versioned (see
 * `ChatChannel.adopt`). All of it travels on the one topic `chat/state`, so a node's changes
 * arrive in the order it made them. Pub/Sub may lose messages (while Redis is away, or a slow
 * subscriber cut off): a node that sees a gap in another's numbers, or a heartbeat whose number
 * it has not reached, asks that node for a snapshot (`resync`), which replaces what it knew.
 * A node that starts asks everyone (`hello`).
 *
 * **Nodes that die**: every node sends a heartbeat every third of `nodeTimeoutMs`; a node not
 * heard from for `nodeTimeoutMs` is gone (seen at the next heartbeat, so within 4/3 of it): its
 * users quit, as in a netsplit
 * (`QUIT :<this server> <its server>`), and their nick claims expire in Redis after the same
 * time. Nothing of a dead node stays behind longer.
 *
 * @module
 */
import type { PubSubBroker, Subscription } from 'logcaster';
import type { ChatEvent } from '../irc/chat-line.js';
import type { Origin, Snapshot } from '../irc/commands/index.js';
import { foldCase } from '../irc/names.js';
import type { Network, NetworkChange, NickClaims } from '../irc/network.js';
import type { LogEntry } from '../logs/entry.js';

/** What the IRC side does with the other nodes' state (`irc/commands/remote.ts`). */
export interface PeerHandlers {
  /** A change another node made. */
  apply(origin: Origin, change: NetworkChange): void;
  /** This node's users and channels, for a node that asks. */
  snapshot(): Snapshot;
  /** Everything another node has: replaces what this node knew of it. */
  adopt(origin: Origin, snapshot: Snapshot): void;
  /** A node is gone: its users quit. */
  forget(origin: Origin): void;
}

/** Options of {@link NetworkBus}. */
export interface NetworkBusOptions {
  /** The broker the log entries go through (and, with `--redis`, its bridge). */
  readonly broker: PubSubBroker<LogEntry>;
  /** This node's id: the prefix of its users' ids, and the origin of what it sends. */
  readonly node: string;
  /** This node's server name, as the other nodes show it (WHOIS, WHO, netsplit quits). */
  readonly server: string;
  /** How long a node may stay silent before it is taken for gone. Heartbeats go every third of it. Minimum: 100. */
  readonly nodeTimeoutMs: number;
  /** Queues a chat event to this node's recipients (`deliverChat` of the IRC commands). */
  readonly deliver: (event: ChatEvent) => void;
  readonly peers: PeerHandlers;
  /** Called with messages from other nodes that are malformed (a bad peer), counted. */
  readonly rejected?: (message: unknown) => void;
  /** Called when the broker refuses a message (it is counted either way). */
  readonly failed?: (error: unknown, topic: string) => void;
  /** Clock in ms. @default Date.now */
  readonly now?: () => number;
}

/** The counters of a {@link NetworkBus}. */
export interface NetworkBusStats {
  /** Other nodes heard from within the node timeout. */
  nodes: number;
  /** Snapshots asked of other nodes (a gap, a heartbeat ahead, a node that came back). */
  resyncs: number;
  /** Nodes forgotten for silence. */
  nodesLost: number;
  /** Messages from other nodes that were malformed. */
  rejected: number;
  /** Messages the broker refused to publish. */
  failed: number;
}

type StateMessage =
  | { readonly kind: 'change'; readonly node: string; readonly server: string; readonly seq: number; readonly change: NetworkChange }
  | { readonly kind: 'heartbeat'; readonly node: string; readonly server: string; readonly seq: number }
  | { readonly kind: 'hello'; readonly node: string; readonly server: string }
  | { readonly kind: 'resync'; readonly node: string; readonly server: string; readonly target: string }
  | { readonly kind: 'snapshot'; readonly node: string; readonly server: string; readonly seq: number; readonly snapshot: Snapshot };

/** What this node knows of another. */
interface Peer {
  readonly origin: Origin;
  /** The number of its last change applied here; undefined until a snapshot said where it stands. */
  seq: number | undefined;
  lastSeen: number;
  resyncAskedAt: number;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
const isString = (value: unknown): value is string => typeof value === 'string';

/** The string fields each kind of change must have. */
const CHANGE_FIELDS: Readonly<Record<NetworkChange['type'], readonly string[]>> = {
  user: [],
  quit: ['id', 'reason'],
  join: ['id', 'channel'],
  part: ['id', 'channel'],
  kick: ['id', 'channel', 'by', 'reason'],
  channel: [],
  invite: ['id', 'nick', 'channel', 'by'],
};

function isUser(value: unknown): boolean {
  return isObject(value) && ['id', 'nick', 'user', 'host', 'realname'].every((field) => isString(value[field])) && typeof value.signonAt === 'number';
}

function isChannelState(value: unknown): boolean {
  return (
    isObject(value) &&
    isString(value.name) &&
    isString(value.topic) &&
    isString(value.flags) &&
    typeof value.version === 'number' &&
    isString(value.versionNode) &&
    ['bans', 'ops', 'voiced', 'invited'].every((field) => Array.isArray(value[field]))
  );
}

function isChange(value: unknown): value is NetworkChange {
  if (!isObject(value) || !isString(value.type) || !Object.hasOwn(CHANGE_FIELDS, value.type)) return false;
  if (!CHANGE_FIELDS[value.type as NetworkChange['type']].every((field) => isString(value[field]))) return false;
  if (value.type === 'user') return isUser(value.user);
  if (value.type === 'channel') return isChannelState(value.state);
  return true;
}

function isSnapshot(value: unknown): value is Snapshot {
  return (
    isObject(value) &&
    Array.isArray(value.users) &&
    value.users.every((user: unknown) => isUser(user) && Array.isArray((user as Record<string, unknown>).channels)) &&
    Array.isArray(value.channels) &&
    value.channels.every(isChannelState)
  );
}

/** Whether `value` is a well-formed state message (it comes from another node). */
export function isStateMessage(value: unknown): value is StateMessage {
  if (!isObject(value) || !isString(value.node) || !isString(value.server)) return false;
  switch (value.kind) {
    case 'change':
      return typeof value.seq === 'number' && isChange(value.change);
    case 'heartbeat':
      return typeof value.seq === 'number';
    case 'hello':
      return true;
    case 'resync':
      return isString(value.target);
    case 'snapshot':
      return typeof value.seq === 'number' && isSnapshot(value.snapshot);
    default:
      return false;
  }
}

/** Whether `value` is a well-formed {@link ChatEvent} (it may come from another node). */
export function isChatEvent(value: unknown): value is ChatEvent {
  if (!isObject(value)) return false;
  return (
    value.kind === 'chat' &&
    isString(value.node) &&
    isString(value.from) &&
    isString(value.source) &&
    (value.command === 'PRIVMSG' || value.command === 'NOTICE' || value.command === 'TAGMSG') &&
    isString(value.target) &&
    value.target !== '' &&
    isString(value.text) &&
    isString(value.clientTags) &&
    isString(value.msgid) &&
    typeof value.time === 'number'
  );
}

/**
 * The broker under the network's topics. Its type parameter names the log entries because the
 * log side reads it; this side publishes and subscribes only under `chat/`, a prefix no log
 * subscription matches, and checks every message it receives.
 */
function networkView(broker: PubSubBroker<LogEntry>): PubSubBroker<unknown> {
  return broker as unknown as PubSubBroker<unknown>;
}

/** Chat and state between nodes through the broker. */
export class NetworkBus implements Network {
  readonly node: string;
  /** Network-wide nick claims (with `--redis`); set once the link is up. */
  claims: NickClaims | undefined = undefined;
  private readonly options: NetworkBusOptions;
  private readonly broker: PubSubBroker<unknown>;
  private readonly subscriptions: Subscription<unknown>[];
  private readonly escapes: string[];
  private readonly stateTopic: string;
  private readonly now: () => number;
  private readonly peers = new Map<string, Peer>();
  private readonly counters = { resyncs: 0, nodesLost: 0, rejected: 0, failed: 0 };
  private seq = 0;
  private timer: NodeJS.Timeout | undefined = undefined;
  private snapshotDue = false;

  constructor(options: NetworkBusOptions) {
    if (!Number.isInteger(options.nodeTimeoutMs) || options.nodeTimeoutMs < 100) {
      throw new RangeError(`nodeTimeoutMs must be an integer >= 100 (got ${String(options.nodeTimeoutMs)})`);
    }
    this.options = options;
    this.node = options.node;
    this.now = options.now ?? Date.now;
    this.broker = networkView(options.broker);
    const { separator, singleLevelWildcard, multiLevelWildcard } = options.broker.syntax;
    this.escapes = [separator, singleLevelWildcard, multiLevelWildcard];
    this.stateTopic = ['chat', 'state'].join(separator);
    const chat = (message: unknown): void => {
      if (isChatEvent(message)) options.deliver(message);
      else this.reject(message);
    };
    this.subscriptions = [
      this.broker.subscribe(['chat', 'channels', singleLevelWildcard].join(separator), chat),
      this.broker.subscribe(['chat', 'users', singleLevelWildcard].join(separator), chat),
      this.broker.subscribe(this.stateTopic, (message) => this.receive(message)),
    ];
  }

  toChannel(event: ChatEvent): void {
    this.publish(this.topic('channels', event.target), event);
  }

  toUser(event: ChatEvent): void {
    this.publish(this.topic('users', event.target), event);
  }

  /** Tells the other nodes of a change made here (nothing before {@link NetworkBus.start}: there is nobody to tell). */
  announce(change: NetworkChange): void {
    if (this.timer === undefined) return;
    this.seq++;
    this.send({ kind: 'change', node: this.node, server: this.options.server, seq: this.seq, change });
  }

  /**
   * Starts talking to the other nodes (once the link is up): asks them for what they have,
   * and from then on sends heartbeats and forgets the nodes that fall silent.
   */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.tick(), Math.floor(this.options.nodeTimeoutMs / 3));
    this.timer.unref();
    this.hello();
  }

  /** Asks every other node for its snapshot (at start, and when the link is back after an outage). */
  hello(): void {
    this.send({ kind: 'hello', node: this.node, server: this.options.server });
  }

  /** The counters. */
  stats(): NetworkBusStats {
    return { nodes: this.peers.size, ...this.counters };
  }

  /** Stops listening and sending. */
  close(): void {
    clearInterval(this.timer);
    for (const subscription of this.subscriptions) subscription.unsubscribe();
  }

  private tick(): void {
    const now = this.now();
    for (const [node, peer] of this.peers) {
      if (now - peer.lastSeen < this.options.nodeTimeoutMs) continue;
      this.peers.delete(node);
      this.counters.nodesLost++;
      this.options.peers.forget(peer.origin);
    }
    this.send({ kind: 'heartbeat', node: this.node, server: this.options.server, seq: this.seq });
  }

  private receive(message: unknown): void {
    if (!isStateMessage(message)) {
      this.reject(message);
      return;
    }
    if (message.node === this.node) return; // our own, delivered here too by the broker
    const peer = this.peer(message.node, message.server);
    switch (message.kind) {
      case 'hello':
        this.snapshotSoon();
        return;
      case 'resync':
        if (message.target === this.node) this.snapshotSoon();
        return;
      case 'snapshot':
        this.options.peers.adopt(peer.origin, message.snapshot);
        peer.seq = message.seq;
        return;
      case 'heartbeat':
        if (peer.seq !== message.seq) this.askResync(peer);
        return;
      case 'change':
        if (peer.seq !== undefined && message.seq <= peer.seq) return; // seen already
        this.options.peers.apply(peer.origin, message.change);
        if (peer.seq !== undefined && message.seq === peer.seq + 1) peer.seq = message.seq;
        else this.askResync(peer); // a gap, or a node we have no snapshot of yet
    }
  }

  private peer(node: string, server: string): Peer {
    let peer = this.peers.get(node);
    if (peer === undefined) {
      peer = { origin: { node, server }, seq: undefined, lastSeen: 0, resyncAskedAt: Number.NEGATIVE_INFINITY };
      this.peers.set(node, peer);
    }
    peer.lastSeen = this.now();
    return peer;
  }

  /** Asks `peer` for a snapshot, at most once per heartbeat period. */
  private askResync(peer: Peer): void {
    const now = this.now();
    if (now - peer.resyncAskedAt < this.options.nodeTimeoutMs / 3) return;
    peer.resyncAskedAt = now;
    this.counters.resyncs++;
    this.send({ kind: 'resync', node: this.node, server: this.options.server, target: peer.origin.node });
  }

  /** Sends this node's snapshot once, however many ask in this turn. */
  private snapshotSoon(): void {
    if (this.snapshotDue) return;
    this.snapshotDue = true;
    setImmediate(() => {
      this.snapshotDue = false;
      this.send({ kind: 'snapshot', node: this.node, server: this.options.server, seq: this.seq, snapshot: this.options.peers.snapshot() });
    });
  }

  private send(message: StateMessage): void {
    this.publish(this.stateTopic, message);
  }

  private reject(message: unknown): void {
    this.counters.rejected++;
    this.options.rejected?.(message);
  }

  /**
   * Publishes, never throwing into the command that sent it: a message the broker refuses
   * (a closed broker during shutdown, a topic it cannot take) is counted and reported.
   */
  private publish(topic: string, message: unknown): void {
    try {
      this.broker.publish(topic, message);
    } catch (error) {
      this.counters.failed++;
      this.options.failed?.(error, topic);
    }
  }

  /**
   * `chat/<kind>/<name>` with the name folded and made one topic level: percent-encoded, and
   * the separator and wildcards (read from the broker's syntax) escaped too.
   */
  private topic(kind: 'channels' | 'users', name: string): string {
    let level = encodeURIComponent(foldCase(name));
    for (const special of this.escapes) {
      const escaped = [...special].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`).join('');
      level = level.split(special).join(escaped);
    }
    return ['chat', kind, level].join(this.broker.syntax.separator);
  }
}
