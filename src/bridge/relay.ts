/**
 * What every bridge does around its transport: envelopes, sequence numbers, the bounded
 * outbox, echo/duplicate/gap filtering, delivery into the local broker, counters.
 *
 * @module
 */
import { BoundedQueue, type DropReason, type PubSubBroker } from 'logcaster';
import { OriginCache, decodeEnvelope, encodeEnvelope, type Envelope } from './envelope.js';
import type { BridgeStats, GapInfo } from './events.js';
import type { ResolvedBridgeOptions } from './options.js';
import { DUPLICATE, LATE_UNREPORTED, type Sequencer } from './sequencer.js';

/** An envelope waiting for the transport. */
interface Outgoing<R> {
  route: R;
  data: Buffer;
}

/** How a bridge moves envelopes: the relay decides when, the transport how. */
export interface Transport<R> {
  /** Whether the connection that sends can take a message now. */
  canSend(): boolean;
  /**
   * Sends one envelope on `route`. A promise (Redis: the command's reply) is watched for a
   * rejection; a transport that returns nothing throws (NATS sends synchronously) or reports
   * a failure itself through {@link Relay.sendFailed}.
   */
  send(route: R, data: Buffer): Promise<unknown> | void;
}

/** Where the relay reports what happened (the bridge's events), and delivers what it received. */
export interface RelayHost<T> {
  /** A failure that did not stop the bridge (reported through the error policy). */
  failed(error: unknown): void;
  /** Messages from another node are known lost. */
  gap(info: GapInfo): void;
  /** The outbox dropped messages. */
  dropped(count: number, reason: DropReason): void;
  /** Publishes a message from another node into the local broker (never back to the others). */
  deliver(topic: string, message: T): void;
}

/** What {@link Relay.decodePayload} returns for a payload the codec rejected. */
export const UNDECODABLE: unique symbol = Symbol('undecodable');

/** The relay's share of a bridge's counters. */
export type RelayCounters = Omit<
  BridgeStats,
  'channels' | 'disconnects' | 'reconnects' | 'connectionErrors' | 'publishedLocal' | 'outboxHolds' | 'lastHoldMs'
>;

/** Why the outbox is held: before the bridge is first ready, or after a reconnect (Redis Pub/Sub). */
export type HoldReason = 'start' | 'resubscribe';

/**
 * The transport-independent half of a bridge.
 *
 * @typeParam T - the message type.
 * @typeParam R - what a message travels on (a channel index, a subject).
 */
export class Relay<T, R> {
  readonly nodeId: string;
  private readonly origin: Buffer;
  private readonly outbox: BoundedQueue<Outgoing<R>>;
  /** While any reason holds it, everything waits in the outbox (see {@link Relay.hold}). */
  private readonly holds = new Set<HoldReason>();
  private readonly origins = new OriginCache();
  private published = 0;
  private sent = 0;
  private sendErrors = 0;
  private received = 0;
  private delivered = 0;
  private ownEchoes = 0;
  private duplicates = 0;
  private late = 0;
  private gaps = 0;
  private missing = 0;
  private malformed = 0;
  private groupShares = 0;
  private groupUnclaimed = 0;
  /** Counts a send the client rejected (the message is lost) and reports the error. */
  readonly sendFailed = (error: unknown): void => {
    this.sendErrors++;
    this.host.failed(error);
  };

  constructor(
    private readonly broker: PubSubBroker<T>,
    private readonly options: ResolvedBridgeOptions<T>,
    private readonly sequencer: Sequencer<R>,
    private readonly host: RelayHost<T>,
    private readonly transport: Transport<R>,
  ) {
    this.nodeId = options.nodeId;
    this.origin = Buffer.from(options.nodeId, 'utf8');
    this.outbox = new BoundedQueue<Outgoing<R>>({
      maxItems: options.outboxMaxItems,
      lowWaterItems: 0,
      maxBytes: options.outboxMaxBytes,
      sizeOf: (item) => item.data.byteLength,
      policy: options.outboxPolicy,
    });
    this.outbox.on('drop', (count: number, reason: DropReason) => this.host.dropped(count, reason));
  }

  /**
   * Sends a message published on this node to the other nodes (or to the outbox). Local
   * delivery is the broker's business. Throws only what the codec throws, before anything is
   * sent.
   */
  send(topic: string, message: T): void {
    const payload = this.options.codec.encode(message);
    this.published++;
    const sequencer = this.sequencer;
    const route = sequencer.route(topic);
    const seq = sequencer.next(topic, route);
    const data = encodeEnvelope(this.origin, seq, topic, payload, sequencer.restarted);
    if (this.outbox.length === 0 && this.holds.size === 0 && !this.outbox.closed && this.transport.canSend()) {
      this.transmit(route, data);
    } else {
      // Behind what is already waiting, to keep the order; a closed outbox counts a drop.
      this.outbox.push({ route, data });
      this.flush();
    }
  }

  /** Keeps everything in the outbox until every reason is {@link Relay.release}d. */
  hold(reason: HoldReason): void {
    this.holds.add(reason);
  }

  /** Whether `reason` holds the outbox. */
  holding(reason: HoldReason): boolean {
    return this.holds.has(reason);
  }

