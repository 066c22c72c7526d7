/**
 * The handle a subscription returns (public), and the broker's record behind it (internal).
 *
 * @module
 */
import type { DeliverySink } from './delivery.js';
import type { QueueGroup } from './queue-group.js';

/**
 * Receives each message published on a matching topic. Its return value is ignored, except
 * that a returned promise is tracked: its rejection is reported like a throw, and
 * `drain()` waits for it to settle.
 */
export type Handler<T> = (message: T, topic: string) => unknown;

/** @internal Whether a handler returned something to wait for: a promise, or any thenable. */
export const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

/** Why a subscription ended; passed with the broker's `'unsubscribe'` event. */
export type UnsubscribeReason =
  /** `unsubscribe()` or disposal. */
  | 'unsubscribe'
  /** Its `AbortSignal` fired. */
  | 'abort'
  /** Its weakly held `owner` was garbage-collected. */
  | 'owner-collected'
  /** The broker was closed. */
  | 'close'
  /** Its bounded queue overflowed under the `disconnect` policy. */
  | 'slow-consumer';

/**
 * A subscription, as `PubSubBroker.subscribe` returns it. End it with
 * {@link Subscription.unsubscribe}, with `using`, or through the `signal` / `owner` it was
 * created with. Only the broker makes them.
 *
 * @example
 * ```ts
 * {
 *   using sub = broker.subscribe('logs/#', (entry) => console.log(entry));
 *   broker.publish('logs/api/INFO', 'hello');
 * } // ended here
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- T is public API: a Subscription<T> names the broker's message type at call sites.
export interface Subscription<T> extends Disposable {
  /** Unique within its broker, increasing in subscription order. */
  readonly id: number;
  /** The pattern it was created with. */
  readonly pattern: string;
  /** `true` until the subscription ends, for whatever reason. */
  readonly active: boolean;
  /** The queue group it belongs to, if it was made with the `group` option. */
  readonly group: string | undefined;
  /**
   * Messages accepted and not finished: waiting in its queue or being handled by an async
   * handler (always 0 without the `queue` option).
   */
  readonly pending: number;
  /** Messages its queue has dropped, for every reason (always 0 without the `queue` option). */
  readonly dropped: number;
  /**
   * Ends the subscription. Safe to call more than once and from inside a handler; the
   * handler receives nothing after this returns.
   *
   * @returns `true` if this call ended it, `false` if it had already ended.
   */
  unsubscribe(): boolean;
  /** Same as {@link Subscription.unsubscribe}; lets `using` end the subscription. */
  [Symbol.dispose](): void;
}

/**
 * The broker's record of a subscription. Not exported from the package: users hold it as a
 * {@link Subscription}, which has none of these fields.
 *
 * @internal
 */
export class SubscriptionRecord<T> implements Subscription<T> {
  readonly id: number;
  readonly pattern: string;
  readonly handler: Handler<T>;
  /** Cleared when the subscription ends; checked per delivery. */
  live = true;
  /** Set when the subscription has an owner. */
  ownerRef: WeakRef<object> | undefined = undefined;
  /** Undoes the abort listener. */
  detach: (() => void) | undefined = undefined;
  /** The bounded queue (or stream) deliveries go through, if any. */
  sink: DeliverySink<T> | undefined = undefined;
  /** Set on the hidden record that stands for a queue group. */
  dispatcher: QueueGroup<SubscriptionRecord<T>> | undefined = undefined;
  /** Set on a member of a queue group. */
  membership: QueueGroup<SubscriptionRecord<T>> | undefined = undefined;
  /** `true` when the handler is called straight from `publish` (no queue, no group). */
  direct = true;
  private readonly endHook: (subscription: SubscriptionRecord<T>, reason: UnsubscribeReason) => void;

  constructor(
    id: number,
    pattern: string,
    handler: Handler<T>,
    endHook: (subscription: SubscriptionRecord<T>, reason: UnsubscribeReason) => void,
  ) {
    this.id = id;
    this.pattern = pattern;
    this.handler = handler;
    this.endHook = endHook;
  }

  get active(): boolean {
    return this.live;
  }

  get group(): string | undefined {
    return this.membership?.name;
  }

  get pending(): number {
    return this.sink === undefined ? 0 : this.sink.pending;
  }

  get dropped(): number {
    return this.sink === undefined ? 0 : this.sink.dropped;
  }

  unsubscribe(): boolean {
    if (!this.live) return false;
    this.endHook(this, 'unsubscribe');
    return true;
  }

  [Symbol.dispose](): void {
    this.unsubscribe();
  }
}
