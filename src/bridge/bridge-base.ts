/**
 * What every bridge does alike, whatever its engine: attach to the broker (its publish tap
 * and its subscriptions), watch a list of connections, batch subscription changes, hold
 * publishes until the bridge is first ready, answer `ready()`, count, report errors and
 * close. A subclass says how messages travel and when its engine has acknowledged the
 * node's interest.
 *
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import type { PubSubBroker, Subscription, UnsubscribeReason } from 'logcaster';
import { reportError, type GroupDelivery, type PublishTap } from 'logcaster/adapter';
import { BRIDGE_ERROR_CODES, BridgeError } from './errors.js';
import type { BridgeEvents, BridgeStats, ConnectionRole } from './events.js';
import { LinkWatch, type BridgeLink, type WatchHooks } from './link-watch.js';
import { resolveBridgeOptions, type BridgeOptions, type ResolvedBridgeOptions } from './options.js';
import { ReadyGate, type ReadyOptions } from './ready-gate.js';
import { Relay } from './relay.js';
import type { Sequencer } from './sequencer.js';

/**
 * What a node listens to, as its broker's subscriptions say: a bridge's interest follows
 * them and answers whether the set of channels (or subjects) may have changed.
 */
export interface Interest<T> {
  /** Counts a live subscription; `true` when what the node listens to may have changed. */
  add(sub: Subscription<T>): boolean;
  /** Forgets a subscription that ended; `true` when what the node listens to may have changed. */
  remove(sub: Subscription<T>): boolean;
  /** Forgets everything (the bridge closes). */
  clear(): void;
}

/** What a subclass hands to {@link BridgeBase}'s constructor. */
export interface BridgeSetup<T, R> {
  /** The class name, named in unheard-error warnings: `'RedisBridge'`, `'NatsBridge'`, … */
  name: string;
  /** The engine's name in messages: `'Redis'`, `'NATS'`. */
  engine: string;
  broker: PubSubBroker<T>;
  options: BridgeOptions<T>;
  /** The connections to watch, with their roles. */
  links: ReadonlyArray<readonly [ConnectionRole, BridgeLink]>;
  /**
   * Whether two links are two connections to one server, so that one closing while the
   * other stays up means the server cut it (`'killed'`), not that it is gone (`'lost'`).
   * @default true with exactly two links
   */
  witness?: boolean;
  /** How messages are numbered and checked, given the resolved options. */
  sequencer: (options: ResolvedBridgeOptions<T>) => Sequencer<R>;
  /** What the node listens to (the subclass keeps its own typed reference to it). */
  interest: Interest<T>;
  /**
   * Whether the engine carries the broker's queue groups across processes (NATS queue
   * subscriptions): the publish tap then takes them over (see `PublishTap.carryGroups`) and
   * the subclass delivers each group's share through {@link BridgeBase.groups}. Without it
   * groups stay per process (Redis Pub/Sub has no queue semantic).
   * @default false
   */
  carriesGroups?: boolean;
}

/**
 * The shared half of every bridge.
 *
 * @typeParam T - the message type.
 * @typeParam R - what a message travels on: a channel index (Redis), a subject (NATS).
 */
export abstract class BridgeBase<T, R = unknown> extends EventEmitter<BridgeEvents> implements AsyncDisposable {
  /** This node's id (the origin of its envelopes). */
  readonly nodeId: string;
  /** @internal */
  protected readonly broker: PubSubBroker<T>;
  /** @internal */
  protected readonly relay: Relay<T, R>;
  /** @internal */
  protected readonly sequencer: Sequencer<R>;
  /** @internal */
  protected readonly resolved: ResolvedBridgeOptions<T>;
  /** @internal */
  protected isClosed = false;
  /** @internal The broker's group delivery, while the bridge carries its queue groups (`carriesGroups`). */
  protected groups: GroupDelivery<T> | undefined = undefined;
  private readonly sourceName: string;
  private readonly engine: string;
  private readonly watches: LinkWatch[];
  private readonly tap: PublishTap<T>;
  private readonly gate = new ReadyGate();
  private readonly interest: Interest<T>;
  /** Whether the bridge has been ready once: until then, publishes wait in the outbox. */
  private started = false;
  private scheduled = false;
  private closing: Promise<void> | undefined = undefined;
  private publishedLocal = 0;
  private disconnects = 0;
  private reconnects = 0;
  private connectionErrors = 0;
  private readonly reconcileNow = (): void => this.reconcile();
  private readonly onSubscribe = (sub: Subscription<T>): void => {
    if (this.interest.add(sub)) this.schedule();
  };
  private readonly onUnsubscribe = (sub: Subscription<T>, _reason: UnsubscribeReason): void => {
    if (this.interest.remove(sub)) this.schedule();
  };
  /** @internal */
  protected readonly reportFailure = (error: unknown): void => this.fail(error);

