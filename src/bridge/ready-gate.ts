/**
 * The pending `ready()` calls of a bridge: each settles when the bridge is ready, when its
 * own timeout or signal fires, or when the bridge closes.
 *
 * @module
 */
import { BRIDGE_ERROR_CODES, BridgeError, outOfRange } from './errors.js';

/** Options of `ready()`. */
export interface ReadyOptions {
  /**
   * Reject with a {@link BridgeError} (`ERR_BRIDGE_READY_TIMEOUT`) after this many
   * milliseconds. A number >= 0.
   * @default no timeout: wait until the engine answers
   */
  timeoutMs?: number;
  /**
   * Reject with the signal's reason when it aborts.
   * @default none
   */
  signal?: AbortSignal;
}

/** A pending `ready()`. */
interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
  cleanup(): void;
}

/** The `ready()` calls waiting for a bridge. */
export class ReadyGate {
  private waiters: Waiter[] = [];

  /**
   * Checks `ready()`'s options, before anything else happens.
   *
   * @throws RangeError (`ERR_OUT_OF_RANGE`) for a bad `timeoutMs`.
   */
  static check(options: ReadyOptions): void {
    const { timeoutMs } = options;
    if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs >= 0))) {
      throw outOfRange(`timeoutMs must be a number >= 0 (got ${String(timeoutMs)})`);
    }
  }

  /** Whether anyone waits. */
  get waiting(): boolean {
    return this.waiters.length > 0;
  }

  /**
   * A promise that settles with the next {@link ReadyGate.open}, or rejects on timeout,
   * abort or {@link ReadyGate.fail}. `pending` says what is still awaited, for the timeout's
   * message.
   */
  wait(options: ReadyOptions, engine: string, pending: () => string): Promise<void> {
    const { timeoutMs, signal } = options;
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => {
        waiter.cleanup();
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        resolve,
        reject,
        cleanup: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          const at = this.waiters.indexOf(waiter);
          if (at !== -1) this.waiters.splice(at, 1);
        },
      };
      if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
        timer = setTimeout(() => {
          waiter.cleanup();
          reject(
            new BridgeError(
              BRIDGE_ERROR_CODES.readyTimeout,
              `${engine} did not acknowledge the subscriptions within ${timeoutMs} ms (${pending()})`,
            ),
          );
        }, timeoutMs);
        timer.unref();
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Resolves every pending call. */
  open(): void {
    for (const waiter of this.take()) waiter.resolve();
  }

  /** Rejects every pending call with `error`. */
  fail(error: unknown): void {
    for (const waiter of this.take()) waiter.reject(error);
  }

  private take(): Waiter[] {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.cleanup();
    return waiters;
  }
}
