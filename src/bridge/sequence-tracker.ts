/**
 * Per-origin sequence numbers on each channel: what tells a receiver that messages were
 * lost (a gap), arrived twice (a duplicate) or arrived late (overtaken by a later one).
 *
 * @module
 */
import { BoundedMap } from '../internal/bounded-map.js';

/** What {@link SequenceTracker.check} found: the message is the next one (or an origin's first). */
export const IN_ORDER = 0;
/** The message is a duplicate of one already accepted: drop it. */
export const DUPLICATE = -1;
/**
 * The message arrived after a later one from its sender (a client's retry reordered them)
 * and was already counted in a reported gap: drop it, to keep each sender's order.
 */
export const LATE = -2;
/** Like {@link LATE}, but no gap had counted it (it precedes the first message heard): count it as missing now. */
export const LATE_UNREPORTED = -3;

/** How many sequence numbers below the last one are remembered as delivered or not. */
const WINDOW = 32;

/** What a receiver remembers of one origin on one channel. */
interface Heard {
  /** The highest sequence number accepted. */
  last: number;
  /** Bit k: `last - 1 - k` was accepted (or arrived late and was dropped). */
  window: number;
  /** The first sequence number heard: what came before was never reported missing. */
  first: number;
}

/**
 * Remembers, for each channel, the last sequence number accepted from each origin, and which
 * of the 32 before it arrived. Senders number their messages 1, 2, 3, … per channel, so on
 * one channel a receiver expects `last + 1`: more means lost messages (a gap); a number
 * below `last` is a duplicate if it arrived before, else a late arrival (a client that retried
 * a command after a failover can reorder): dropped either way, so that delivery stays in each
 * sender's order, and counted.
 *
 * Origins are bounded per channel (`maxOrigins`): a node that restarts comes back with a
 * new id, so an origin not heard lately is forgotten when the bound is reached (approximately
 * the least recently heard one). A forgotten or new origin's first message is accepted
 * without a gap check.
 */
export class SequenceTracker {
  private readonly perChannel: Array<BoundedMap<string, Heard> | undefined>;
  private readonly maxOrigins: number;

  /** @param channels how many channels; @param maxOrigins origins remembered per channel. */
  constructor(channels: number, maxOrigins: number) {
    this.perChannel = new Array<BoundedMap<string, Heard> | undefined>(channels).fill(undefined);
    this.maxOrigins = maxOrigins;
  }

  /**
   * Records `seq` from `origin` on `channel` and says what it was: {@link IN_ORDER} (also
   * for an origin's first message), {@link DUPLICATE}, {@link LATE}, {@link LATE_UNREPORTED},
   * or how many messages were missing before it (> 0; the message itself is accepted).
   */
  check(channel: number, origin: string, seq: number): number {
    let origins = this.perChannel[channel];
    if (origins === undefined) {
      origins = new BoundedMap(this.maxOrigins);
      this.perChannel[channel] = origins;
    }
    // get() marks the origin as recently heard; past the bound the map forgets one that was
    // not heard since its last pass (CLOCK, the library's one bounded map).
    const heard = origins.get(origin);
    if (heard === undefined) {
      origins.set(origin, { last: seq, window: 0, first: seq });
      return IN_ORDER;
    }
    const last = heard.last;
    if (seq > last) {
      const shift = seq - last;
      // The old last is now `shift - 1` below; the ones in between (bits below it) are missing.
      heard.window = shift > WINDOW ? 0 : ((heard.window << shift) | (1 << (shift - 1))) >>> 0;
      heard.last = seq;
      return shift - 1;
    }
    const below = last - 1 - seq;
    if (seq === last || below >= WINDOW) return DUPLICATE;
    const bit = 1 << below;
    if ((heard.window & bit) !== 0) return DUPLICATE;
    heard.window = (heard.window | bit) >>> 0;
    return seq < heard.first ? LATE_UNREPORTED : LATE;
  }

  /** The last accepted sequence number of `origin` on `channel`, if remembered. */
  last(channel: number, origin: string): number | undefined {
    return this.perChannel[channel]?.get(origin)?.last;
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
