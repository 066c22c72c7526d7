/**
 * Nicks and channel names: case folding (`CASEMAPPING=ascii`) and what a valid nick is.
 *
 * @module
 */

/**
 * Case-folds a nick or channel name under `CASEMAPPING=ascii`: only `A`–`Z` change.
 *
 * @example
 * ```ts
 * foldCase('Ann[1]'); // 'ann[1]'
 * ```
 */
export function foldCase(name: string): string {
  return /[A-Z]/.test(name) ? name.replace(/[A-Z]+/g, (s) => s.toLowerCase()) : name;
}

const NICK = /^[A-Za-z[\]\\`_^{|}][A-Za-z0-9[\]\\`_^{|}-]*$/;

/**
 * Whether `nick` is a valid nickname: a letter or one of `[]\`_^{|}` first, then letters,
 * digits, those specials or `-`, at most `maxLength` characters.
 *
 * @example
 * ```ts
 * isValidNick('ann', 30); // true
 * isValidNick('*', 30);   // false
 * ```
 */
export function isValidNick(nick: string, maxLength: number): boolean {
  return nick.length > 0 && nick.length <= maxLength && NICK.test(nick);
}
