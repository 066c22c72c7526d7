/**
 * Timers that never keep a process alive, in Node and out of it.
 *
 * @module
 */
import { numberRule } from './checks.js';

/** A timer as `setTimeout` or `setInterval` returns it: a Node `Timeout`, or a browser's number. */
export type Timer = ReturnType<typeof setTimeout>;

/**
 * `timer.unref()` where timers have it (Node), so a library timer never holds the process
 * open; nothing elsewhere (a browser or worker, where a timer is a number).
 */
export function unrefTimer<T extends Timer>(timer: T): T {
  if (typeof timer === 'object' && typeof timer.unref === 'function') timer.unref();
  return timer;
}

/**
 * The longest delay Node's timers honour: 2^31 - 1 ms (about 24.8 days). `setTimeout` with a
 * longer one fires after 1 ms instead, so every `…Ms` option refuses more (a timeout may be
 * `Infinity` instead, meaning none).
 */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * What every `timeoutMs` option accepts: a number from 0 to {@link MAX_TIMER_MS}, or
 * `Infinity` for no limit.
 */
export const TIMEOUT_RULE = /* @__PURE__ */ numberRule({ min: 0, max: MAX_TIMER_MS, orInfinity: true });
