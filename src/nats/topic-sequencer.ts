/**
 * Sequence numbers per topic, for NATS: a node receives exactly the topics its subscriptions
 * match (NATS routes by subject), so a count per channel would show false gaps; a count per
 * topic does not. Both sides are bounded: a forgotten topic starts afresh (a `restart`
 * envelope, accepted without a gap check).
 *
 * @module
 */
import { BoundedMap } from '../internal/bounded-map.js';
import type { Envelope } from '../bridge/envelope.js';
import { DUPLICATE, IN_ORDER, type Sequencer } from '../bridge/sequencer.js';

/** What a sender remembers of a topic it publishes on. */
interface Outgoing {
  subject: string;
  seq: number;
}

/**
 * Numbers messages per topic and checks them per (origin, topic).
 *
 * - Sender: the last number of each topic, in a bounded map that also caches the topic's
 *   subject. A topic it forgot (more than `maxTopics` in use) starts again above every
 *   number this node ever used, flagged `restart`, so it can never look like a duplicate.
 * - Receiver: the last number per topic and origin: `maxTopics` topics, `maxOrigins` origins
 *   each. A pair it forgot, or never saw, is accepted as it comes: a loss right then goes
 *   unreported.
 */
export class TopicSequencer implements Sequencer<string> {
  restarted = false;
  private readonly sent: BoundedMap<string, Outgoing>;
  /** Per topic, per origin: the last number heard (negative: see {@link TopicSequencer.resync}). */
  private readonly heard: BoundedMap<string, Map<string, number>>;
  /** The highest number this node has used, on any topic. */
  private highest = 0;
  private current: Outgoing | undefined = undefined;

  constructor(
    maxTopics: number,
    private readonly maxOrigins: number,
    private readonly subjectOf: (topic: string) => string,
  ) {
    this.sent = new BoundedMap(maxTopics);
    this.heard = new BoundedMap(maxTopics);
  }

  route(topic: string): string {
    let state = this.sent.get(topic);
    if (state === undefined) {
      // seq 0: next() starts the count.
      state = { subject: this.subjectOf(topic), seq: 0 };
      this.sent.set(topic, state);
    }
    this.current = state;
    return state.subject;
  }

  next(topic: string, _subject: string): number {
    const state = this.current ?? this.sent.get(topic);
    this.current = undefined;
    if (state === undefined || state.seq === 0) {
      const seq = ++this.highest;
      if (state !== undefined) state.seq = seq;
      this.restarted = true;
      return seq;
    }
    this.restarted = false;
    const seq = ++state.seq;
    if (seq > this.highest) this.highest = seq;
    return seq;
  }

  check(_subject: string, envelope: Envelope): number {
    // By topic, then origin: the topic string was just hashed by the broker's lookup, and the
    // origin string is reused from one envelope to the next (no key is built per message).
    let origins = this.heard.get(envelope.topic);
    if (origins === undefined) {
      origins = new Map();
      this.heard.set(envelope.topic, origins);
    }
    const last = origins.get(envelope.origin);
    const seq = envelope.seq;
    if (last === undefined) {
      // Past the bound, forget the origin heard first (a node that restarted has a new id).
      if (origins.size >= this.maxOrigins) origins.delete(origins.keys().next().value as string);
      origins.set(envelope.origin, seq);
      return IN_ORDER;
    }
    // A negative last number: the topic was let go and taken up again (see `resync`).
    const floor = last < 0 ? -last : last;
    if (seq <= floor) return DUPLICATE;
    origins.set(envelope.origin, seq);
    if (envelope.restart || last < 0) return IN_ORDER;
    return seq - last - 1;
  }

  nameOf(subject: string): string {
    return subject;
  }

  /**
   * The topics matching `dropped` are no longer listened to: their next message is accepted
   * without a gap check (what was published meanwhile was not for this node), but an older
   * or repeated one is still a duplicate.
   */
  resync(dropped: (topic: string) => boolean): void {
    this.heard.deleteWhere((topic) => {
      if (!dropped(topic)) return false;
      const origins = this.heard.peek(topic);
      if (origins !== undefined) for (const [origin, last] of origins) if (last > 0) origins.set(origin, -last);
      return false;
    });
  }
}
