/**
 * Text that goes into IRC lines, safely: sanitising untrusted text, cutting it within IRC's
 * byte limits without breaking a character, and the `server-time` timestamp format.
 *
 * IRC has no escaping: a CR or LF inside relayed text would start a new protocol line with the
 * server's authority, `\x01` turns a message into a CTCP request every watching client answers,
 * and formatting codes can hide or recolour text. So untrusted text goes through
 * {@link sanitizeText} first.
 *
 * @module
 */

/** IRC's line limit in bytes, CRLF included (IRCv3 tags are budgeted separately). */
export const IRC_LINE_BYTES = 512;

// Anything sanitizeText might change; text without any of these is returned as is.
const HAZARD = /[\x00-\x1F\x7F-\x9F\u2028\u2029\u202A-\u202E\u2066-\u2069\uD800-\uDFFF]/;
// IRC formatting: colour \x03[fg[,bg]] (1–2 digits each), hex colour \x04[RRGGBB[,RRGGBB]],
// then the single-byte toggles: bold, reset, monospace, reverse, italic, strikethrough, underline.
const FORMATTING = /\x03(?:\d{1,2}(?:,\d{1,2})?)?|\x04(?:[0-9A-Fa-f]{6}(?:,[0-9A-Fa-f]{6})?)?|[\x02\x0F\x11\x16\x1D\x1E\x1F]/g;
// Line breaks and tabs (and the Unicode line/paragraph separators) become one space per run,
// so "a\r\nb" reads "a b" rather than "ab".
const BREAKS = /[\r\n\t\u2028\u2029]+/g;
// Every other C0 control (NUL and \x01 included), DEL, and the C1 controls.
const CONTROLS = /[\x00-\x1F\x7F-\x9F]/g;
// Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): a U+202E
// in a log line reverses the rest of it on screen, so text can show something other than what
// it says (visual spoofing, "Trojan Source"). Removed; the letters themselves are kept.
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;
// A surrogate without its partner cannot be encoded as UTF-8; Buffer would write U+FFFD anyway,
// doing it here keeps byte counting and the string in agreement.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

// The bidi controls and the direction marks (U+200E, U+200F, U+061C), for text that keeps its
// line breaks (the web viewer's stream): the same set the page removes.
const BIDI_AND_MARKS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

/**
 * Removes the bidirectional controls and direction marks (U+202A–U+202E, U+2066–U+2069,
 * U+200E, U+200F, U+061C) and nothing else: for text shown elsewhere than IRC (the web viewer's
 * stream), where line breaks are kept but a U+202E must not reverse what follows on screen.
 *
 * @example
 * ```ts
 * removeBidiControls('login \u202Enimda'); // 'login nimda'
 * ```
 */
export function removeBidiControls(s: string): string {
  return s.replace(BIDI_AND_MARKS, '');
}

/**
 * Makes untrusted text safe to put in any IRC parameter: removes IRC formatting codes
 * (`\x02`, `\x03` with its colour digits, `\x04` with its hex colour, `\x0F`, `\x11`, `\x16`,
 * `\x1D`, `\x1E`, `\x1F`), replaces each run of CR, LF and TAB (and U+2028/U+2029) by one space,
 * removes every other C0 control (NUL, `\x01` for CTCP, …), DEL, the C1 controls and the
 * bidirectional controls (U+202A–U+202E, U+2066–U+2069, which can make text display reversed), and
 * replaces unpaired surrogates by U+FFFD. Spaces are kept: the serializer decides where a
 * parameter may contain them.
 *
 * The server must apply it to every parameter it emits that came from outside (nicks,
 * channel names, topics, quit reasons, user names, log text), not only to log messages.
 *
 * @example
 * ```ts
 * sanitizeText('ok\r\nQUIT :bye');     // 'ok QUIT :bye'  — one harmless line
 * sanitizeText('\x01VERSION\x01');     // 'VERSION'
 * sanitizeText('\x0304red\x0F plain'); // 'red plain'
 * ```
 */
