/**
 * Password guessing, slowed: each wrong `PASS` costs its address a token from a
 * `RateLimiter` (the library's, one token bucket per address). An address that has spent its
 * attempts is refused — its new connections are closed at once, and a registration already
 * under way is ended without its password being checked, so parallel connections cannot
 * guess either — until the next attempt is due.
 *
 * The server keeps one guard for its password (IRC `PASS` and the web viewer share it) and one
 * for the producer token (the ingest port), so guessing one secret does not lock out the users
 * of the other.
 *
 * Everything on loopback shares 127.0.0.1: a local guesser locks out local users too, for as
 * long as it keeps guessing.
 *
 * @module
 */
import { RateLimiter } from 'logcaster';

/** Options of {@link PasswordGuard}. */
export interface PasswordGuardOptions {
  /** Wrong passwords an address may send before it is refused. Minimum: 1. */
  readonly attempts: number;
  /** Then one more attempt per this many ms. Minimum: 1. */
  readonly retryMs: number;
  /** Addresses remembered at once (the least recently seen is forgotten first). @default 10000 */
  readonly maxAddresses?: number;
  /** Clock in ms. @default performance.now */
  readonly now?: () => number;
}

/** Wrong passwords per address, and who is refused for them. */
export class PasswordGuard {
  /** Wrong passwords received. */
  failures = 0;
  /** Connections and registrations refused because their address had no attempt left. */
  refusals = 0;
  /** An address out of attempts gets one more per this many ms. */
  readonly retryMs: number;
  private readonly limiter: RateLimiter;

  constructor(options: PasswordGuardOptions) {
    this.retryMs = options.retryMs;
    this.limiter = new RateLimiter({
      capacity: options.attempts,
      refillPerSecond: 1000 / options.retryMs,
      maxKeys: options.maxAddresses ?? 10_000,
      now: options.now,
    });
  }

  /** Whether `host` may try a password now; counts a refusal when not. */
  allows(host: string): boolean {
    // A zero cost takes nothing: it only reads the address's bucket (refilled to now).
    if (this.limiter.consume(host, 0).remaining >= 1) return true;
    this.refusals++;
    return false;
  }

  /** Records a wrong password from `host`. */
  failed(host: string): void {
    this.failures++;
    this.limiter.consume(host);
  }
}
