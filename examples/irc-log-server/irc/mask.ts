/**
 * IRC wildcard masks (`*` any run, `?` one character), compared case-insensitively under
 * `CASEMAPPING=ascii`: ban masks (`nick!user@host`), WHO and LIST masks.
 *
 * @module
 */
import { foldCase } from './names.js';

/**
 * Whether `text` matches the wildcard `mask` (`*` any run of characters, `?` exactly one),
 * ignoring ASCII case.
 *
 * @example
 * ```ts
 * matchesMask('ali*', 'Alice');            // true
 * matchesMask('*!*@10.0.0.?', 'a!b@10.0.0.7'); // true
 * ```
 */
export function matchesMask(mask: string, text: string): boolean {
  const m = foldCase(mask);
  const t = foldCase(text);
  // Iterative glob with one backtrack point: linear for the masks people type.
  let mi = 0;
  let ti = 0;
  let star = -1;
  let mark = 0;
  while (ti < t.length) {
    // `*` first: a `*` in the text is an ordinary character, never the wildcard's match.
    if (mi < m.length && m[mi] === '*') {
      star = mi++;
      mark = ti;
    } else if (mi < m.length && (m[mi] === '?' || m[mi] === t[ti])) {
      mi++;
      ti++;
    } else if (star !== -1) {
      mi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (mi < m.length && m[mi] === '*') mi++;
  return mi === m.length;
}

/**
 * Completes a ban mask as servers do: `nick` → `nick!*@*`, `user@host` → `*!user@host`,
 * `nick!user` → `nick!user@*`.
 */
export function normalizeBanMask(mask: string): string {
  const bang = mask.indexOf('!');
  const at = mask.indexOf('@');
  if (bang === -1 && at === -1) return `${mask}!*@*`;
  if (bang === -1) return `*!${mask}`;
  if (at === -1) return `${mask}@*`;
  return mask;
}