  /**
   * @throws TypeError or RangeError (coded `ERR_INVALID_ARG_TYPE` / `ERR_OUT_OF_RANGE`) for a
   * bad option, naming it.
   * @throws {@link BridgeError} (`ERR_BRIDGE_BROKER_TAKEN`) when another bridge is
   * attached to the broker.
   */
  protected constructor(setup: BridgeSetup<T, R>) {
    super();
    const { broker, options } = setup;
    this.resolved = resolveBridgeOptions(options, `new ${setup.name}`);
    if (broker.publishTap !== undefined) {
      throw new BridgeError(
        BRIDGE_ERROR_CODES.brokerTaken,
        'the broker already has a publish tap (another bridge?): one bridge per broker; close the other first',
      );
    }
    this.sourceName = setup.name;
    this.engine = setup.engine;
    this.broker = broker;
    this.nodeId = this.resolved.nodeId;
    this.interest = setup.interest;
    this.sequencer = setup.sequencer(this.resolved);
    this.relay = new Relay(broker, this.resolved, this.sequencer, {
      failed: this.reportFailure,
      gap: (info) => this.emit('gap', info),
      dropped: (count, reason) => this.emit('drop', count, reason),
      // With groups carried, a group gets another node's message as a share, not from here.
      deliver: (topic, message) => {
        if (this.groups === undefined) broker.publishLocal(topic, message);
        else this.groups.publishUngrouped(topic, message);
      },
    }, {
      // Late-bound: they use the subclass's connections, set after this constructor.
      canSend: () => this.canSend(),
      send: (route, data) => this.sendEnvelope(route, data),
    });
    // Until the bridge is first ready, what is published waits: sent at once, it could go
    // out before the engine knows where to route it (a NATS server whose routes have not
    // heard of the others' interest yet) and be lost without a trace.
    this.relay.hold('start');
    this.watches = setup.links.map(
      ([role, link]) => new LinkWatch(setup.engine, role, link, this.hooks(role), this.resolved.now),
    );
    // Two connections to one server tell a connection the server cut from a server gone.
    if (this.watches.length === 2 && setup.witness !== false) {
      this.watches[0].watchWith(this.watches[1]);
      this.watches[1].watchWith(this.watches[0]);
    }
    this.tap = {
      tapped: (topic, message) => {
        // Before the first readiness: it may be a reconcile away. After it, a subscription
        // made in this same turn (a queue group's first member) has its subscribe sent before
        // this message, so the node's own server routes the message to it.
        if (!this.started || this.scheduled) this.tryStart();
        this.relay.send(topic, message);
      },
    };
    if (setup.carriesGroups === true) {
      this.tap.carryGroups = (groups) => {
        this.groups = groups;
      };
    }
    broker.setPublishTap(this.tap);
    broker.on('subscribe', this.onSubscribe);
    broker.on('unsubscribe', this.onUnsubscribe);
    for (const sub of broker.subscriptions()) this.interest.add(sub);
    // Reconciled in a microtask: after the subclass's constructor has run.
    this.schedule();
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * The same as `broker.publish(topic, message)` while the bridge is attached: delivers to
   * this node's subscribers and sends to the other nodes (exactly once each; this node skips
   * its own echo). Never throws or waits because of the engine: before the bridge is first
   * ready, and while the connection that sends is down, the message waits in the bounded
   * outbox (a full outbox drops by its policy, counted, `'drop'`). After `close()` it is
   * delivered here only and counted as dropped.
   *
   * @returns how many local subscribers took it.
   * @throws `TopicError` for an invalid topic, `BrokerClosedError` for a closed broker,
   * and whatever the codec throws for a message it cannot encode; nothing is delivered or sent.
   */
  publish(topic: string, message: T): number {
    if (!this.isClosed) return this.broker.publish(topic, message);
    this.relay.send(topic, message);
    return this.broker.publishLocal(topic, message);
  }

  /**
   * Delivers to this node's subscribers only (`broker.publishLocal`): for reactions to an
   * event every node sees, which would otherwise be multiplied by the number of nodes.
   *
   * @returns how many local subscribers took it.
   * @throws as `broker.publishLocal` does.
   */
  publishLocal(topic: string, message: T): number {
    const local = this.broker.publishLocal(topic, message);
    this.publishedLocal++;
    return local;
  }

  /**
   * Resolves once the engine has acknowledged everything the broker's current subscriptions
   * need: from then on, a message another node publishes on a matching topic reaches this
   * node. After a new subscription, call it again. While the engine is unreachable it waits
   * for the connection to come back (bound it with `timeoutMs` or `signal`).
   *
   * @example
   * ```ts
   * broker.subscribe('logs/#', show);
   * await bridge.ready({ timeoutMs: 5000 }); // now other nodes' logs arrive
   * ```
   * @returns a promise that rejects with {@link BridgeError} `ERR_BRIDGE_CLOSED` when
   * the bridge is or gets closed, `ERR_BRIDGE_READY_TIMEOUT` after `timeoutMs`, or with the
   * signal's reason when it aborts.
   * @throws RangeError (`ERR_OUT_OF_RANGE`) for a bad `timeoutMs`.
   */
  ready(options: ReadyOptions = {}): Promise<void> {
    ReadyGate.check(options);
    if (this.isClosed) return Promise.reject(this.closedError());
    if (options.signal?.aborted === true) return Promise.reject(options.signal.reason);
    if (this.scheduled) this.reconcile();
    if (this.isLive()) {
      this.start();
      return Promise.resolve();
    }
    return this.gate.wait(options, this.engine, () => this.pendingDescription());
  }

