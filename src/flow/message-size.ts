/**
 * How many bytes a message counts for when the caller gave no `sizeOf`.
 *
 * @module
 */

/** @internal The byte size of a message when the caller gave no `sizeOf`: strings and byte views only. */
export function defaultMessageSize(message: unknown): number {
  if (typeof message === 'string') return Buffer.byteLength(message, 'utf8');
  if (ArrayBuffer.isView(message)) return message.byteLength;
  return 0;
}
