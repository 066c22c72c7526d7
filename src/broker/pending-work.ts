/**
 * The broker's count of unfinished messages, and the `drain()` promises waiting for it to
 * reach zero.
 *
 * @module
 */
import { TimeoutError } from '../errors.js';

/** Someone awaiting `drain()`. */
interface IdleWaiter {
  readonly resolve: () => void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Messages accepted and not finished: one is added when a subscriber queue takes a message
 * or a plain handler returns a promise, and settled when the handler returns, throws or
 * settles, when a stream's loop reads it, or when its queue drops it.
 *
 * Why a count kept as it changes rather than a sum taken when asked: `drain()` must learn
 * that the last message finished, and a sum over every subscription on every completion made
 * draining N queued subscribers cost O(N²) (16,000 of them took 10 s). Each change here is
 * O(1), and so is telling whether anyone is still waiting.
 *
 * @internal
 */
export class PendingWork {
  // TypeScript `private` for the count, like the queues that change it on every push: a `#`
  // field costs more bytecode on the publish path (see BoundedQueue).
  private current = 0;
  readonly #waiters = new Set<IdleWaiter>();

  /** Messages pending now. */
  get count(): number {
    return this.current;
  }

  /** `count` more messages are pending. */
  add(count: number): void {
    this.current += count;
  }

  /** `count` pending messages finished; at zero, every `whenIdle()` promise resolves. */
  settle(count: number): void {
    this.current -= count;
    if (this.current === 0 && this.#waiters.size > 0) this.#wake();
  }

  /**
   * Resolves once nothing is pending (at once when nothing is); after `timeoutMs` it rejects
   * with a {@link TimeoutError} that says how much still was.
   */
  whenIdle(timeoutMs: number): Promise<void> {
    if (this.current === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: IdleWaiter = { resolve, timer: undefined };
      if (timeoutMs !== Infinity) {
        waiter.timer = setTimeout(() => {
          this.#waiters.delete(waiter);
          reject(new TimeoutError('drain', timeoutMs, this.current));
        }, timeoutMs);
      }
      this.#waiters.add(waiter);
    });
  }

  #wake(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const waiter of waiters) {
      if (waiter.timer !== undefined) clearTimeout(waiter.timer);
      waiter.resolve();
    }
  }
}