  /** Ends a {@link Relay.hold} and sends what waits, if nothing else holds it. */
  release(reason: HoldReason): void {
    if (this.holds.delete(reason)) this.flush();
  }

  /** Sends what waits in the outbox, in order, while the transport takes it. */
  flush(): void {
    while (this.holds.size === 0 && this.outbox.length > 0 && this.transport.canSend()) {
      const item = this.outbox.shift();
      if (item === undefined) break;
      this.transmit(item.route, item.data);
    }
  }

  /** Handles an envelope received on `route`: filter, decode, deliver locally. */
  receive(route: R, data: Buffer): void {
    const envelope = this.open(data);
    if (envelope === undefined) return;
    if (envelope.origin === this.nodeId) {
      this.ownEchoes++;
      return;
    }
    const verdict = this.sequencer.check(route, envelope);
    if (verdict >= 0) {
      if (verdict > 0) this.lost(envelope, route, envelope.seq - verdict, verdict);
      this.deliver(envelope);
    } else if (verdict === DUPLICATE) {
      this.duplicates++;
    } else {
      // Overtaken by a later message: dropped to keep the sender's order, and lost to the
      // subscribers. A gap counted it already (LATE), unless it came before the first one
      // heard (LATE_UNREPORTED): the only two negative verdicts besides DUPLICATE.
      this.late++;
      if (verdict === LATE_UNREPORTED) this.lost(envelope, route, envelope.seq, 1);
    }
  }

  /**
   * Handles a queue-group share: a message the engine handed to this node alone among the
   * group's nodes. Neither an echo (this node's own publishes come back to its group this
   * way) nor numbered (a node gets an arbitrary subset of a sender's messages): decoded and
   * given to `deliver`, which answers whether a live member was there to take it.
   */
  receiveShare(data: Buffer, deliver: (topic: string, message: T) => boolean): void {
    this.groupShares++;
    const envelope = this.open(data);
    if (envelope === undefined || this.broker.closed) return;
    const message = this.decodePayload(envelope);
    if (message === UNDECODABLE) return;
    try {
      if (deliver(envelope.topic, message)) this.delivered++;
      else this.groupUnclaimed++;
    } catch (error) {
      // A topic this broker's syntax rejects: the nodes disagree on their topic syntax.
      this.fail(error);
    }
  }

  /** Counts a received envelope and decodes it; reports one that is malformed and returns `undefined`. */
  private open(data: Buffer): Envelope | undefined {
    this.received++;
    try {
      return decodeEnvelope(data, this.origins);
    } catch (error) {
      this.fail(error);
      return undefined;
    }
  }

  /** Reports `missing` messages from `envelope`'s sender, from sequence number `expected` on. */
  private lost(envelope: Envelope, route: R, expected: number, missing: number): void {
    this.gaps++;
    this.missing += missing;
    this.host.gap({
      origin: envelope.origin,
      channel: this.sequencer.nameOf(route),
      expected,
      got: envelope.seq,
      missing,
    });
  }

  /** Decodes an envelope's payload, or reports it as malformed and returns {@link UNDECODABLE}. */
  decodePayload(envelope: Envelope): T | typeof UNDECODABLE {
    try {
      return this.options.codec.decode(envelope.payload);
    } catch (error) {
      this.fail(error);
      return UNDECODABLE;
    }
  }

  /** Counts an undecodable message and reports it. */
  fail(error: unknown): void {
    this.malformed++;
    this.host.failed(error);
  }

  /** Drops what waits in the outbox (counted, `'drop'` with reason `'closed'`); later sends are dropped too. */
  close(): void {
    this.holds.clear();
    this.outbox.close();
  }

  /** The relay's counters. */
  counters(): RelayCounters {
    return {
      nodeId: this.nodeId,
      published: this.published,
      sent: this.sent,
      sendErrors: this.sendErrors,
      received: this.received,
      delivered: this.delivered,
      ownEchoesSkipped: this.ownEchoes,
      duplicates: this.duplicates,
      late: this.late,
      gaps: this.gaps,
      missing: this.missing,
      malformed: this.malformed,
      groupShares: this.groupShares,
      groupUnclaimed: this.groupUnclaimed,
      outboxPending: this.outbox.length,
      outboxDropped: this.outbox.dropped,
    };
  }

  private transmit(route: R, data: Buffer): void {
    this.sent++;
    let sending: Promise<unknown> | void;
    try {
      sending = this.transport.send(route, data);
    } catch (error) {
      // A client that throws instead of rejecting must not throw into the publisher either.
      this.sendFailed(error);
      return;
    }
    if (sending !== undefined) sending.then(undefined, this.sendFailed);
  }

  private deliver(envelope: Envelope): void {
    if (this.broker.closed) return;
    const message = this.decodePayload(envelope);
    if (message === UNDECODABLE) return;
    try {
      // Local only: handing it to the publish tap would send it back to the other nodes.
      this.host.deliver(envelope.topic, message);
      this.delivered++;
    } catch (error) {
      // A topic this broker's syntax rejects: the nodes disagree on their topic syntax.
      this.fail(error);
    }
  }
}
