/**
 * Reading the replies of XREAD and XRANGE/XREVRANGE, bulk strings as Buffers, in the shapes
 * both ioredis majors give: RESP2's array of `[key, entries]` pairs (ioredis 5) and RESP3's
 * map as a flat `key, entries, key, entries, …` array (ioredis 6).
 *
 * @module
 */
import { RedisReplyError } from './errors.js';

/** One stream entry: its id and its field/value pairs, flat. */
export interface StreamEntry {
  /** The entry id, `ms-seq`. */
  id: string;
  /** Field, value, field, value, … */
  fields: Buffer[];
}

/** The entries XREAD returned for one stream. */
export interface StreamBatch {
  /** The stream's key. */
  key: string;
  /** Its new entries, oldest first. */
  entries: StreamEntry[];
}

const isText = (value: unknown): value is Buffer | string => Buffer.isBuffer(value) || typeof value === 'string';

const describe = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? `an array of ${value.length}` : Buffer.isBuffer(value) ? 'a Buffer' : typeof value;

const text = (value: unknown, what: string): string => {
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'string') return value;
  throw new RedisReplyError(`unexpected ${what} in a stream reply: expected a string (got ${describe(value)})`);
};

/**
 * The entries of an XRANGE/XREVRANGE reply (or of one stream in an XREAD reply).
 *
 * @throws {@link RedisReplyError} when the reply does not have that shape.
 */
export function parseEntries(reply: unknown): StreamEntry[] {
  if (!Array.isArray(reply)) {
    throw new RedisReplyError(`unexpected stream reply: expected an array of entries (got ${describe(reply)})`);
  }
  const entries: StreamEntry[] = [];
  for (const item of reply) {
    if (!Array.isArray(item) || item.length !== 2) {
      throw new RedisReplyError(`unexpected stream entry: expected [id, fields] (got ${describe(item)})`);
    }
    const [id, fields] = item as [unknown, unknown];
    const list: Buffer[] = [];
    // A null field list is an entry deleted after it was read: it keeps its id, and nothing else.
    if (Array.isArray(fields)) {
      for (const field of fields) list.push(Buffer.isBuffer(field) ? field : Buffer.from(text(field, 'field')));
    } else if (fields !== null) {
      throw new RedisReplyError(`unexpected stream entry: expected an array of fields (got ${describe(fields)})`);
    }
    entries.push({ id: text(id, 'entry id'), fields: list });
  }
  return entries;
}

/**
 * The batches of an XREAD reply; none for a timeout (a null reply). Accepts RESP2's
 * `[[key, entries], …]`, RESP3's map as a flat `[key, entries, key, entries, …]` (what
 * ioredis 6 returns), and a `Map` of key to entries (a client that decodes RESP3 maps).
 *
 * @throws {@link RedisReplyError} for any other shape, saying what it got.
 */
export function parseXRead(reply: unknown): StreamBatch[] {
  if (reply === null || reply === undefined) return [];
  const batches: StreamBatch[] = [];
  if (reply instanceof Map) {
    for (const [key, entries] of reply) batches.push({ key: text(key, 'key'), entries: parseEntries(entries) });
    return batches;
  }
  if (!Array.isArray(reply)) {
    throw new RedisReplyError(`unexpected XREAD reply: expected an array of streams (got ${describe(reply)})`);
  }
  if (reply.length === 0) return batches;
  // RESP3 (flat map): a key first. RESP2: a [key, entries] pair first. One or the other throughout.
  if (isText(reply[0])) {
    if (reply.length % 2 !== 0) {
      throw new RedisReplyError(`unexpected XREAD reply: a flat key/entries map of odd length ${reply.length}`);
    }
    for (let i = 0; i < reply.length; i += 2) {
      batches.push({ key: text(reply[i], 'key'), entries: parseEntries(reply[i + 1]) });
    }
    return batches;
  }
  for (const item of reply) {
    if (!Array.isArray(item) || item.length !== 2) {
      throw new RedisReplyError(
        `unexpected XREAD reply: expected [key, entries] pairs (RESP2) or a flat key, entries map (RESP3) (got ${describe(item)})`,
      );
    }
    const [key, entries] = item as [unknown, unknown];
    batches.push({ key: text(key, 'key'), entries: parseEntries(entries) });
  }
  return batches;
}

/** The value of `field` in an entry, if it has that field. */
export function fieldValue(entry: StreamEntry, field: string): Buffer | undefined {
  const { fields } = entry;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i].length === field.length && fields[i].toString('latin1') === field) return fields[i + 1];
  }
  return undefined;
}
