/**
 * Every error class of the library, their `ERR_*` codes, and the one error policy
 * ({@link reportError}) every emitter follows.
 *
 * Bad arguments and options are refused with the built-in `TypeError` (wrong kind of value) or
 * `RangeError` (right kind, out of range), naming the field and the value, and carrying one of
 * Node's own codes (`ERR_INVALID_ARG_TYPE`, `ERR_OUT_OF_RANGE`, …) in `code`. Everything else
 * the library raises is one of the classes below. Every code is in {@link ERROR_CODES}, and
 * `docs/errors.md` lists them all (the Redis bridges' too) with their meaning.
 *
 * @module
 */

import { ARGUMENT_ERROR_CODES } from './internal/coded-errors.js';
import { unrefTimer, type Timer } from './internal/timers.js';

/**
 * Every `code` the library's errors carry: the argument codes (Node's `ERR_INVALID_ARG_TYPE`,
 * `ERR_OUT_OF_RANGE`, …, see `docs/errors.md`) and one per error class below.
 */
export const ERROR_CODES = /* @__PURE__ */ Object.freeze({
  ...ARGUMENT_ERROR_CODES,
  /** {@link TopicError}: a topic or pattern breaks the syntax. */
  INVALID_TOPIC: 'ERR_INVALID_TOPIC',
  /** {@link ClosedError}: an operation on something already closed. */
  CLOSED: 'ERR_CLOSED',
  /** {@link SlowConsumerError}: a bounded queue overflowed under `'disconnect'`. */
  SLOW_CONSUMER: 'ERR_SLOW_CONSUMER',
  /** {@link TimeoutError}: `drain`, `close({ drain: true })` or `nextMessage` ran out of time. */
  TIMEOUT: 'ERR_TIMEOUT',
  /** {@link PublishLimitError}: a nested publish went past `maxPublishDepth`. */
  PUBLISH_DEPTH: 'ERR_PUBLISH_DEPTH',
  /** {@link PublishLimitError}: one publish caused more handler calls than `maxPublishWork`. */
  PUBLISH_WORK: 'ERR_PUBLISH_WORK',
  /** {@link InvalidStateError}: a call that the object's state does not allow now. */
  INVALID_STATE: 'ERR_INVALID_STATE',
} as const);

/** One of the {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** Why a topic or pattern was rejected; the `reason` of a {@link TopicError}. */
export type TopicErrorReason =
  /** Not a string at all. */
  | 'NOT_A_STRING'
  /** The empty string. */
  | 'EMPTY'
  /** Longer than `maxLength`. */
  | 'TOO_LONG'
  /** More levels than `maxLevels`. */
  | 'TOO_MANY_LEVELS'
  /** A published topic that contains a wildcard. */
  | 'WILDCARD_IN_TOPIC'
  /** A wildcard that is only part of a level (`a/b*`). */
  | 'WILDCARD_NOT_WHOLE_LEVEL'
  /** The multi-level wildcard before the last level. */
  | 'MULTI_WILDCARD_NOT_LAST'
  /** A level that is another syntax preset's wildcard (`+` or `>` under the default syntax). */
  | 'FOREIGN_WILDCARD';

/**
 * A topic or pattern that breaks the syntax rules. Thrown at the call site before any state
 * changes.
 *
 * @example
 * ```ts
 * try { trie.add('logs/#/x', 1); } catch (e) {
 *   if (e instanceof TopicError) console.log(e.code, e.reason, e.topic); // ERR_INVALID_TOPIC MULTI_WILDCARD_NOT_LAST logs/#/x
 * }
 * ```
 */
export class TopicError extends Error {
  /** Always `'ERR_INVALID_TOPIC'`. */
  readonly code = ERROR_CODES.INVALID_TOPIC;
  /** Which rule it breaks. */
  readonly reason: TopicErrorReason;
  /** The offending topic or pattern, as given (or its `String()` form if it was not a string). */
  readonly topic: string;

  constructor(reason: TopicErrorReason, topic: string, message: string) {
    super(message);
    this.name = 'TopicError';
    this.reason = reason;
    this.topic = topic;
  }
}

/**
 * An operation refused because its target is closed: `publish`/`subscribe` on a closed broker,
 * `add` on a closed `Batcher`, `open` on a closed `BackpressureManager`.
 */
