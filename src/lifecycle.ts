/**
 * The options of `drain()` and `close()`, shared by every class that can wait for its pending
 * work (see the glossary: drain waits, close stops).
 *
 * @module
 */
import { optionKeys } from './internal/options.js';

/** Options of `drain()`. */
export interface DrainOptions {
  /**
   * Give up after this many milliseconds: the promise rejects with a `TimeoutError` that says
   * how much was still pending. From 0 to 2147483647 (the longest delay a timer honours), or
   * `Infinity` for no limit.
   * @default no limit
   */
  timeoutMs?: number;
}

/** Options of an async `close()`. */
export interface CloseOptions extends DrainOptions {
  /**
   * Wait for what is pending (as `drain()` does) before closing. Without it, what is pending
   * is dropped and counted. With `timeoutMs`, closing happens anyway when the time is up, and
   * the promise rejects with the `TimeoutError`.
   * @default false
   */
  drain?: boolean;
}

/** The keys of {@link DrainOptions}, for the check of unknown keys. */
export const DRAIN_OPTION_KEYS = /* @__PURE__ */ optionKeys<DrainOptions>({ timeoutMs: true });

/** The keys of {@link CloseOptions}, for the check of unknown keys. */
export const CLOSE_OPTION_KEYS = /* @__PURE__ */ optionKeys<CloseOptions>({ timeoutMs: true, drain: true });

