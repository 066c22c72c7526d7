/**
 * `NatsBridge`: brokers in several processes share their messages over NATS core (a server
 * or a cluster of them).
 *
 * @module
 */
import type { PubSubBroker } from 'logcaster';
import { BridgeBase } from '../bridge/bridge-base.js';
import { invalidArgType } from '../internal/coded-errors.js';
import { BRIDGE_OPTION_KEYS, checkBridgeOptions, type BridgeOptions } from '../bridge/options.js';
import { COUNT_FROM_1, numberRule, requireNumber } from '../internal/checks.js';
import { optionKeys } from '../internal/options.js';
import { MAX_TIMER_MS } from '../internal/timers.js';
import type { NatsClient, NatsMessage, NatsSubscription } from './client.js';
import { ClusterProbe } from './cluster-probe.js';
import type { GroupShare } from './group-interest.js';
import { NatsLink } from './nats-link.js';
import { SubjectInterest } from './subject-interest.js';
import { SubjectMap, subjectMatches } from './subject-map.js';
import { TopicSequencer } from './topic-sequencer.js';

/** Options of {@link NatsBridge}. */
export interface NatsBridgeOptions<T> extends BridgeOptions<T> {
  /**
   * The connection, from `connect()` of `@nats-io/transport-node` (3.x). Give it every
   * server of the cluster (or let it learn them) so it can fail over. Never closed by the
   * bridge.
   */
  connection: NatsClient;
  /**
   * The subject prefix: topic `logs/api/ERROR` travels on `${prefix}.logs.api.ERROR`.
   * Separate clusters sharing NATS servers use different prefixes. NATS subject tokens
   * joined by `.`, without wildcards.
   * @default 'logcaster'
   */
  prefix?: string;
  /**
   * How many topics' sequence numbers are remembered, on each side: the topics this node
   * publishes on, and the topics it receives (with up to `maxOrigins` senders each). Past it
   * the least recently used is forgotten: a forgotten topic's next message is accepted
   * without a gap check. An integer >= 1.
   * @default 65536
   */
  maxTopics?: number;
  /**
   * How long `ready()` waits for a server of the cluster to answer one probe before asking
   * again, in milliseconds. An integer from 1 to 2147483647 (the longest delay a timer
   * honours).
   * @default 2000
   */
  probeTimeoutMs?: number;
}

/** Pause before another round after a failed one (the connection is up but a request failed). */
const RETRY_MS = 100;

/** The keys of {@link NatsBridgeOptions}, for the check of unknown keys. */
export const NATS_BRIDGE_OPTION_KEYS = /* @__PURE__ */ optionKeys<NatsBridgeOptions<unknown>>({
  ...BRIDGE_OPTION_KEYS,
  connection: true,
  prefix: true,
  maxTopics: true,
  probeTimeoutMs: true,
});

const PROBE_TIMEOUT_RULE = /* @__PURE__ */ numberRule({ min: 1, max: MAX_TIMER_MS, integer: true });

function checkConnection(connection: unknown): NatsClient {
  if (typeof connection !== 'object' || connection === null) {
    throw invalidArgType(`connection must be a NATS connection (got ${connection === null ? 'null' : typeof connection})`);
  }
  for (const method of ['publish', 'subscribe', 'request', 'flush', 'status', 'closed', 'isClosed']) {
    if (typeof (connection as Record<string, unknown>)[method] !== 'function') {
      throw invalidArgType(`connection must have a ${method}() method (a connection from connect() of @nats-io/transport-node)`);
    }
  }
  return connection as NatsClient;
}

/** A received payload as a Buffer, without a copy. */
const asBuffer = (data: Uint8Array): Buffer =>
  Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);