export class ClosedError extends Error {
  /** Always `'ERR_CLOSED'`. */
  readonly code = ERROR_CODES.CLOSED;
  /** The class of the closed object, e.g. `'PubSubBroker'`. */
  readonly target: string;
  /** What was refused, e.g. `'publish'`. */
  readonly operation: string;

  constructor(target: string, operation: string) {
    super(`cannot ${operation}: the ${target} is closed`);
    this.name = 'ClosedError';
    this.target = target;
    this.operation = operation;
  }
}

/** What was pending when a {@link SlowConsumerError} was raised, and the bound it hit. */
export interface SlowConsumerDetails {
  /** Items pending in the queue when it overflowed. */
  pending: number;
  /** Bytes pending in the queue when it overflowed (0 when the queue does not count bytes). */
  pendingBytes: number;
  /** The bound that was exceeded: an item count or a byte count, as the message says. */
  bound: number;
}

/**
 * A consumer fell so far behind that its bounded queue overflowed, and it was ended rather
 * than let the queue grow (like a NATS slow consumer, or an IRC server's "SendQ exceeded").
 * Raised by a `BoundedQueue` under the `'disconnect'` policy, or when protected items reach
 * its hard bound; handed to the queue's `'overflow'` event, never thrown.
 */
export class SlowConsumerError extends Error {
  /** Always `'ERR_SLOW_CONSUMER'`. */
  readonly code = ERROR_CODES.SLOW_CONSUMER;
  /** Items pending when the queue overflowed. */
  readonly pending: number;
  /** Bytes pending when the queue overflowed. */
  readonly pendingBytes: number;
  /** The bound that was exceeded (items or bytes, as the message says). */
  readonly bound: number;

  constructor(message: string, details: SlowConsumerDetails) {
    super(message);
    this.name = 'SlowConsumerError';
    this.pending = details.pending;
    this.pendingBytes = details.pendingBytes;
    this.bound = details.bound;
  }
}

/**
 * A wait ran out of time: `drain({ timeoutMs })`, `close({ drain: true, timeoutMs })` or
 * `nextMessage(pattern, { timeoutMs })`. Says what was still pending.
 */
export class TimeoutError extends Error {
  /** Always `'ERR_TIMEOUT'`. */
  readonly code = ERROR_CODES.TIMEOUT;
  /** The method that timed out, e.g. `'drain'`. */
  readonly operation: string;
  /** The time it was given. */
  readonly timeoutMs: number;
  /** Messages still waiting or being handled when it timed out (0 for `nextMessage`). */
  readonly pending: number;

  constructor(operation: string, timeoutMs: number, pending: number) {
    super(
      pending > 0
        ? `${operation} timed out after ${timeoutMs} ms with ${pending} messages still pending`
        : `${operation} timed out after ${timeoutMs} ms`,
    );
    this.name = 'TimeoutError';
    this.operation = operation;
    this.timeoutMs = timeoutMs;
    this.pending = pending;
  }
}

/**
 * A publish made from inside a handler was refused because the chain of publishes it belongs
 * to went too far: nested deeper than `maxPublishDepth` (`ERR_PUBLISH_DEPTH`), or one
 * top-level publish caused more than `maxPublishWork` handler calls (`ERR_PUBLISH_WORK`).
 * Reported as the broker's `'error'`, never thrown out of `publish`.
 */
export class PublishLimitError extends Error {
  /** Which limit was hit. */
  readonly code: typeof ERROR_CODES.PUBLISH_DEPTH | typeof ERROR_CODES.PUBLISH_WORK;
  /** The limit's value. */
  readonly limit: number;
  /** The topic of the refused publish. */
  readonly topic: string;

  constructor(code: PublishLimitError['code'], limit: number, topic: string) {
    super(
      code === ERROR_CODES.PUBLISH_DEPTH
        ? `publish nested deeper than maxPublishDepth (${limit}) on topic ${JSON.stringify(topic)}`
        : `one publish caused more than maxPublishWork (${limit}) handler calls; refused a nested publish on topic ${JSON.stringify(topic)} (a handler that re-publishes what it receives?)`,
    );
    this.name = 'PublishLimitError';
    this.code = code;
    this.limit = limit;
    this.topic = topic;
  }
}

