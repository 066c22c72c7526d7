/**
 * How a bridge numbers what it sends and checks what it receives: the strategy behind the
 * relay's gap and duplicate detection. Channel engines (the Redis bridges) count per channel;
 * `NatsBridge` counts per topic.
 *
 * @module
 */
import type { Envelope } from './envelope.js';
import { SequenceTracker } from './sequence-tracker.js';

export { DUPLICATE, IN_ORDER, LATE, LATE_UNREPORTED } from './sequence-tracker.js';

/**
 * Numbers outgoing messages and judges incoming ones. `R` is what a message travels on: a
 * channel index, a subject.
 */
export interface Sequencer<R> {
  /** Where a message on `topic` travels. */
  route(topic: string): R;
  /**
   * The sequence number of the next message on `topic` (travelling on `route`). Sets
   * {@link Sequencer.restarted} when the count starts afresh with it.
   */
  next(topic: string, route: R): number;
  /** Whether the number {@link Sequencer.next} just returned starts a count afresh. */
  readonly restarted: boolean;
  /**
   * Judges an envelope received on `route`: `IN_ORDER` (0), `DUPLICATE` (-1), `LATE` (-2),
   * `LATE_UNREPORTED` (-3), or how many messages were missing before it (> 0; the message
   * itself is accepted).
   */
  check(route: R, envelope: Envelope): number;
  /** The engine's name of `route`, for `'gap'` events. */
  nameOf(route: R): string;
}

/**
 * Counts per channel (a fixed number of them): what the Redis bridges do. Senders number
 * their messages 1, 2, 3, … per channel; receivers keep the last number per (channel, origin).
 */
export class ChannelSequencer implements Sequencer<number> {
  readonly restarted = false;
  private readonly seqs: Float64Array;
  private readonly tracker: SequenceTracker;

  constructor(
    channels: number,
    maxOrigins: number,
    private readonly channelOf: (topic: string) => number,
    private readonly name: (channel: number) => string,
  ) {
    this.seqs = new Float64Array(channels);
    this.tracker = new SequenceTracker(channels, maxOrigins);
  }

  route(topic: string): number {
    return this.channelOf(topic);
  }

  next(_topic: string, channel: number): number {
    return ++this.seqs[channel];
  }

  check(channel: number, envelope: Envelope): number {
    return this.tracker.check(channel, envelope.origin, envelope.seq);
  }

  nameOf(channel: number): string {
    return this.name(channel);
  }

  /** Forgets a channel no longer listened to: a later resubscribe must not see a gap. */
  forget(channel: number): void {
    this.tracker.forget(channel);
  }
}
