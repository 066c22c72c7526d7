/**
 * The options every bridge shares, and their validation.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { BYTE_BOUND, COUNT_FROM_1, mustBe, requireFunction, requireNumber } from '../internal/checks.js';
import { checkOptions, optionKeys, type OptionKeys } from '../internal/options.js';
import { jsonCodec, type Codec } from './codec.js';
import { MAX_ORIGIN_BYTES } from './envelope.js';
import { invalidArgType, invalidArgValue, outOfRange } from '../internal/coded-errors.js';

/**
 * Options of a bridge's outbox: where publishes wait while the publisher connection is down,
 * and before the bridge is first ready.
 */
export interface OutboxOptions {
  /**
   * The most messages the outbox holds. An integer >= 1.
   * @default 10000
   */
  maxItems?: number;
  /**
   * The old name of {@link OutboxOptions.maxItems}, accepted for one release (0.3.x) with a
   * `DeprecationWarning`; giving both is an error.
   * @deprecated Use `maxItems`.
   */
  limit?: number;
  /**
   * The most bytes (of envelopes) the outbox holds. Above 0.
   * @default Infinity
   */
  maxBytes?: number;
  /**
   * Which message a full outbox drops: `'drop-oldest'` keeps the most recent ones (for
   * logs, what matters after an outage), `'drop-newest'` the first ones.
   * @default 'drop-oldest'
   */
  policy?: 'drop-oldest' | 'drop-newest';
}

/** Options every bridge takes (Redis, Redis Cluster, NATS). */
export interface BridgeOptions<T> {
  /**
   * This node's id, the origin of its envelopes: how a node recognises its own messages
   * and how receivers keep sequence numbers apart. Unique per process; at most 255 bytes.
   * @default crypto.randomUUID()
   */
  nodeId?: string;
  /**
   * How messages become bytes. Every node must use the same codec.
   * @default {@link jsonCodec}
   */
  codec?: Codec<T>;
  /** The outbox; see {@link OutboxOptions}. */
  outbox?: OutboxOptions;
  /**
   * Sender ids remembered per channel (per topic for `NatsBridge`) for gap and duplicate
   * detection (one heard long ago is forgotten past it). An integer >= 1.
   * @default 1024
   */
  maxOrigins?: number;
  /**
   * The clock, in milliseconds, for `downMs` and the outbox hold.
   * @default performance.now
   */
  now?: () => number;
}

/** {@link BridgeOptions} with every default applied. */
export interface ResolvedBridgeOptions<T> {
  nodeId: string;
  codec: Codec<T>;
  outboxMaxItems: number;
  outboxMaxBytes: number;
  outboxPolicy: 'drop-oldest' | 'drop-newest';
  maxOrigins: number;
  now: () => number;
}

/** The keys of {@link BridgeOptions}: every bridge's own options add theirs to these. */
export const BRIDGE_OPTION_KEYS = /* @__PURE__ */ optionKeys<BridgeOptions<unknown>>({
  nodeId: true,
  codec: true,
  outbox: true,
  maxOrigins: true,
  now: true,
});

/** The keys of {@link OutboxOptions}. */
export const OUTBOX_OPTION_KEYS = /* @__PURE__ */ optionKeys<OutboxOptions>({ maxItems: true, limit: true, maxBytes: true, policy: true });

/** The code of the warning `outbox.limit` gives (once per process). */
export const OUTBOX_LIMIT_DEPRECATION = 'LOGCASTER_DEP_OUTBOX_LIMIT';

let warnedOutboxLimit = false;

/**
 * The first check of a bridge's constructor: `options` is an object and has only the keys
 * the bridge reads (`known`: {@link BRIDGE_OPTION_KEYS} and the bridge's own).
 *
 * @param where - the call, for the messages: `'new RedisBridge'`.
 * @throws TypeError (`ERR_INVALID_ARG_TYPE`) when `options` is not an object, or it has
 *   `topics` (the broker's syntax is the bridge's); (`ERR_UNKNOWN_OPTION`) for another key
 *   the bridge does not know, naming the nearest one.
 */
export function checkBridgeOptions<O>(where: string, options: O, known: OptionKeys<O>): void {
  // The syntax has one home, the broker: a second setting here could only disagree with it.
  if (typeof options === 'object' && options !== null && (options as { topics?: unknown }).topics !== undefined) {
    throw invalidArgType(
      `${where}: topics is not a bridge option: the bridge reads the topic syntax from broker.syntax (create the broker with it)`,
    );
  }
  checkOptions(where, options, known);
}

/**
 * Applies the defaults and checks every field of the options every bridge shares (the keys
 * were checked by {@link checkBridgeOptions}).
 *
 * @param where - the call, for the messages of the outbox's keys.
 * @throws TypeError or RangeError naming the bad field and value.
 */
export function resolveBridgeOptions<T>(options: BridgeOptions<T>, where: string): ResolvedBridgeOptions<T> {
  const nodeId = options.nodeId ?? randomUUID();
  if (typeof nodeId !== 'string' || nodeId.length === 0) {
    throw invalidArgType(mustBe('nodeId', 'a non-empty string', nodeId));
  }
  if (Buffer.byteLength(nodeId, 'utf8') > MAX_ORIGIN_BYTES) {
    throw outOfRange(`nodeId must be at most ${MAX_ORIGIN_BYTES} bytes in UTF-8 (got ${Buffer.byteLength(nodeId)})`);
  }
  const codec = options.codec ?? jsonCodec<T>();
  if (typeof codec?.encode !== 'function' || typeof codec.decode !== 'function') {
    throw invalidArgType(mustBe('codec', 'an object with encode and decode functions', codec));
  }
  const outbox: OutboxOptions = options.outbox === undefined ? {} : options.outbox;
  checkOptions(where, outbox, OUTBOX_OPTION_KEYS, 'outbox');
  const outboxMaxItems = requireNumber('outbox.maxItems', outboxItems(outbox) ?? 10_000, COUNT_FROM_1);
  const outboxMaxBytes = requireNumber('outbox.maxBytes', outbox.maxBytes ?? Infinity, BYTE_BOUND);
  const outboxPolicy = outbox.policy ?? 'drop-oldest';
  if (outboxPolicy !== 'drop-oldest' && outboxPolicy !== 'drop-newest') {
    throw invalidArgValue(mustBe('outbox.policy', "'drop-oldest' or 'drop-newest'", outboxPolicy), 'range');
  }
  const maxOrigins = requireNumber('maxOrigins', options.maxOrigins ?? 1024, COUNT_FROM_1);
  const now = requireFunction('now', options.now ?? (() => performance.now()));
  return { nodeId, codec, outboxMaxItems, outboxMaxBytes, outboxPolicy, maxOrigins, now };
}

/** `outbox.maxItems`, or its deprecated name `limit` (with a warning, once per process); both is an error. */
function outboxItems(outbox: OutboxOptions): number | undefined {
  if (outbox.limit === undefined) return outbox.maxItems;
  if (outbox.maxItems !== undefined) {
    throw invalidArgValue(`outbox.limit is the old name of outbox.maxItems: give only maxItems (got both, ${outbox.limit} and ${outbox.maxItems})`);
  }
  if (!warnedOutboxLimit) {
    warnedOutboxLimit = true;
    process.emitWarning('outbox.limit is deprecated: use outbox.maxItems (the same bound)', {
      type: 'DeprecationWarning',
      code: OUTBOX_LIMIT_DEPRECATION,
    });
  }
  // The old name's message names the option as given.
  return requireNumber('outbox.limit', outbox.limit, COUNT_FROM_1);
}
