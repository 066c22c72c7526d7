/**
 * What both Redis bridges do around their transport: envelopes, sequence numbers, the
 * bounded outbox, echo/duplicate/gap filtering, delivery into the local broker, counters.
 *
 * @module
 */
import { BoundedQueue, type DropReason, type PubSubBroker } from 'logcaster';
import type { ChannelMap } from './channel-map.js';
import { decodeEnvelope, encodeEnvelope, type Envelope } from './envelope.js';
import type { GapInfo, RedisBridgeStats } from './events.js';
import type { ResolvedBridgeOptions } from './options.js';
import { DUPLICATE, SequenceTracker } from './sequence-tracker.js';

/** An envelope waiting for the publisher connection. */
interface Outgoing {
  channel: number;
  data: Buffer;
}

/** How a bridge moves envelopes: the relay decides when, the transport how. */
export interface Transport {
  /** Whether the publisher connection can take a command now. */
  canSend(): boolean;
  /** Sends one envelope on channel `channel`; the promise settles with Redis's reply. */
  send(channel: number, data: Buffer): Promise<unknown>;
  /** The Redis name of channel `channel` (for gap reports). */
  nameOf(channel: number): string;
}

/** Where the relay reports what happened: the bridge's events. */
export interface RelayHost {
  /** A failure that did not stop the bridge (reported through the error policy). */
  failed(error: unknown): void;
  /** Messages from another node are known lost. */
  gap(info: GapInfo): void;
  /** The outbox dropped messages. */
  dropped(count: number, reason: DropReason): void;
}

/** What {@link Relay.decodePayload} returns for a payload the codec rejected. */
export const UNDECODABLE: unique symbol = Symbol('undecodable');

/** The relay's share of a bridge's counters. */
export type RelayCounters = Omit<
  RedisBridgeStats,
  'channels' | 'disconnects' | 'reconnects' | 'connectionErrors' | 'publishedLocal' | 'outboxHolds' | 'lastHoldMs'
>;

/** The transport-independent half of a bridge. */
export class Relay<T> {
  readonly nodeId: string;
  private readonly origin: Buffer;
  private readonly seqs: Float64Array;
  private readonly tracker: SequenceTracker;
  private readonly outbox: BoundedQueue<Outgoing>;
  /** While held, everything waits in the outbox (see {@link Relay.hold}). */
  private held = false;
  private published = 0;
  private sent = 0;
  private sendErrors = 0;
  private received = 0;
  private delivered = 0;
  private ownEchoes = 0;
  private duplicates = 0;
  private gaps = 0;
  private missing = 0;
  private malformed = 0;
  private readonly onSendError = (error: unknown): void => {
    this.sendErrors++;
    this.host.failed(error);
  };

  constructor(
    private readonly broker: PubSubBroker<T>,
    private readonly options: ResolvedBridgeOptions<T>,
    private readonly map: ChannelMap,
    private readonly host: RelayHost,
    private readonly transport: Transport,
  ) {
    this.nodeId = options.nodeId;
    this.origin = Buffer.from(options.nodeId, 'utf8');
    this.seqs = new Float64Array(map.channels);
    this.tracker = new SequenceTracker(map.channels, options.maxOrigins);
    this.outbox = new BoundedQueue<Outgoing>({
      maxItems: options.outboxLimit,
      lowWaterItems: 0,
      maxBytes: options.outboxMaxBytes,
      sizeOf: (item) => item.data.byteLength,
      policy: options.outboxPolicy,
    });
    this.outbox.on('drop', (count: number, reason: DropReason) => this.host.dropped(count, reason));
  }

  /**
   * Sends a message published on this node to Redis (or to the outbox). Local delivery is
   * the broker's business. Throws only what the codec throws, before anything is sent.
   */
  send(topic: string, message: T): void {
    const payload = this.options.codec.encode(message);
    this.published++;
    const channel = this.map.channelOf(topic);
    const seq = ++this.seqs[channel];
    const data = encodeEnvelope(this.origin, seq, topic, payload);
    if (this.outbox.length === 0 && !this.held && !this.outbox.closed && this.transport.canSend()) {
      this.transmit(channel, data);
    } else {
      // Behind what is already waiting, to keep the order; a closed outbox counts a drop.
      this.outbox.push({ channel, data });
      this.flush();
    }
  }

  /**
   * Keeps everything in the outbox until {@link Relay.release}: after a reconnect, while the
   * other nodes' subscribers are not back yet.
   */
  hold(): void {
    this.held = true;
  }

  /** Ends a {@link Relay.hold} and sends what waits. */
  release(): void {
    this.held = false;
    this.flush();
  }

  /** Sends what waits in the outbox, in order, while the publisher connection takes it. */
  flush(): void {
    while (!this.held && this.outbox.length > 0 && this.transport.canSend()) {
      const item = this.outbox.shift();
      if (item === undefined) break;
      this.transmit(item.channel, item.data);
    }
  }

  /** Handles an envelope received on channel `channel`: filter, decode, deliver locally. */
  receive(channel: number, data: Buffer): void {
    this.received++;
    let envelope: Envelope;
    try {
      envelope = decodeEnvelope(data);
    } catch (error) {
      this.fail(error);
      return;
    }
    if (envelope.origin === this.nodeId) {
      this.ownEchoes++;
      return;
    }
    const verdict = this.tracker.check(channel, envelope.origin, envelope.seq);
    if (verdict === DUPLICATE) {
      this.duplicates++;
      return;
    }
    if (verdict > 0) {
      this.gaps++;
      this.missing += verdict;
      this.host.gap({
        origin: envelope.origin,
        channel: this.transport.nameOf(channel),
        expected: envelope.seq - verdict,
        got: envelope.seq,
        missing: verdict,
      });
    }
    this.deliver(envelope);
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

  /** Forgets the sequence numbers of a channel no longer listened to. */
  forget(channel: number): void {
    this.tracker.forget(channel);
  }

  /** Drops what waits in the outbox (counted, `'drop'` with reason `'closed'`); later sends are dropped too. */
  close(): void {
    this.held = false;
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
      gaps: this.gaps,
      missing: this.missing,
      malformed: this.malformed,
      outboxPending: this.outbox.length,
      outboxDropped: this.outbox.dropped,
    };
  }

  private transmit(channel: number, data: Buffer): void {
    this.sent++;
    let sending: Promise<unknown>;
    try {
      sending = this.transport.send(channel, data);
    } catch (error) {
      // A client that throws instead of rejecting must not throw into the publisher either.
      this.onSendError(error);
      return;
    }
    sending.then(undefined, this.onSendError);
  }

  private deliver(envelope: Envelope): void {
    if (this.broker.closed) return;
    const message = this.decodePayload(envelope);
    if (message === UNDECODABLE) return;
    try {
      // Local only: handing it to the publish tap would send it back to Redis.
      this.broker.publishLocal(envelope.topic, message);
      this.delivered++;
    } catch (error) {
      // A topic this broker's syntax rejects: the nodes disagree on their topic syntax.
      this.fail(error);
    }
  }
}
