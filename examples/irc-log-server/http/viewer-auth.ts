/**
 * The web viewer's access check: the server's `--password`, given as HTTP Basic (any user
 * name; browsers ask for it and then send it with every request of the page, `EventSource`
 * included), as `Authorization: Bearer <password>`, or as `?token=<password>` (a link that
 * opens the page without a prompt; the page passes it on to `/events`).
 *
 * Compared in constant time on SHA-256 digests, so neither the length nor the content leaks
 * through timing.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http';
import { nodeCrypto } from '../node-crypto.js';

const digest = (secret: string): Buffer => nodeCrypto().createHash('sha256').update(secret, 'utf8').digest();
const timingSafeEqual = (a: Buffer, b: Buffer): boolean => nodeCrypto().timingSafeEqual(a, b);

/** The `WWW-Authenticate` header of a 401, which makes a browser ask for the password. */
export const BASIC_CHALLENGE = 'Basic realm="logcaster web viewer", charset="UTF-8"';

/** Checks requests against one password. */
export class ViewerAuth {
  readonly #expected: Buffer | undefined;

  /** @param password - the password, or `undefined` to let every request in. */
  constructor(password: string | undefined) {
    this.#expected = password === undefined ? undefined : digest(password);
  }

  /** Whether a password is required. */
  get required(): boolean {
    return this.#expected !== undefined;
  }

  /**
   * Whether `request` offers a password at all (`?token=` or an `Authorization` header): a
   * wrong one is a guess; none is a first visit, which the browser answers with a prompt.
   */
  offered(request: IncomingMessage, query: URLSearchParams): boolean {
    return query.has('token') || request.headers.authorization !== undefined;
  }

  /** Whether `request` (with its parsed `query`) carries the password, or none is needed. */
  allows(request: IncomingMessage, query: URLSearchParams): boolean {
    const expected = this.#expected;
    if (expected === undefined) return true;
    const token = query.get('token');
    if (token !== null && timingSafeEqual(digest(token), expected)) return true;
    const header = request.headers.authorization;
    if (header === undefined) return false;
    const space = header.indexOf(' ');
    if (space < 0) return false;
    const scheme = header.slice(0, space).toLowerCase();
    const value = header.slice(space + 1).trim();
    if (scheme === 'bearer') return timingSafeEqual(digest(value), expected);
    if (scheme !== 'basic') return false;
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 && timingSafeEqual(digest(decoded.slice(colon + 1)), expected);
  }
}
