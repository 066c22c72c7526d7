/**
 * Codecs: how a message becomes bytes on the wire and back.
 *
 * @module
 */
import { invalidArgType } from '../internal/coded-errors.js';

/**
 * Turns messages into bytes and back. Every node of a cluster must use the same codec.
 *
 * @typeParam T - the message type.
 * @example
 * ```ts
 * const upperCodec: Codec<string> = {
 *   encode: (message) => message.toUpperCase(),
 *   decode: (data) => data.toString('utf8'),
 * };
 * ```
 */
export interface Codec<T> {
  /**
   * The bytes of `message`: a string is sent as UTF-8. May throw for a message it cannot
   * encode: the bridge's `publish` then throws before anything is delivered.
   */
  encode(message: T): Buffer | string;
  /**
   * The message in `data`. May throw for bytes it cannot decode: the bridge counts the
   * message as malformed and reports the error as `'error'`.
   */
  decode(data: Buffer): T;
}

/**
 * JSON, as UTF-8: the default codec. `encode` throws a `TypeError` for a message that has
 * no JSON form (`undefined`, a function, a symbol), and whatever `JSON.stringify` throws
 * (a cycle, a BigInt).
 *
 * @typeParam T - the message type; its values must survive a JSON round trip.
 */
export function jsonCodec<T>(): Codec<T> {
  return {
    encode(message: T): string {
      const text = JSON.stringify(message) as string | undefined;
      if (text === undefined) throw invalidArgType(`message has no JSON form (got ${typeof message})`);
      return text;
    },
    decode(data: Buffer): T {
      return JSON.parse(data.toString('utf8')) as T;
    },
  };
}

/** Binary payloads sent as they are: the bytes in, the same bytes out. */
export const bufferCodec: Codec<Buffer> = Object.freeze({
  encode(message: Buffer): Buffer {
    if (!Buffer.isBuffer(message)) throw invalidArgType(`message must be a Buffer (got ${typeof message})`);
    return message;
  },
  decode(data: Buffer): Buffer {
    return data;
  },
});

/** Plain text as UTF-8, without JSON's quotes and escapes. */
export const stringCodec: Codec<string> = Object.freeze({
  encode(message: string): string {
    if (typeof message !== 'string') throw invalidArgType(`message must be a string (got ${typeof message})`);
    return message;
  },
  decode(data: Buffer): string {
    return data.toString('utf8');
  },
});
