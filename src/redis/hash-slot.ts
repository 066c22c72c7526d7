/**
 * Redis Cluster's hash slot of a key: CRC16 (XMODEM) of the key, or of its hash tag (the
 * text between the first `{` and the next `}`, when not empty), modulo 16384.
 *
 * @module
 */

/** How many hash slots a Redis Cluster has. */
export const HASH_SLOTS = 16384;

/** CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0) over the UTF-8 bytes of `text`. */
function crc16(text: string): number {
  let crc = 0;
  for (const byte of Buffer.from(text, 'utf8')) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** The hash slot of `key`, as Redis Cluster computes it. */
export function hashSlot(key: string): number {
  const open = key.indexOf('{');
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) return crc16(key.slice(open + 1, close)) % HASH_SLOTS;
  }
  return crc16(key) % HASH_SLOTS;
}
