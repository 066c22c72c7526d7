/**
 * How one publish reaches its subscribers: the delivery loops over a topic's snapshot, and
 * the budget that stops handlers which publish from nesting or multiplying without end.
 *
 * @module
 */
import { ClosedError, ERROR_CODES, PublishLimitError } from '../errors.js';
import type { TopicOptions } from '../topics/topic.js';
import { UNWATCHED, type BrokerObserver } from './broker-observer.js';
import type { Delivery, DeliveryTarget } from './delivery.js';
import { DeliveryLedger } from './delivery-ledger.js';
import type { PublishTap } from './publish-tap.js';
import type { TopicSnapshot } from './subscription-registry.js';
import { isThenable, type Handler, type SubscriptionRecord } from './subscription.js';

/** What happened to one offer of a message to a queued subscriber or a group. */
type Outcome = 0 | 1 | 2;
/** Enqueued (or handed to a group member's handler). */
const TAKEN: Outcome = 0;
/** Refused by the queue's policy (counted as a drop) or by a throwing sizeOf (an error). */
const REFUSED: Outcome = 1;
/** Nobody to offer it to (a group whose members all ended during this publish). */
const NOT_OFFERED: Outcome = 2;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The broker's delivery of one message to a snapshot of subscribers. There is one loop per
 * shape of snapshot, chosen once per publish (see {@link FanOut.deliver}), because the common
 * shapes (plain handlers only; queued subscribers only) then run a loop with nothing to decide
 * per target. Each loop is one function on purpose: split into helpers called per target, V8
 * stops inlining them and fan-out to 1,000 subscribers slows down measurably.
 *
 * The third layer of `PubSubBroker`, on top of the books ({@link DeliveryLedger}) and the
 * registry ({@link SubscriptionRegistry}), which explains why the layers are one object.
 */
export abstract class FanOut<T> extends DeliveryLedger<T> {
  /** @internal Accepted publishes (the last one's id). */
  protected published = 0;
  /** @internal Nested publishes refused by `maxPublishDepth` or `maxPublishWork`. */
  protected refused = 0;
  /**
   * @internal The id of the last publish that leaves queue groups out (its groups are carried
   * to other processes by the tap: see `PublishTap.carryGroups`), set by the tap just before
   * that publish takes its id. The loops that can meet a group compare it with the id of the
   * publish they deliver; `publishThrough` and `deliver` never read it. Why not an argument
   * threaded through them: their size decides whether V8 inlines the delivery loop into
   * `publish`. Measured (fan-out bench, 1 subscriber vs eventemitter3, `BENCH_TIME=0.3`,
   * alternating with the code before groups could be carried, 1.13–1.24×): such an argument
   * gave 0.66–0.71× in 3 runs of 5; a branch in `publish` to a separate path, 0.74–0.81× in
   * 3 of 3; this field, 1.11–1.17× in 4 of 4.
   */
  protected groupsSkippedBy = 0;
  /** How deep the publish running now is nested (0: none is running). */
  private depth = 0;
  /** Handler calls (matched targets) caused so far by the current top-level publish. */
  private work = 0;
  private limitReported = false;

  /** @internal */
  constructor(
    options: TopicOptions,
    cacheSize: number,
    private readonly maxDepth: number,
    private readonly maxWork: number,
  ) {
    super(options, cacheSize);
  }

  /**
   * @internal Marks the publish about to take its id as leaving queue groups out: called
   * from a tap's `tapped`, which runs after `admit` and just before the id is taken.
   */
  protected leaveGroupsOutOfNextPublish(): void {
    this.groupsSkippedBy = this.published + 1;
  }