/**
 * Shares a broker's messages with the brokers of other processes through NATS.
 *
 * - Drop-in: once attached, plain `broker.publish(topic, message)` delivers to this node's
 *   subscribers and publishes on the topic's subject; NATS routes it only to the servers
 *   and nodes whose subscriptions match it, and each delivers it once (this node skips its
 *   own echo). Topics map to subjects level by level ({@link SubjectMap}); a node subscribes
 *   to the subjects of its broker's patterns (`logs/#` → `logs.>` and `logs`), the fewest
 *   that cover them.
 * - Queue groups (`subscribe(…, { group })`) span the nodes: each message goes to one member
 *   cluster-wide. A node with members of a group holds a NATS queue subscription on the
 *   group's subjects (queue: the group's name, escaped as a subject token); NATS picks one
 *   node per message and that node picks one of its members. So `broker.publish` gives its
 *   message to no local group directly: the group's share comes back through NATS when NATS
 *   picks this node, once the message is sent (`publishLocal` still gives it to one local
 *   member). Plain subscribers everywhere get every message as before. `ready()` covers
 *   group changes too; docs/scaling.md tells the rest. (The Redis bridges keep groups per
 *   process.)
 * - `await bridge.ready()` resolves once every server of the cluster that hosts a node has
 *   this node's subscriptions: a node on another server that publishes right after it is
 *   heard (a subscribe + flush only reaches this node's own server; docs/scaling.md tells how
 *   the bridge checks).
 *   Until the bridge is first ready, what it publishes waits in the outbox.
 * - A server going away: the client fails over (`'disconnect'`, then `'reconnect'` once it
 *   is connected again, to the same server or another). Meanwhile publishes wait in the
 *   bounded outbox (drop-oldest by default, counted, `'drop'`). What was in flight to the
 *   lost server is lost, and reported by the receivers as a `'gap'` (messages are numbered
 *   per topic) when the next message on that topic arrives.
 *
 * The guarantee is **at most once**, like NATS core's: every message is delivered or counted
 * (`'gap'`, `'drop'`), never silently lost once `ready()` has resolved.
 *
 * @typeParam T - the message type.
 * @example
 * ```ts
 * import { connect } from '@nats-io/transport-node';
 * import { PubSubBroker } from 'logcaster';
 * import { NatsBridge } from 'logcaster/nats';
 *
 * const broker = new PubSubBroker<LogEntry>();
 * const connection = await connect({ servers: ['nats://10.0.0.1:4222', 'nats://10.0.0.2:4222'] });
 * const bridge = new NatsBridge(broker, { connection });
 * bridge.on('gap', ({ origin, missing }) => console.warn(`lost ${missing} messages from ${origin}`));
 *
 * broker.subscribe('logs/#', (entry) => console.log(entry)); // logs from every node
 * await bridge.ready();
 * broker.publish('logs/api/ERROR', entry); // here and on every node subscribed to it
 * ```
 */
export class NatsBridge<T> extends BridgeBase<T, string> {
  /** How topics map to subjects. */
  readonly subjects: SubjectMap;
  private readonly connection: NatsClient;
  private readonly link: NatsLink;
  private readonly probe: ClusterProbe;
  private readonly probeTimeoutMs: number;
  /** The subjects subscribed to, with their subscriptions. */
  private readonly held = new Map<string, NatsSubscription>();
  /** The queue subscriptions of the broker's queue groups, by queue and subject. */
  private readonly shares = new Map<string, NatsSubscription>();
  private readonly subjectInterest: SubjectInterest<T>;
  /** Grows whenever the cluster must confirm again (new subjects, a failover). */
  private generation = 1;
  private confirmed = 0;
  private confirming = false;
  private readonly onMessage = (error: Error | null, message: NatsMessage): void => {
    if (error !== null) {
      this.fail(error);
      return;
    }
    this.relay.receive(message.subject, asBuffer(message.data));
  };

  /**
   * @throws TypeError or RangeError (coded `ERR_INVALID_ARG_TYPE` / `ERR_OUT_OF_RANGE`) for
   * a bad option, naming it; TypeError (`ERR_UNKNOWN_OPTION`) for a key that is not an option,
   * naming the nearest one.
   * @throws {@link BridgeError} (`ERR_BRIDGE_BROKER_TAKEN`) when another bridge is attached
   * to the broker.
   */
  constructor(broker: PubSubBroker<T>, options: NatsBridgeOptions<T>) {
    checkBridgeOptions('new NatsBridge', options, NATS_BRIDGE_OPTION_KEYS);
    const connection = checkConnection(options.connection);
    const subjects = new SubjectMap(options.prefix ?? 'logcaster', broker.syntax);
    const maxTopics = requireNumber('maxTopics', options.maxTopics ?? 65_536, COUNT_FROM_1);
    const probeTimeoutMs = requireNumber('probeTimeoutMs', options.probeTimeoutMs ?? 2000, PROBE_TIMEOUT_RULE);
    const link = new NatsLink(connection);
    const interest = new SubjectInterest<T>(subjects);
    super({
      name: 'NatsBridge',
      engine: 'NATS',
      broker,
      options,
      links: [['connection', link]],
      interest,
      carriesGroups: true,
      sequencer: (resolved) => new TopicSequencer(maxTopics, resolved.maxOrigins, (topic) => subjects.subjectOf(topic)),
    });
    this.subjects = subjects;
    this.subjectInterest = interest;
    this.connection = connection;
    this.link = link;
    this.probeTimeoutMs = probeTimeoutMs;
    this.probe = new ClusterProbe(connection, subjects.prefix, probeTimeoutMs, this.reportFailure);
    this.probe.start();
    void this.confirmLoop();
  }

  /**
   * The ids of the NATS servers this node knows to host bridge nodes, its own included:
   * the servers `ready()` confirms with. For diagnostics.
   */
  servers(): string[] {
    return this.probe.known();
  }

  protected override canSend(): boolean {
    return this.link.status === 'ready';
  }

  protected override sendEnvelope(subject: string, data: Buffer): void {
    this.connection.publish(subject, data);
  }

  protected override isLive(): boolean {
    return this.link.status === 'ready' && this.confirmed === this.generation;
  }

  protected override pendingDescription(): string {
    return `${this.held.size + this.shares.size} subscriptions; waiting for ${this.probe.describe()}; connection ${this.link.status}`;
  }

