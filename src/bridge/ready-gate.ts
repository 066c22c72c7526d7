/**
 * The pending `ready()` calls of a bridge: each settles when the bridge is ready, when its
 * own timeout or signal fires, or when the bridge closes.
 *
 * @module
 */
import { optionalSignal, requireNumber } from '../internal/checks.js';
import { checkOptions, optionKeys } from '../internal/options.js';
import { TIMEOUT_RULE } from '../internal/timers.js';
import { BRIDGE_ERROR_CODES, BridgeError } from './errors.js';

/** Options of `ready()`. */
export interface ReadyOptions {
  /**
   * Reject with a {@link BridgeError} (`ERR_BRIDGE_READY_TIMEOUT`) after this many
   * milliseconds. From 0 to 2147483647 (the longest delay a timer honours), or `Infinity`
   * for none.
   * @default no timeout: wait until the engine answers
   */
  timeoutMs?: number;
  /**
   * Reject with the signal's reason when it aborts.
   * @default none
   */
  signal?: AbortSignal;
}

/** The keys of {@link ReadyOptions}, for the check of unknown keys. */
export const READY_OPTION_KEYS = /* @__PURE__ */ optionKeys<ReadyOptions>({ timeoutMs: true, signal: true });

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
   * @throws TypeError (`ERR_INVALID_ARG_TYPE`, `ERR_UNKNOWN_OPTION`) when `options` is not an
   *   object or has a key that is not an option.
   * @throws RangeError (`ERR_OUT_OF_RANGE`) for a bad `timeoutMs`.
   */
  static check(options: ReadyOptions): void {
    checkOptions('ready', options, READY_OPTION_KEYS);
    if (options.timeoutMs !== undefined) requireNumber('timeoutMs', options.timeoutMs, TIMEOUT_RULE);
    optionalSignal('signal', options.signal);
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
