/**
 * Reading the replies of XREAD and XRANGE/XREVRANGE (RESP2, bulk strings as Buffers).
 *
 * @module
 */

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

const text = (value: unknown, what: string): string => {
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'string') return value;
  throw new TypeError(`unexpected ${what} in a stream reply (got ${typeof value})`);
};

/**
 * The entries of an XRANGE/XREVRANGE reply (or of one stream in an XREAD reply).
 *
 * @throws TypeError when the reply does not have that shape.
 */
export function parseEntries(reply: unknown): StreamEntry[] {
  if (!Array.isArray(reply)) throw new TypeError('unexpected stream reply: not an array of entries');
  const entries: StreamEntry[] = [];
  for (const item of reply) {
    if (!Array.isArray(item) || item.length !== 2) throw new TypeError('unexpected stream entry: not [id, fields]');
    const [id, fields] = item as [unknown, unknown];
    const list: Buffer[] = [];
    // A null field list is an entry deleted after it was read: it keeps its id, and nothing else.
    if (Array.isArray(fields)) {
      for (const field of fields) list.push(Buffer.isBuffer(field) ? field : Buffer.from(text(field, 'field')));
    } else if (fields !== null) {
      throw new TypeError('unexpected stream entry: fields are not an array');
    }
    entries.push({ id: text(id, 'entry id'), fields: list });
  }
  return entries;
}

/**
 * The batches of an XREAD reply; none for a timeout (a null reply).
 *
 * @throws TypeError when the reply does not have that shape.
 */
export function parseXRead(reply: unknown): StreamBatch[] {
  if (reply === null || reply === undefined) return [];
  if (!Array.isArray(reply)) throw new TypeError('unexpected XREAD reply: not an array of streams');
  const batches: StreamBatch[] = [];
  for (const item of reply) {
    if (!Array.isArray(item) || item.length !== 2) throw new TypeError('unexpected XREAD reply: not [key, entries]');
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
