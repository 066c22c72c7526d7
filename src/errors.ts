/**
 * Error types shared across the library. {@link TopicError} lives with the topic syntax.
 *
 * @module
 */

/**
 * Thrown by `publish` and `subscribe` once the broker has been closed.
 */
export class BrokerClosedError extends Error {
  /** Always `'ERR_BROKER_CLOSED'`. */
  readonly code = 'ERR_BROKER_CLOSED' as const;

  constructor(operation: string) {
    super(`cannot ${operation}: the broker is closed`);
    this.name = 'BrokerClosedError';
  }
}

/** What can emit an `'error'` event: every emitter of this library. */
interface ErrorEmitter {
  listenerCount(event: 'error'): number;
  emit(event: 'error', ...args: never[]): boolean;
}

/** How long unheard errors of one source are summed up before the next warning. */
const UNHEARD_WINDOW_MS = 1_000;

/** Per source: errors that arrived inside the current window, and its timer. */
const unheardWindows = new Map<string, { count: number; timer: NodeJS.Timeout }>();

/**
 * The library's one error policy. A failure goes to the emitter's `'error'` listeners; when
 * there are none it becomes a `process.emitWarning` of type `'LogcasterWarning'` and code
 * `'LOGCASTER_UNHEARD_ERROR'` (printed on stderr by Node, observable with
 * `process.on('warning')`), never an exception: the process keeps running and the other
 * subscribers keep receiving. The first error of a source is warned at once with its stack;
 * the rest are summed up in one warning per second per source, so a handler that throws on
 * every message cannot flood stderr.
 *
 * A listener that throws is a bug in that listener: it is rethrown on the next tick, outside
 * the loop that reported the error, so the remaining work still happens.
 *
 * @internal
 */
export function reportError(emitter: ErrorEmitter, source: string, error: unknown, ...details: unknown[]): void {
  if (emitter.listenerCount('error') > 0) {
    try {
      (emitter.emit as (event: 'error', ...args: unknown[]) => boolean)('error', error, ...details);
    } catch (listenerError) {
      process.nextTick(() => {
        throw listenerError;
      });
    }
    return;
  }
  warnUnheard(source, error);
}

function warnUnheard(source: string, error: unknown): void {
  const window = unheardWindows.get(source);
  if (window !== undefined) {
    window.count++;
    return;
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  process.emitWarning(`${source}: ${message} (no 'error' listener; add one to handle these)`, {
    type: 'LogcasterWarning',
    code: 'LOGCASTER_UNHEARD_ERROR',
    ...(error instanceof Error && error.stack !== undefined ? { detail: error.stack } : {}),
  });
  const timer = setTimeout(() => {
    const ended = unheardWindows.get(source);
    unheardWindows.delete(source);
    if (ended !== undefined && ended.count > 0) {
      process.emitWarning(`${source}: ${ended.count} more errors in the last second (no 'error' listener)`, {
        type: 'LogcasterWarning',
        code: 'LOGCASTER_UNHEARD_ERROR',
      });
    }
  }, UNHEARD_WINDOW_MS);
  timer.unref();
  unheardWindows.set(source, { count: 0, timer });
}
