/**
 * The envelope every message travels in between nodes: who sent it, its sequence number,
 * its topic and the encoded payload, in one Buffer.
 *
 * Layout (version 1), all integers big-endian:
 *
 * | bytes | field |
 * | --- | --- |
 * | 1 | version, `1` |
 * | 1 | origin length `n` (1–255) |
 * | n | origin node id, UTF-8 |
 * | 8 | sequence number, a float64 holding a safe integer; negative when the sender restarted its count (see below) |
 * | 4 | topic length `m` |
 * | m | topic, UTF-8 |
 * | rest | payload, as the codec encoded it |
 *
 * A sender counts per channel (Redis) or per topic (NATS). A NATS sender keeps its per-topic
 * counts in a bounded map: when it has forgotten a topic and publishes on it again, it starts
 * that topic afresh above every number it ever used and marks the first envelope with a
 * negative sequence number, so a receiver accepts it without reporting a gap (`restart`).
 *
 * @module
 */
import { EnvelopeError } from './errors.js';

export { EnvelopeError };

/** The wire format version this module writes and reads. */
export const ENVELOPE_VERSION = 1;

/** The most bytes a node id may take in UTF-8. */
export const MAX_ORIGIN_BYTES = 255;

/** A decoded envelope. */
export interface Envelope {
  /** The node that published the message. */
  origin: string;
  /** Its sequence number on its channel (or topic), from that node: 1, 2, 3, … */
  seq: number;
  /** The sender (re)started its count with this message: no gap is to be inferred before it. */
  restart: boolean;
  /** The topic it was published on. */
  topic: string;
  /** The encoded message (a view into the received Buffer). */
  payload: Buffer;
}

/**
 * Builds an envelope. `origin` is the node id already in UTF-8 (encoded once per bridge);
 * `restart` marks the first message of a count that starts afresh. The result is a fresh
 * Buffer sized exactly.
 */
export function encodeEnvelope(
  origin: Buffer,
  seq: number,
  topic: string,
  payload: Buffer | string,
  restart = false,
): Buffer {
  const topicBytes = Buffer.byteLength(topic, 'utf8');
  const payloadBytes = typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.byteLength;
  const out = Buffer.allocUnsafe(2 + origin.byteLength + 8 + 4 + topicBytes + payloadBytes);
  let at = 0;
  out[at++] = ENVELOPE_VERSION;
  out[at++] = origin.byteLength;
  at += origin.copy(out, at);
  at = out.writeDoubleBE(restart ? -seq : seq, at);
  at = out.writeUInt32BE(topicBytes, at);
  at += out.write(topic, at, topicBytes, 'utf8');
  if (typeof payload === 'string') out.write(payload, at, payloadBytes, 'utf8');
  else payload.copy(out, at);
  return out;
}

/**
 * The last origin an envelope was read from, kept to skip decoding it again: a receiver hears
 * runs of messages from the same node, and a string reused keeps its hash (the lookups that
 * follow cost less).
 */
export class OriginCache {
  private bytes = Buffer.alloc(0);
  private text = '';

  /** The origin in `data[start, end)`, decoded or reused. */
  read(data: Buffer, start: number, end: number): string {
    const bytes = this.bytes;
    const length = end - start;
    if (length === bytes.length) {
      let same = true;
      for (let i = 0; i < length; i++) {
        if (data[start + i] !== bytes[i]) {
          same = false;
          break;
        }
      }
      if (same) return this.text;
    }
    this.text = data.toString('utf8', start, end);
    this.bytes = Buffer.from(data.subarray(start, end));
    return this.text;
  }
}

/**
 * Reads an envelope; `origins` (optional) saves decoding the same origin again.
 *
 * @throws {@link EnvelopeError} when `data` is not a well-formed version 1 envelope.
 */
export function decodeEnvelope(data: Buffer, origins?: OriginCache): Envelope {
  if (data.byteLength < 2) throw new EnvelopeError(`envelope too short (${data.byteLength} bytes)`);
  if (data[0] !== ENVELOPE_VERSION) throw new EnvelopeError(`unknown envelope version ${data[0]}`);
  const originBytes = data[1];
  let at = 2;
  if (originBytes === 0 || data.byteLength < at + originBytes + 12) {
    throw new EnvelopeError(`envelope truncated in its header (${data.byteLength} bytes)`);
  }
  const origin = origins === undefined ? data.toString('utf8', at, at + originBytes) : origins.read(data, at, at + originBytes);
  at += originBytes;
  const signed = data.readDoubleBE(at);
  at += 8;
  const restart = signed < 0;
  const seq = restart ? -signed : signed;
  if (!Number.isSafeInteger(seq) || seq < 1) throw new EnvelopeError(`bad sequence number ${signed}`);
  const topicBytes = data.readUInt32BE(at);
  at += 4;
  if (data.byteLength < at + topicBytes) throw new EnvelopeError(`envelope truncated in its topic`);
  const topic = data.toString('utf8', at, at + topicBytes);
  at += topicBytes;
  return { origin, seq, restart, topic, payload: data.subarray(at) };
}
