/**
 * The one error only the Redis bridges raise: a reply of an unknown shape.
 *
 * @module
 */

/**
 * Reported (as an `'error'` event) for a Redis reply of a shape the bridge does not know: not
 * RESP2's array of `[key, entries]` pairs nor RESP3's flat `key, entries, …` map (ioredis 6).
 */
export class RedisReplyError extends Error {
  /** Always `'ERR_REDIS_REPLY'`. */
  readonly code = 'ERR_REDIS_REPLY' as const;

  constructor(message: string) {
    super(message);
    this.name = 'RedisReplyError';
  }
}
