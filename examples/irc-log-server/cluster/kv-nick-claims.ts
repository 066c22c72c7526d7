/**
 * Nick ownership across nodes, in a NATS JetStream key-value bucket (`--nats`): the same
 * contract as the Redis claims (nick-claims.ts) with KV's operations. `create` claims a nick
 * only if no live key holds it; a timer refreshes this node's claims with `update` at the
 * revision it last wrote (so a claim another node took meanwhile is not overwritten); the
 * bucket's `ttl` (its stream's max age) lets the claims of a node that died expire.
 *
 * Key names: a folded nick may hold `[]\^{}|`, which KV keys cannot, so the key is the nick's
 * UTF-8 in hex.
 *
 * @module
 */
import type { KV } from '@nats-io/kv';
import type { ClaimResult } from '../irc/network.js';
import type { LinkNickClaims } from './link.js';

/** Options of {@link KvNickClaims}. */
export interface KvNickClaimsOptions {
  /** The bucket (`logcaster-nicks`), opened with its `ttl`. */
  readonly kv: KV;
  /** This node's id, the value of its keys. */
  readonly node: string;
  /** How long a claim outlives its node's last refresh, ms: the bucket's ttl. Minimum: 100. @default 30000 */
  readonly ttlMs?: number;
  /**
   * How long to wait for NATS before answering without it, ms: a claim is then
   * `'unconfirmed'` (refused) and a lookup says "not held elsewhere". @default 2000
   */
  readonly timeoutMs?: number;
  /** Whether the connection can take a request now; when not, a claim is `'unconfirmed'` at once. @default always */
  readonly connected?: () => boolean;
}

/** The key of a folded nick. */
const keyOf = (folded: string): string => Buffer.from(folded, 'utf8').toString('hex');

/** Nick claims in a KV bucket whose keys expire with their node. */
export class KvNickClaims implements LinkNickClaims {
  readonly engine = 'NATS';
  /** Claims refused because NATS did not answer (in time, or at all). */
  unconfirmed = 0;
  private readonly kv: KV;
  private readonly node: string;
  private readonly timeoutMs: number;
  private readonly connected: () => boolean;
  /** The nicks this node holds, with the revision it last wrote. */
  private readonly held = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(options: KvNickClaimsOptions) {
    this.kv = options.kv;
    this.node = options.node;
    const ttlMs = options.ttlMs ?? 30_000;
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.connected = options.connected ?? (() => true);
    if (!Number.isInteger(ttlMs) || ttlMs < 100) throw new RangeError(`ttlMs must be an integer >= 100 (got ${ttlMs})`);
    // Three refreshes per lifetime: one lost refresh does not lose a nick.
    this.timer = setInterval(() => void this.refresh(), Math.floor(ttlMs / 3));
    this.timer.unref();
  }

  async claim(folded: string): Promise<ClaimResult> {
    const key = keyOf(folded);
    const ask = async (): Promise<number | false> => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.kv.create(key, this.node);
        } catch (error) {
          // Held (create fails on a live key): by this node, it is still ours (a reconnecting
          // user, a case change); by another, taken.
          const entry = await this.kv.get(key);
          if (entry !== null && entry.operation === 'PUT') return entry.string() === this.node ? entry.revision : false;
          // Given back (or expired) between the create and the get: ask again; a third
          // failure is not that race, and the claim is unconfirmed.
          if (attempt === 3) throw error;
        }
      }
    };
    const answer = this.connected() ? await this.withTimeout(ask()) : undefined;
    if (answer === undefined) {
      this.unconfirmed++;
      return 'unconfirmed';
    }
    if (answer === false) return 'taken';
    this.held.set(folded, answer);
    return 'granted';
  }

  release(folded: string): void {
    const revision = this.held.get(folded);
    if (revision === undefined) return;
    this.held.delete(folded);
    if (!this.connected()) return;
    // Only at our revision: a key another node claimed since is not ours to delete.
    this.kv.delete(keyOf(folded), { previousSeq: revision }).catch(() => undefined);
  }

  async heldElsewhere(folded: string): Promise<boolean> {
    if (!this.connected()) return false;
    const entry = await this.withTimeout(this.kv.get(keyOf(folded)));
    return entry !== undefined && entry !== null && entry.operation === 'PUT' && entry.string() !== this.node;
  }

  /** Stops refreshing and gives back every nick this node holds (when NATS can be reached). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    const held = [...this.held];
    this.held.clear();
    if (!this.connected()) return;
    await this.withTimeout(Promise.allSettled(held.map(([nick, revision]) => this.kv.delete(keyOf(nick), { previousSeq: revision }))));
  }

  private async refresh(): Promise<void> {
    if (!this.connected()) return;
    await Promise.allSettled([...this.held].map(([nick, revision]) => this.refreshOne(nick, revision)));
  }

  /**
   * Rewrites the claim at the revision this node last wrote, which restarts its ttl. A
   * revision can be stale without the claim being lost (an earlier refresh whose answer timed
   * out was written after all): then the key is read, and refreshed at its revision if it
   * still names this node; if it names another, the nick is no longer this node's to keep.
   */
  private async refreshOne(nick: string, revision: number): Promise<void> {
    const key = keyOf(nick);
    try {
      this.remember(nick, await this.kv.update(key, this.node, revision));
    } catch {
      const entry = await this.kv.get(key).catch(() => undefined);
      if (entry === undefined) return; // NATS did not answer: try again at the next refresh
      if (entry === null || entry.operation !== 'PUT') {
        // Expired or deleted meanwhile: claim it again if nobody else did.
        this.remember(nick, await this.kv.create(key, this.node).catch(() => undefined));
        return;
      }
      if (entry.string() !== this.node) {
        this.held.delete(nick);
        return;
      }
      this.remember(nick, await this.kv.update(key, this.node, entry.revision).catch(() => undefined));
    }
  }

  /** Keeps `revision` for `nick` if this node still holds it (it may have been released meanwhile). */
  private remember(nick: string, revision: number | undefined): void {
    if (revision !== undefined && this.held.has(nick)) this.held.set(nick, revision);
  }

  private withTimeout<T>(promise: Promise<T>): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.timeoutMs);
    });
    return Promise.race([promise.catch(() => undefined), timeout]).finally(() => clearTimeout(timer));
  }
}