  /** A snapshot of the bridge's counters. */
  stats(): BridgeStats {
    return {
      ...this.relay.counters(),
      ...this.holdCounters(),
      publishedLocal: this.publishedLocal,
      channels: this.listening(),
      disconnects: this.disconnects,
      reconnects: this.reconnects,
      connectionErrors: this.connectionErrors,
    };
  }

  /**
   * Stops bridging: detaches from the broker (`broker.publish` is local again), drops what
   * waits in the outbox (counted), rejects pending `ready()` calls, and lets go of the
   * engine (unsubscribes, or ends the read loop). The clients stay open: close them
   * yourself. Safe to call twice; resolves when done.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** Same as `close()`: `await using bridge = new RedisBridge(…)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Whether the connection that sends can take a message now. @internal */
  protected abstract canSend(): boolean;
  /** Sends one envelope on `route`. @internal */
  protected abstract sendEnvelope(route: R, data: Buffer): Promise<unknown> | void;
  /** Whether the engine has acknowledged everything the current interest needs. @internal */
  protected abstract isLive(): boolean;
  /** What `ready()` still waits for, for its timeout error. @internal */
  protected abstract pendingDescription(): string;
  /** Follows the interest: subscribe to what is now needed, let go of the rest. @internal */
  protected abstract applyInterest(): void;
  /** A connection is ready (`reconnected`: after an outage). @internal */
  protected abstract connectionReady(role: ConnectionRole, reconnected: boolean): void;
  /** A connection closed: what it held on the server is gone. @internal */
  protected abstract connectionClosed(role: ConnectionRole): void;
  /** How many channels, streams or subjects are listened to. @internal */
  protected abstract listening(): number;
  /** The subclass's share of closing (after the shared part). @internal */
  protected abstract stop(): Promise<void>;
  /** Outbox hold counters (Redis Pub/Sub); zeros by default. @internal */
  protected holdCounters(): Pick<BridgeStats, 'outboxHolds' | 'lastHoldMs'> {
    return { outboxHolds: 0, lastHoldMs: 0 };
  }

  /** Reports a failure through the library's error policy (`'error'`, or a warning). @internal */
  protected fail(error: unknown): void {
    reportError(this, this.sourceName, error);
  }

  /**
   * Resolves the pending `ready()` calls, and lets the held publishes go the first time, if
   * everything is acknowledged now. Subclasses call it whenever an acknowledgement arrives.
   * @internal
   */
  protected settle(): void {
    if (this.scheduled || this.isClosed || !this.isLive()) return;
    this.start();
    this.gate.open();
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.relay.release('start');
  }

  /** A publish before the first readiness: readiness may be a reconcile away (fake clients, a resolved ack). */
  private tryStart(): void {
    if (this.isClosed) return;
    if (this.scheduled) this.reconcile();
    else this.settle();
  }

  private closedError(): BridgeError {
    return new BridgeError(BRIDGE_ERROR_CODES.closed, `the ${this.sourceName} is closed`);
  }

  private async shutdown(): Promise<void> {
    this.isClosed = true;
    if (this.broker.publishTap === this.tap) this.broker.setPublishTap(undefined);
    this.groups = undefined;
    this.broker.off('subscribe', this.onSubscribe);
    this.broker.off('unsubscribe', this.onUnsubscribe);
    this.interest.clear();
    for (const watch of this.watches) watch.detach();
    this.relay.close();
    this.gate.fail(this.closedError());
    await this.stop();
  }

  private hooks(role: ConnectionRole): WatchHooks {
    return {
      closed: () => {
        if (!this.isClosed) this.connectionClosed(role);
      },
      down: (info) => {
        this.disconnects++;
        this.emit('disconnect', info);
      },
      ready: (reconnected) => {
        if (this.isClosed) return;
        this.connectionReady(role, reconnected !== undefined);
        if (reconnected !== undefined) {
          this.reconnects++;
          this.emit('reconnect', reconnected);
        }
        // A connection coming up may be all the bridge waited for.
        this.settle();
      },
      clientError: () => {
        this.connectionErrors++;
      },
    };
  }

  private schedule(): void {
    if (this.scheduled || this.isClosed) return;
    this.scheduled = true;
    // Batched: a burst of subscribes at start-up becomes one SUBSCRIBE (or one wake-up).
    queueMicrotask(this.reconcileNow);
  }

  private reconcile(): void {
    if (!this.scheduled) return;
    this.scheduled = false;
    if (this.isClosed) return;
    this.applyInterest();
    this.settle();
  }
}