/** A call the object's current state does not allow, e.g. a second `next()` on a stream before the first settled. */
export class InvalidStateError extends Error {
  /** Always `'ERR_INVALID_STATE'`. */
  readonly code = ERROR_CODES.INVALID_STATE;

  constructor(message: string) {
    super(message);
    this.name = 'InvalidStateError';
  }
}

/** What can emit an `'error'` event: every emitter of this library, and an adapter's. */
export interface ErrorEmitter {
  listenerCount(event: 'error'): number;
  emit(event: 'error', ...args: never[]): boolean;
}

/** How long unheard errors of one source are summed up before the next warning. */
const UNHEARD_WINDOW_MS = 1_000;

/** The `code` of the warning an unheard error becomes. */
const UNHEARD_CODE = 'LOGCASTER_UNHEARD_ERROR';

/** Per source: errors that arrived inside the current window, and its timer. */
const unheardWindows = /* @__PURE__ */ new Map<string, { count: number; timer: Timer }>();

/**
 * Node's `process`, when there is one: a browser, a worker or Deno Deploy bundle of the core
 * has none (or one without `emitWarning`), and warns on the console instead.
 */
function nodeProcess(): NodeJS.Process | undefined {
  const candidate = (globalThis as { process?: Partial<NodeJS.Process> }).process;
  return typeof candidate?.emitWarning === 'function' && typeof candidate.nextTick === 'function'
    ? (candidate as NodeJS.Process)
    : undefined;
}

/** A `LogcasterWarning`: a process warning under Node, `console.warn` elsewhere. */
function warn(message: string, error?: Error): void {
  const node = nodeProcess();
  if (node !== undefined) {
    node.emitWarning(message, {
      type: 'LogcasterWarning',
      code: UNHEARD_CODE,
      ...(error?.stack !== undefined ? { detail: error.stack } : {}),
    });
  } else if (error !== undefined) {
    console.warn(`LogcasterWarning [${UNHEARD_CODE}]: ${message}`, error);
  } else {
    console.warn(`LogcasterWarning [${UNHEARD_CODE}]: ${message}`);
  }
}

/**
 * The library's one error policy. A failure goes to the emitter's `'error'` listeners; when
 * there are none it becomes a `process.emitWarning` of type `'LogcasterWarning'` and code
 * `'LOGCASTER_UNHEARD_ERROR'` (printed on stderr by Node, observable with
 * `process.on('warning')`; a `console.warn` where there is no `process`), never an exception:
 * the process keeps running and the other subscribers keep receiving. The first error of a
 * source is warned at once with its stack; the rest are summed up in one warning per second
 * per source, so a handler that throws on every message cannot flood stderr.
 *
 * A listener that throws is a bug in that listener: it is rethrown on the next tick (a
 * microtask where there is no `process`), outside the loop that reported the error, so the
 * remaining work still happens.
 *
 * For adapters (exported by `logcaster/adapter`): report a failure the way every class of the
 * library does. `source` names the reporter in the warning (`'RedisBridge'`); `details`
 * follow the error as the `'error'` event's further arguments.
 */
export function reportError(emitter: ErrorEmitter, source: string, error: unknown, ...details: unknown[]): void {
  if (emitter.listenerCount('error') > 0) {
    try {
      (emitter.emit as (event: 'error', ...args: unknown[]) => boolean)('error', error, ...details);
    } catch (listenerError) {
      const rethrow = (): never => {
        throw listenerError;
      };
      const node = nodeProcess();
      if (node !== undefined) node.nextTick(rethrow);
      else queueMicrotask(rethrow);
    }
    return;
  }
  reportUnheard(source, error);
}

/**
 * The warning half of {@link reportError}, for a failure that has its own event (a queue's
 * `'overflow'`) which nobody listens to.
 *
 * @internal
 */
export function reportUnheard(source: string, error: unknown): void {
  const window = unheardWindows.get(source);
  if (window !== undefined) {
    window.count++;
    return;
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  warn(`${source}: ${message} (no listener; add one to handle these)`, error instanceof Error ? error : undefined);
  const timer = unrefTimer(setTimeout(() => {
    const ended = unheardWindows.get(source);
    unheardWindows.delete(source);
    if (ended !== undefined && ended.count > 0) {
      warn(`${source}: ${ended.count} more errors in the last second (no listener)`);
    }
  }, UNHEARD_WINDOW_MS));
  unheardWindows.set(source, { count: 0, timer });
}