  /**
   * @internal `publish` and `publishLocal`: the tap (if any) sees the message before local
   * delivery.
   *
   * The hot path of the library. V8 inlines this, the snapshot lookup, `admit`, `deliver` and
   * the delivery loop into the caller's loop only while their bytecode together stays under
   * its budget (920 bytes in Node 20): keep each small, and put what is rare (nested-publish
   * limits, errors, async handlers) in methods of its own. Measured: with `admit` checking
   * nested publishes inline, the delivery loop was no longer inlined and a publish to one
   * subscriber cost 58% more instructions.
   *
   * @returns how many subscribers took it.
   */
  protected publishThrough(tap: PublishTap<T> | undefined, topic: string, message: T): number {
    if (this.isClosed) throw new ClosedError('PubSubBroker', 'publish');
    const snapshot = this.snapshot(topic);
    const count = snapshot.length;
    if (!this.admit(topic, count)) return 0;
    // Before delivery: a tap that cannot carry the message (its codec throws) stops the publish.
    if (tap !== undefined) tap.tapped(topic, message);
    const publishId = ++this.published;
    if (count === 0) return 0;
    return this.deliver(snapshot, 0, count, topic, message, publishId);
  }

  /**
   * @internal `publishChunked`: like `publish`, delivering `chunkSize` subscribers at a time with a turn
   * of the event loop between chunks.
   *
   * @returns a promise of how many subscribers took it.
   */
  protected async publishInChunks(tap: PublishTap<T> | undefined, topic: string, message: T, chunkSize: number): Promise<number> {
    if (this.isClosed) throw new ClosedError('PubSubBroker', 'publish');
    const snapshot = this.snapshot(topic);
    const count = snapshot.length;
    if (!this.admit(topic, count)) return 0;
    tap?.tapped(topic, message);
    const publishId = ++this.published;
    const skipGroups = this.groupsSkippedBy === publishId;
    let delivered = 0;
    for (let from = 0; from < count; from += chunkSize) {
      if (from > 0) {
        await yieldToEventLoop();
        // Other publishes ran meanwhile: this chunk is delivered as of the latest id.
        if (skipGroups) this.groupsSkippedBy = this.published;
      }
      delivered += this.deliver(snapshot, from, Math.min(from + chunkSize, count), topic, message, publishId);
    }
    return delivered;
  }

  /**
   * Whether a publish to `targets` subscribers may go ahead: a top-level publish always may
   * (and starts a new budget); a nested one is checked by {@link FanOut.admitNested}. Kept
   * this small so that V8 inlines it, and the delivery loop after it, into `publish`.
   */
  private admit(topic: string, targets: number): boolean {
    if (this.depth !== 0) return this.admitNested(topic, targets);
    this.work = targets;
    this.limitReported = false;
    return true;
  }

  /**
   * A nested publish is refused past `maxPublishDepth` or `maxPublishWork` (counted in
   * `refused`; the first refusal of each top-level publish is also reported).
   */
  private admitNested(topic: string, targets: number): boolean {
    let code: PublishLimitError['code'];
    let limit: number;
    const work = this.work + targets;
    if (this.depth >= this.maxDepth) {
      code = ERROR_CODES.PUBLISH_DEPTH;
      limit = this.maxDepth;
    } else if (work > this.maxWork) {
      code = ERROR_CODES.PUBLISH_WORK;
      limit = this.maxWork;
    } else {
      this.work = work;
      return true;
    }
    this.refused++;
    // A storm refuses thousands of publishes: one report per top-level publish, the rest counted.
    if (!this.limitReported) {
      this.limitReported = true;
      this.report(new PublishLimitError(code, limit, topic), topic, undefined);
    }
    return false;
  }

  /**
   * Delivers `message` to `snapshot.targets[from, to)`: the loop shared by `publish` and
   * `publishChunked`.
   *
   * @returns how many subscribers took it.
   */
  private deliver(snapshot: TopicSnapshot<T>, from: number, to: number, topic: string, message: T, publishId: number): number {
    const targets = snapshot.targets;
    const observer = this.observer;
    if (observer !== undefined) {
      return this.deliverObserved(observer, targets, from, to, topic, message, publishId);
    }
    // Neither of these two shapes holds a group (a group's representative is neither plain
    // nor queued): only the two other loops check `groupsSkippedBy`.
    if (snapshot.plain) return this.deliverPlain(snapshot, from, to, topic, message);
    if (snapshot.sinks !== undefined) return this.deliverQueued(snapshot.sinks, targets, from, to, topic, message);
    return this.deliverMixed(targets, from, to, topic, message);
  }

