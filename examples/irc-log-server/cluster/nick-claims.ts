/**
 * Nick ownership across nodes, in Redis: `SET <prefix><nick> <node> NX PX <ttl>` claims a
 * nick for a node, a timer refreshes this node's claims (only while they are still its
 * own), and a node that dies stops refreshing, so its nicks free themselves after `ttlMs`.
 *
 * @module
 */
import type { ClaimResult, NickClaims } from '../irc/network.js';

/** The Redis commands the claims use (an ioredis client has them). */
export interface ClaimsRedis {
  set(key: string, value: string, px: 'PX', ms: number, nx: 'NX'): Promise<'OK' | null>;
  get(key: string): Promise<string | null>;
  eval(script: string, keys: number, ...args: (string | number)[]): Promise<unknown>;
}

/** Options of {@link RedisNickClaims}. */
export interface RedisNickClaimsOptions {
  /** A Redis connection for commands (not one in subscriber mode). */
  readonly redis: ClaimsRedis;
  /** This node's id, the value of its keys. */
  readonly node: string;
  /** How long a claim outlives its node's last refresh, ms. @default 30000 */
  readonly ttlMs?: number;
  /** Key prefix. @default 'logcaster:nick:' */
  readonly prefix?: string;
  /**
   * How long to wait for Redis before answering without it, ms: a claim is then
   * `'unconfirmed'` (refused: granting it could give one nick to two users on two nodes) and a
   * lookup says "not held elsewhere". @default 2000
   */
  readonly timeoutMs?: number;
  /** Whether the connection can take a command now; when not, a claim is `'unconfirmed'` at once. @default always */
  readonly connected?: () => boolean;
  /** The engine's name in the refusal of an unconfirmed claim. @default 'Redis' */
  readonly engine?: string;
}

// Refresh or delete a key only if this node still owns it.
const REFRESH_IF_OWNER = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";
const DELETE_IF_OWNER = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/** Nick claims in Redis keys that expire with their node. */
export class RedisNickClaims implements NickClaims {
  readonly engine: string;
  /** Claims refused because Redis did not answer (in time, or at all). */
  unconfirmed = 0;
  private readonly redis: ClaimsRedis;
  private readonly node: string;
  private readonly ttlMs: number;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly connected: () => boolean;
  private readonly held = new Set<string>();
  private readonly timer: NodeJS.Timeout;

  constructor(options: RedisNickClaimsOptions) {
    this.redis = options.redis;
    this.node = options.node;
    this.ttlMs = options.ttlMs ?? 30_000;
    this.prefix = options.prefix ?? 'logcaster:nick:';
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.connected = options.connected ?? (() => true);
    this.engine = options.engine ?? 'Redis';
    if (!Number.isInteger(this.ttlMs) || this.ttlMs < 100) throw new RangeError(`ttlMs must be an integer >= 100 (got ${this.ttlMs})`);
    // Three refreshes per lifetime: one lost refresh does not lose a nick.
    this.timer = setInterval(() => this.refresh(), Math.floor(this.ttlMs / 3));
    this.timer.unref();
  }

  async claim(folded: string): Promise<ClaimResult> {
    const key = this.prefix + folded;
    // Not sent while Redis is away: a SET queued until it is back would take the nick later,
    // for a claim already answered.
    const ask = async (): Promise<boolean> => {
      if ((await this.redis.set(key, this.node, 'PX', this.ttlMs, 'NX')) === 'OK') return true;
      // Already ours (a reconnecting user, a case change): still ours.
      return (await this.redis.get(key)) === this.node;
    };
    const answer = this.connected() ? await this.withTimeout(ask()) : undefined;
    if (answer === undefined) {
      this.unconfirmed++;
      return 'unconfirmed';
    }
    if (!answer) return 'taken';
    this.held.add(folded);
    return 'granted';
  }

  release(folded: string): void {
    if (!this.held.delete(folded) || !this.connected()) return;
    this.redis.eval(DELETE_IF_OWNER, 1, this.prefix + folded, this.node).catch(() => undefined);
  }

  async heldElsewhere(folded: string): Promise<boolean> {
    if (!this.connected()) return false;
    const owner = await this.withTimeout(this.redis.get(this.prefix + folded));
    return owner !== undefined && owner !== null && owner !== this.node;
  }

  /**
   * Stops refreshing and gives back every nick this node holds (when Redis can be reached: if
   * not, they expire `ttlMs` after the last refresh).
   */
  async close(): Promise<void> {
    clearInterval(this.timer);
    const nicks = [...this.held];
    this.held.clear();
    if (!this.connected()) return;
    await this.withTimeout(Promise.allSettled(nicks.map((nick) => this.redis.eval(DELETE_IF_OWNER, 1, this.prefix + nick, this.node))));
  }

  private refresh(): void {
    if (!this.connected()) return;
    for (const nick of this.held) {
      this.redis.eval(REFRESH_IF_OWNER, 1, this.prefix + nick, this.node, this.ttlMs).catch(() => undefined);
    }
  }

  private withTimeout<T>(promise: Promise<T>): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.timeoutMs);
    });
    return Promise.race([promise.catch(() => undefined), timeout]).finally(() => clearTimeout(timer));
  }
}