  protected override listening(): number {
    return this.held.size + this.shares.size;
  }

  protected override applyInterest(): void {
    const wanted = this.subjectInterest.cover();
    const dropped: string[] = [];
    for (const [subject, sub] of this.held) {
      if (wanted.has(subject)) continue;
      sub.unsubscribe();
      this.held.delete(subject);
      dropped.push(subject);
    }
    let added = false;
    for (const subject of wanted) {
      if (this.held.has(subject)) continue;
      this.held.set(subject, this.connection.subscribe(subject, { callback: this.onMessage }));
      added = true;
    }
    if (dropped.length > 0) this.forgetDropped(dropped);
    const sharesChanged = this.applyGroups();
    if (added || dropped.length > 0 || sharesChanged) {
      this.generation++;
      void this.confirmLoop();
    }
  }

  protected override connectionReady(_role: unknown, reconnected: boolean): void {
    if (!reconnected) return;
    // The client resubscribed on the server it is on now; the other servers must hear of it.
    this.probe.follow();
    this.generation++;
    void this.confirmLoop();
    queueMicrotask(() => this.relay.flush());
  }

  protected override connectionClosed(): void {
    // Nothing to do: the client resubscribes by itself once it is connected again.
  }

  protected override async stop(): Promise<void> {
    const connected = this.link.status === 'ready' && !this.connection.isClosed();
    this.link.stop();
    this.probe.stop();
    for (const sub of [...this.held.values(), ...this.shares.values()]) sub.unsubscribe();
    this.held.clear();
    this.shares.clear();
    if (!connected) return;
    // Resolve once the server has let go of them (as the Redis bridges wait for UNSUBSCRIBE's
    // reply), but not longer than a probe may take: a connection lost meanwhile never answers.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.probeTimeoutMs);
      timer.unref();
    });
    await Promise.race([this.connection.flush().catch(this.reportFailure), late]);
    clearTimeout(timer);
  }

  /**
   * Follows the queue groups: a queue subscription per subject of each group with a member
   * here, let go of with the group's last member here.
   *
   * @returns whether any changed (the cluster must confirm again: a server must know this
   * node left a group before it stops picking it).
   */
  private applyGroups(): boolean {
    const wanted = this.subjectInterest.groups.wanted();
    let changed = false;
    for (const [key, sub] of this.shares) {
      if (wanted.has(key)) continue;
      // Drained, not just ended: a share the server picked this node for before it heard of
      // the unsubscribe still reaches receiveShare, to be counted (groupUnclaimed) rather than
      // dropped unseen by the client.
      if (sub.drain === undefined) sub.unsubscribe();
      // It rejects only for a closed connection or subscription: nothing left to count then.
      else sub.drain().catch(() => sub.unsubscribe());
      this.shares.delete(key);
      changed = true;
    }
    for (const [key, share] of wanted) {
      if (this.shares.has(key)) continue;
      this.shares.set(key, this.connection.subscribe(share.subject, { queue: share.queue, callback: this.shareReceiver(share) }));
      changed = true;
    }
    return changed;
  }

  /** The callback of `share`'s queue subscription: a message NATS picked this node for goes to one member here. */
  private shareReceiver(share: GroupShare): (error: Error | null, message: NatsMessage) => void {
    const deliver = (topic: string, decoded: T): boolean => {
      const groups = this.groups;
      return groups !== undefined && groups.deliverToGroup(share.group, share.pattern, topic, decoded);
    };
    return (error, message) => {
      if (error !== null) this.fail(error);
      else this.relay.receiveShare(asBuffer(message.data), deliver);
    };
  }

  /**
   * Topics no subscription covers any more: their next message is not a gap (what was sent
   * meanwhile was not for this node).
   */
  private forgetDropped(dropped: string[]): void {
    (this.sequencer as TopicSequencer).resync((topic) => {
      const subject = this.subjects.subjectOf(topic);
      for (const gone of dropped) {
        if (subjectMatches(gone, subject) && !this.interestCovers(subject)) return true;
      }
      return false;
    });
  }

  private interestCovers(subject: string): boolean {
    for (const held of this.held.keys()) if (subjectMatches(held, subject)) return true;
    return false;
  }

  /** Confirms the current generation with the cluster, round after round, while connected. */
  private async confirmLoop(): Promise<void> {
    if (this.confirming) return;
    this.confirming = true;
    try {
      while (!this.isClosed && this.link.status === 'ready' && this.confirmed !== this.generation) {
        const target = this.generation;
        try {
          await this.probe.confirm(() => this.generation === target && !this.isClosed);
        } catch (error) {
          if (this.isClosed || this.link.status !== 'ready') break;
          this.fail(error);
          await new Promise((resolve) => setTimeout(resolve, RETRY_MS).unref());
          continue;
        }
        if (this.generation === target) this.confirmed = target;
      }
    } finally {
      this.confirming = false;
    }
    this.settle();
  }
}