  /**
   * @internal Hands `message` to one member of the queue group `representative` stands for,
   * as a publish on `topic` would (the same budget, counters and observer calls), and to
   * nobody else.
   *
   * @returns whether a live member was offered it (its queue may have refused it); `false`
   * as well when a nested publish is refused by the budget.
   */
  protected publishToGroup(representative: SubscriptionRecord<T>, topic: string, message: T): boolean {
    if (this.isClosed) throw new ClosedError('PubSubBroker', 'publish');
    if (!this.admit(topic, 1)) return false;
    const publishId = ++this.published;
    const observer = this.observer;
    const delivery: Delivery<T> = { topic, message, publishedAt: observer === undefined ? Number.NaN : performance.now() };
    this.depth++;
    try {
      observer?.offered(representative, topic, message, publishId);
      const outcome = this.deliverIndirect(representative, delivery, observer);
      if (outcome === NOT_OFFERED) return false;
      this.offered++;
      return true;
    } finally {
      this.depth--;
    }
  }

  /**
   * The delivery loop for a snapshot of queued subscribers only (no observer): one push per
   * target onto its queue, the subscription itself never read. An ended subscription's queue
   * is closed first, so `closed` stands for `live`.
   */
  private deliverQueued(
    sinks: readonly DeliveryTarget<T>[],
    targets: readonly SubscriptionRecord<T>[],
    from: number,
    to: number,
    topic: string,
    message: T,
  ): number {
    // One Delivery per publish, shared; unstamped, as no observer is attached.
    const delivery: Delivery<T> = { topic, message, publishedAt: Number.NaN };
    let offered = 0;
    let taken = 0;
    let i = from;
    this.depth++;
    try {
      while (i < to) {
        try {
          for (; i < to; i++) {
            const sink = sinks[i];
            if (sink.closed) continue;
            offered++;
            if (sink.push(delivery)) taken++;
          }
        } catch (error) {
          // A throwing sizeOf or priorityOf: the message never got in, so it counts as an
          // error of this subscriber, not of the publisher.
          this.fail(error, topic, targets[i++]);
        }
      }
    } finally {
      this.depth--;
      this.offered += offered;
    }
    return taken;
  }

  /** The delivery loop for any other snapshot (queues, groups, owners), unobserved. */
  private deliverMixed(
    targets: readonly SubscriptionRecord<T>[],
    from: number,
    to: number,
    topic: string,
    message: T,
  ): number {
    let taken = 0;
    let offered = 0;
    let completed = 0;
    let delivery: Delivery<T> | undefined;
    // Read before any handler runs: `published` is this publish's id until a nested one.
    const skipGroups = this.groupsSkippedBy === this.published;
    this.depth++;
    try {
      for (let i = from; i < to; i++) {
        const sub = targets[i];
        // Checked per call, not per snapshot: an earlier handler may have ended this one.
        if (!sub.live) continue;
        if (sub.ownerRef !== undefined && sub.ownerRef.deref() === undefined) {
          this.end(sub, 'owner-collected');
          continue;
        }
        if (sub.direct) {
          offered++;
          taken++;
          if (this.call(sub, message, topic)) completed++;
          continue;
        }
        if (skipGroups && sub.dispatcher !== undefined) continue;
        // One Delivery per publish, shared by every queued subscriber. Unobserved, it is
        // not stamped: a clock read per publish is a cost only metrics should pay.
        delivery ??= { topic, message, publishedAt: Number.NaN };
        const outcome = this.deliverIndirect(sub, delivery, undefined);
        if (outcome !== NOT_OFFERED) {
          offered++;
          if (outcome !== REFUSED) taken++;
        }
      }
    } finally {
      this.depth--;
      this.offered += offered;
      this.delivered += completed;
    }
    return taken;
  }

