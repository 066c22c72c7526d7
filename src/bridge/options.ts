/**
 * The options every bridge shares, and their validation.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { jsonCodec, type Codec } from './codec.js';
import { MAX_ORIGIN_BYTES } from './envelope.js';
import { invalidArgType, outOfRange } from './errors.js';

/**
 * Options of a bridge's outbox: where publishes wait while the publisher connection is down,
 * and before the bridge is first ready.
 */
export interface OutboxOptions {
  /**
   * The most messages the outbox holds. An integer >= 1.
   * @default 10000
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
  outboxLimit: number;
  outboxMaxBytes: number;
  outboxPolicy: 'drop-oldest' | 'drop-newest';
  maxOrigins: number;
  now: () => number;
}

const show = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value) : String(value));

/**
 * Applies the defaults and checks every field.
 *
 * @throws TypeError or RangeError naming the bad field and value.
 */
export function resolveBridgeOptions<T>(options: BridgeOptions<T>): ResolvedBridgeOptions<T> {
  // The syntax has one home, the broker: a second setting here could only disagree with it.
  if ((options as { topics?: unknown }).topics !== undefined) {
    throw invalidArgType(
      'topics is not a bridge option: the bridge reads the topic syntax from broker.syntax (create the broker with it)',
    );
  }
  const nodeId = options.nodeId ?? randomUUID();
  if (typeof nodeId !== 'string' || nodeId.length === 0) {
    throw invalidArgType(`nodeId must be a non-empty string (got ${show(nodeId)})`);
  }
  if (Buffer.byteLength(nodeId, 'utf8') > MAX_ORIGIN_BYTES) {
    throw outOfRange(`nodeId must be at most ${MAX_ORIGIN_BYTES} bytes in UTF-8 (got ${Buffer.byteLength(nodeId)})`);
  }
  const codec = options.codec ?? jsonCodec<T>();
  if (typeof codec?.encode !== 'function' || typeof codec.decode !== 'function') {
    throw invalidArgType('codec must have encode and decode functions');
  }
  const outbox = options.outbox ?? {};
  const outboxLimit = outbox.limit ?? 10_000;
  if (!Number.isSafeInteger(outboxLimit) || outboxLimit < 1) {
    throw outOfRange(`outbox.limit must be an integer >= 1 (got ${show(outboxLimit)})`);
  }
  const outboxMaxBytes = outbox.maxBytes ?? Infinity;
  if (typeof outboxMaxBytes !== 'number' || !(outboxMaxBytes > 0)) {
    throw outOfRange(`outbox.maxBytes must be a number > 0 or Infinity (got ${show(outboxMaxBytes)})`);
  }
  const outboxPolicy = outbox.policy ?? 'drop-oldest';
  if (outboxPolicy !== 'drop-oldest' && outboxPolicy !== 'drop-newest') {
    throw outOfRange(`outbox.policy must be 'drop-oldest' or 'drop-newest' (got ${show(outboxPolicy)})`);
  }
  const maxOrigins = options.maxOrigins ?? 1024;
  if (!Number.isSafeInteger(maxOrigins) || maxOrigins < 1) {
    throw outOfRange(`maxOrigins must be an integer >= 1 (got ${show(maxOrigins)})`);
  }
  const now = options.now ?? (() => performance.now());
  if (typeof now !== 'function') throw invalidArgType(`now must be a function (got ${typeof now})`);
  return { nodeId, codec, outboxLimit, outboxMaxBytes, outboxPolicy, maxOrigins, now };
}
