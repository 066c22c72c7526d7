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
 * - Receiver: the last number per (origin, topic), bounded the same way. A pair it forgot,
 *   or never saw, is accepted as it comes: a loss right then goes unreported.
 */
export class TopicSequencer implements Sequencer<string> {
  restarted = false;
  private readonly sent: BoundedMap<string, Outgoing>;
  private readonly heard: BoundedMap<string, number>;
  /** The highest number this node has used, on any topic. */
  private highest = 0;
  private current: Outgoing | undefined = undefined;

  constructor(
    maxTopics: number,
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
    const key = `${envelope.origin}\u0000${envelope.topic}`;
    const last = this.heard.get(key);
    const seq = envelope.seq;
    if (last === undefined) {
      this.heard.set(key, seq);
      return IN_ORDER;
    }
    // A negative last number: the topic was let go and taken up again (see `resync`).
    const floor = last < 0 ? -last : last;
    if (seq <= floor) return DUPLICATE;
    this.heard.set(key, seq);
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
    const keys: string[] = [];
    this.heard.deleteWhere((key) => {
      if (dropped(key.slice(key.indexOf('\u0000') + 1))) keys.push(key);
      return false;
    });
    for (const key of keys) {
      const last = this.heard.peek(key);
      if (last !== undefined && last > 0) this.heard.set(key, -last);
    }
  }
}
