/**
 * Timers that never keep a process alive, in Node and out of it.
 *
 * @module
 */

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
