/**
 * The handle a subscription returns: it knows its pattern and ends itself.
 *
 * @module
 */
import type { DeliverySink } from './delivery.js';
import type { QueueGroup } from './queue-group.js';

/**
 * Receives each message published on a matching topic. Its return value is ignored, except
 * that a returned promise's rejection is reported like a throw (an unqueued subscription does
 * not wait for it).
 */
export type Handler<T> = (message: T, topic: string) => unknown;

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
 * A live subscription. End it with {@link Subscription.unsubscribe}, with `using`, or through
 * the `signal` / `owner` it was created with.
 *
 * @example
 * ```ts
 * {
 *   using sub = broker.subscribe('logs/#', (entry) => console.log(entry));
 *   broker.publish('logs/api/INFO', 'hello');
 * } // ended here
 * ```
 */
export class Subscription<T> implements Disposable {
  /** Unique within its broker, increasing in subscription order. */
  readonly id: number;
  /** The pattern it was created with. */
  readonly pattern: string;
  /** @internal */
  readonly handler: Handler<T>;
  /** @internal */
  live = true;
  /** @internal set by the broker when the subscription has an owner */
  ownerRef: WeakRef<object> | undefined = undefined;
  /** @internal undoes the abort listener */
  detach: (() => void) | undefined = undefined;
  /** @internal the bounded queue (or stream) deliveries go through, if any */
  sink: DeliverySink<T> | undefined = undefined;
  /** @internal set on the hidden subscription that stands for a queue group */
  dispatcher: QueueGroup<T> | undefined = undefined;
  /** @internal set on a member of a queue group */
  membership: QueueGroup<T> | undefined = undefined;
  /** @internal `true` when the handler is called straight from `publish` (no queue, no group) */
  direct = true;
  private readonly endHook: (subscription: Subscription<T>, reason: UnsubscribeReason) => void;

  /** @internal subscriptions are made by `PubSubBroker.subscribe` */
  constructor(
    id: number,
    pattern: string,
    handler: Handler<T>,
    endHook: (subscription: Subscription<T>, reason: UnsubscribeReason) => void,
  ) {
    this.id = id;
    this.pattern = pattern;
    this.handler = handler;
    this.endHook = endHook;
  }

  /** `true` until the subscription ends, for whatever reason. */
  get active(): boolean {
    return this.live;
  }

  /** The queue group it belongs to, if it was made with the `group` option. */
  get group(): string | undefined {
    return this.membership?.name;
  }

  /** Messages waiting in its queue (always 0 without the `queue` option). */
  get pending(): number {
    return this.sink === undefined ? 0 : this.sink.pending;
  }

  /** Messages its queue has dropped, for every reason (always 0 without the `queue` option). */
  get dropped(): number {
    return this.sink === undefined ? 0 : this.sink.dropped;
  }

  /**
   * Ends the subscription. Safe to call more than once and from inside a handler; the
   * handler receives nothing after this returns.
   *
   * @returns `true` if this call ended it, `false` if it had already ended.
   */
  unsubscribe(): boolean {
    if (!this.live) return false;
    this.endHook(this, 'unsubscribe');
    return true;
  }

  /** Same as {@link Subscription.unsubscribe}; lets `using` end the subscription. */
  [Symbol.dispose](): void {
    this.unsubscribe();
  }
}