export function sanitizeText(s: string): string {
  if (!HAZARD.test(s)) return s;
  return s
    .replace(FORMATTING, '')
    .replace(BREAKS, ' ')
    .replace(CONTROLS, '')
    .replace(BIDI_CONTROLS, '')
    .replace(LONE_SURROGATE, '\uFFFD');
}

/**
 * Splits text into pieces whose UTF-8 encoding is at most `maxBytes` each, never inside a code
 * point or a surrogate pair, preferring to cut after a space when one is near the end of the
 * piece (so words stay whole). Joining the pieces gives back `text` exactly. An unpaired
 * surrogate counts as the 3 bytes of U+FFFD that `Buffer` writes for it.
 *
 * @param maxBytes - budget per piece; at least 4 so that any code point fits.
 * @returns the pieces; `['']` for empty text.
 * @throws RangeError when `maxBytes` is not an integer >= 4.
 * @example
 * ```ts
 * splitUtf8('héllo wörld', 8); // ['héllo ', 'wörld']
 * ```
 */
export function splitUtf8(text: string, maxBytes: number): string[] {
  if (!Number.isInteger(maxBytes) || maxBytes < 4) {
    throw new RangeError(`maxBytes must be an integer >= 4 (got ${maxBytes})`);
  }
  // Fast path: UTF-8 needs at most 3 bytes per UTF-16 code unit.
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text, 'utf8') <= maxBytes) return [text];

  const pieces: string[] = [];
  let start = 0; // start of the current piece (code unit index)
  let bytes = 0; // bytes in the current piece
  let lastSpace = -1; // index just after the last space in the current piece
  let bytesAtSpace = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    const size = utf8Bytes(text, i);
    const units = size === 4 ? 2 : 1;

    if (bytes + size > maxBytes) {
      // Cut after the last space if that keeps at least three quarters of the budget (and
      // the carried-over word plus this code point fit in the next piece).
      let cut = i;
      if (lastSpace > start && bytesAtSpace * 4 >= maxBytes * 3 && bytes - bytesAtSpace + size <= maxBytes) {
        cut = lastSpace;
      }
      pieces.push(text.slice(start, cut));
      bytes = cut === i ? 0 : bytes - bytesAtSpace;
      start = cut;
      lastSpace = -1;
    }
    bytes += size;
    i += units;
    if (c === 0x20) {
      lastSpace = i;
      bytesAtSpace = bytes;
    }
  }
  pieces.push(text.slice(start));
  return pieces;
}

/**
 * The UTF-8 size of the code point that starts at `text[i]`: 4 for a surrogate pair (two
 * code units), 3 for an unpaired surrogate (written as U+FFFD), else 1 to 3.
 */
export function utf8Bytes(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c < 0x80) return 1;
  if (c < 0x800) return 2;
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
    const d = text.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 4;
  }
  return 3;
}

/**
 * The longest prefix of `text` whose UTF-8 encoding fits in `maxBytes`, never cutting a
 * character or a surrogate pair.
 *
 * @example
 * ```ts
 * truncateUtf8('héllo', 2); // 'h'
 * ```
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text;
  let bytes = 0;
  for (let i = 0; i < text.length; ) {
    const size = utf8Bytes(text, i);
    if (bytes + size > maxBytes) return text.slice(0, i);
    bytes += size;
    i += size === 4 ? 2 : 1;
  }
  return text;
}

/**
 * Formats a timestamp for the IRCv3 `server-time` tag: UTC, millisecond precision.
 *
 * @throws RangeError when `ms` is not a representable date.
 * @example
 * ```ts
 * formatServerTime(Date.UTC(2026, 10, 25, 5, 51, 38, 123)); // '2026-11-25T05:51:38.123Z'
 * ```
 */
export function formatServerTime(ms: number): string {
  return new Date(ms).toISOString();
}
