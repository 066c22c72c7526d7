/**
 * Per-origin sequence numbers on each channel: what tells a receiver that messages were
 * lost (a gap) or arrived twice (a duplicate).
 *
 * @module
 */
import { BoundedMap } from '../internal/bounded-map.js';

/** What {@link SequenceTracker.check} found. */
export const IN_ORDER = 0;
/** The message is a duplicate, or older than one already accepted: drop it. */
export const DUPLICATE = -1;

/**
 * Remembers, for each channel, the last sequence number accepted from each origin.
 * Senders number their messages 1, 2, 3, … per channel, so on one channel a receiver
 * expects `last + 1`: more means lost messages, less or equal means a duplicate (or a
 * message overtaken, which is dropped too: delivery stays in order).
 *
 * Origins are bounded per channel (`maxOrigins`): a node that restarts comes back with a
 * new id, so an origin not heard lately is forgotten when the bound is reached (approximately
 * the least recently heard one). A
 * forgotten or new origin's first message is accepted without a gap check.
 */
export class SequenceTracker {
  private readonly perChannel: Array<BoundedMap<string, number> | undefined>;
  private readonly maxOrigins: number;

  /** @param channels how many channels; @param maxOrigins origins remembered per channel. */
  constructor(channels: number, maxOrigins: number) {
    this.perChannel = new Array<BoundedMap<string, number> | undefined>(channels).fill(undefined);
    this.maxOrigins = maxOrigins;
  }

  /**
   * Records `seq` from `origin` on `channel` and says what it was: {@link IN_ORDER} (also
   * for an origin's first message), {@link DUPLICATE}, or how many messages were missing
   * before it (> 0; the message itself is accepted).
   */
  check(channel: number, origin: string, seq: number): number {
    let origins = this.perChannel[channel];
    if (origins === undefined) {
      origins = new BoundedMap(this.maxOrigins);
      this.perChannel[channel] = origins;
    }
    // get() marks the origin as recently heard; past the bound the map forgets one that was
    // not heard since its last pass (CLOCK, the library's one bounded map).
    const last = origins.get(origin);
    if (last === undefined) {
      origins.set(origin, seq);
      return IN_ORDER;
    }
    if (seq <= last) return DUPLICATE;
    origins.set(origin, seq);
    return seq - last - 1;
  }

  /** The last accepted sequence number of `origin` on `channel`, if remembered. */
  last(channel: number, origin: string): number | undefined {
    return this.perChannel[channel]?.get(origin);
  }

  /** Forgets a channel (after unsubscribing it: a later resubscribe must not see a gap). */
  forget(channel: number): void {
    this.perChannel[channel] = undefined;
  }

  /** How many (channel, origin) pairs are remembered. */
  get size(): number {
    let size = 0;
    for (const origins of this.perChannel) size += origins?.size ?? 0;
    return size;
  }
}
