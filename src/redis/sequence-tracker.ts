/**
 * Per-origin sequence numbers on each channel: what tells a receiver that messages were
 * lost (a gap) or arrived twice (a duplicate).
 *
 * @module
 */

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
 * new id, so the least recently heard origin is forgotten when the bound is reached. A
 * forgotten or new origin's first message is accepted without a gap check.
 */
export class SequenceTracker {
  private readonly perChannel: Array<Map<string, number> | undefined>;
  private readonly maxOrigins: number;

  /** @param channels how many channels; @param maxOrigins origins remembered per channel. */
  constructor(channels: number, maxOrigins: number) {
    this.perChannel = new Array<Map<string, number> | undefined>(channels).fill(undefined);
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
      origins = new Map();
      this.perChannel[channel] = origins;
    }
    const last = origins.get(origin);
    if (last === undefined) {
      if (origins.size >= this.maxOrigins) {
        const oldest = origins.keys().next();
        if (oldest.done !== true) origins.delete(oldest.value);
      }
      origins.set(origin, seq);
      return IN_ORDER;
    }
    if (seq <= last) return DUPLICATE;
    // Re-inserted so that the map's order is least recently heard first.
    origins.delete(origin);
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