  /**
   * The delivery loop for a snapshot of plain handlers without owners (no observer): nothing
   * to decide per target but whether it is still live, and even that only once a subscription
   * has ended since the snapshot's targets were last known live. One `try` spans a run of
   * calls and the loop resumes after the one that threw, so the call site is a plain call.
   */
  private deliverPlain(snapshot: TopicSnapshot<T>, from: number, to: number, topic: string, message: T): number {
    const targets = snapshot.targets;
    const handlers = snapshot.handlers as readonly Handler<T>[];
    const liveAt = snapshot.liveAt;
    const start = this.endings;
    // Counted by exception, off the hot path: targets skipped as ended, and calls that did
    // not complete here (threw, or returned a promise that is counted when it settles).
    let ended = 0;
    let pending = 0;
    let taken: number;
    let i = from;
    this.depth++;
    try {
      while (i < to) {
        try {
          for (; i < to; i++) {
            // An earlier handler, or anything since the snapshot was checked, may have ended it.
            if (this.endings !== liveAt && !targets[i].live) {
              ended++;
              continue;
            }
            // Called as a plain function (`this` undefined), as on every other path.
            const handler = handlers[i];
            const result = handler(message, topic);
            if (result !== undefined && isThenable(result)) {
              this.track(result, targets[i], topic, undefined, UNWATCHED);
              pending++;
            }
          }
        } catch (error) {
          // targets[i] threw (or its promise could not be tracked): counted, reported, skipped.
          const failed = targets[i++];
          pending++;
          this.fail(error, topic, failed);
        }
      }
    } finally {
      this.depth--;
      // Also when an 'error' listener throws out of fail(): what was handed out is counted.
      taken = i - from - ended;
      this.offered += taken;
      this.delivered += taken - pending;
    }
    // A whole pass found every target live with nothing ended meanwhile: the next publishes
    // of this snapshot skip the checks again.
    if (liveAt !== start && ended === 0 && this.endings === start && from === 0 && to === targets.length) {
      snapshot.liveAt = start;
    }
    return taken;
  }

  /** The delivery loop while an observer is attached: same semantics, plus observation. */
  private deliverObserved(
    observer: BrokerObserver<T>,
    targets: readonly SubscriptionRecord<T>[],
    from: number,
    to: number,
    topic: string,
    message: T,
    publishId: number,
  ): number {
    let taken = 0;
    let offered = 0;
    const skipGroups = this.groupsSkippedBy === this.published;
    const delivery: Delivery<T> = { topic, message, publishedAt: performance.now() };
    this.depth++;
    try {
      for (let i = from; i < to; i++) {
        const sub = targets[i];
        if (!sub.live) continue;
        if (sub.ownerRef !== undefined && sub.ownerRef.deref() === undefined) {
          this.end(sub, 'owner-collected');
          continue;
        }
        if (skipGroups && sub.dispatcher !== undefined) continue;
        observer.offered(sub, topic, message, publishId);
        if (sub.direct) {
          offered++;
          taken++;
          this.callObserved(observer, sub, delivery);
          continue;
        }
        const outcome = this.deliverIndirect(sub, delivery, observer);
        if (outcome !== NOT_OFFERED) {
          offered++;
          if (outcome !== REFUSED) taken++;
        }
      }
    } finally {
      this.depth--;
      this.offered += offered;
    }
    return taken;
  }

  /** Delivers through a queue, or to one member of a queue group. */
  private deliverIndirect(sub: SubscriptionRecord<T>, delivery: Delivery<T>, observer: BrokerObserver<T> | undefined): Outcome {
    let target: SubscriptionRecord<T> | undefined = sub;
    const group = sub.dispatcher;
    if (group !== undefined) {
      target = group.pick();
      while (target !== undefined && target.ownerRef !== undefined && target.ownerRef.deref() === undefined) {
        this.end(target, 'owner-collected');
        target = group.pick();
      }
      if (target === undefined) return NOT_OFFERED;
    }
    const sink = target.sink;
    if (sink !== undefined) {
      try {
        return sink.push(delivery) ? TAKEN : REFUSED;
      } catch (error) {
        // A throwing sizeOf or priorityOf: the message never got in, so it counts as an error
        // of this subscriber, not of the publisher.
        this.fail(error, delivery.topic, target);
        return REFUSED;
      }
    }
    if (observer === undefined) {
      if (this.call(target, delivery.message, delivery.topic)) this.delivered++;
    } else {
      this.callObserved(observer, target, delivery);
    }
    return TAKEN;
  }
}
