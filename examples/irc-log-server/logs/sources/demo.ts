/**
 * A generator of realistic log traffic, so `npm run demo` has something to watch: several
 * services, every level in a plausible mix (mostly INFO and DEBUG, some WARNING, occasional
 * incidents where one service bursts ERROR and CRITICAL lines), categories such as HTTP,
 * DATABASE, SECURITY, and messages that mention the database, SQL, auth and permissions so the
 * filtered channels (`#logs-database`, `#logs-security`) get traffic too.
 *
 * Deterministic for a given seed: {@link demoEntries} is a pure generator the tests use
 * directly; {@link startDemoSource} drives it from a timer.
 *
 * @module
 */
import type { LogEntry } from '../entry.js';
import type { LogLevel } from '../level.js';

/** The services the demo pretends to run. */
export const DEMO_SERVICES: readonly string[] = [
  'payments',
  'auth',
  'api-gateway',
  'orders',
  'search',
  'billing-db',
  'inventory',
  'notifications',
];

/** A small, fast, seedable PRNG (mulberry32): same seed, same sequence. */
class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  hex(length: number): string {
    let s = '';
    for (let i = 0; i < length; i++) s += '0123456789abcdef'[this.int(0, 15)];
    return s;
  }
}

type Band = 'low' | 'info' | 'warn' | 'error';
interface Template {
  readonly category: string;
  readonly band: Band;
  readonly text: (r: Rng, service: string) => string;
}

const PATHS = ['/api/v1/orders', '/api/v1/cart', '/api/v1/checkout', '/api/v1/products', '/api/v1/users/me', '/healthz'];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'];
const QUEUES = ['order-events', 'payment-events', 'email-outbox', 'search-reindex'];
const TERMS = ['running shoes', 'usb-c cable', 'coffee grinder', 'desk lamp', 'rain jacket'];
const PEERS = ['payments', 'auth', 'inventory', 'search', 'orders'];

// Addresses come from the documentation ranges (RFC 5737) and private space.
const templates: readonly Template[] = [
  // TRACE / DEBUG
  { category: 'HTTP', band: 'low', text: (r) => `request ${r.hex(12)}: routed ${r.pick(METHODS)} ${r.pick(PATHS)} to handler in ${r.int(20, 900)}µs` },
  { category: 'HTTP', band: 'low', text: (r) => `keep-alive connection reused (${r.int(2, 90)} requests so far)` },
  { category: 'DATABASE', band: 'low', text: (r) => `sql: SELECT id, status FROM orders WHERE customer_id = $1 (${r.int(1, 40)} ms, ${r.int(0, 50)} rows)` },
  { category: 'DATABASE', band: 'low', text: (r) => `database pool: ${r.int(2, 18)}/20 connections in use` },
  { category: 'CACHE', band: 'low', text: (r) => `cache hit for key session:${r.hex(16)}` },
  { category: 'CACHE', band: 'low', text: (r) => `cache miss for key product:${r.int(1000, 99999)}, loading from origin` },
  { category: 'QUEUE', band: 'low', text: (r) => `consumed message ${r.hex(8)} from ${r.pick(QUEUES)} (attempt 1)` },
  { category: 'SECURITY', band: 'low', text: (r) => `auth token for user u${r.int(1000, 9999)} validated, expires in ${r.int(1, 59)} min` },
  { category: 'SEARCH', band: 'low', text: (r) => `query "${r.pick(TERMS)}" rewritten to ${r.int(2, 9)} clauses` },
  { category: 'PAYMENT', band: 'low', text: (r) => `payment intent pi_${r.hex(14)} created for ${r.int(5, 400)}.${r.int(10, 99)} EUR` },
  { category: 'STORAGE', band: 'low', text: (r) => `checkpoint complete: wrote ${r.int(100, 9000)} buffers (${r.int(1, 30)}.${r.int(0, 9)}%)` },
  { category: 'EMAIL', band: 'low', text: (r) => `rendered template order-confirmation in ${r.int(2, 40)} ms` },
  // INFO / NOTICE
  { category: 'HTTP', band: 'info', text: (r) => `${r.pick(METHODS)} ${r.pick(PATHS)} ${r.pick([200, 200, 200, 201, 204, 304, 404])} ${r.int(3, 400)}ms` },
  { category: 'DATABASE', band: 'info', text: (r) => `sql transaction committed in ${r.int(2, 80)} ms (${r.int(1, 12)} statements)` },
  { category: 'DATABASE', band: 'info', text: (r) => `database migration 2026_${r.int(10, 99)}_add_index already applied` },
  { category: 'SECURITY', band: 'info', text: (r) => `user u${r.int(1000, 9999)} logged in from 203.0.113.${r.int(1, 254)} (mfa ok)` },
  { category: 'SECURITY', band: 'info', text: (r) => `permission granted: role editor on project p${r.int(10, 99)}` },
  { category: 'CACHE', band: 'info', text: (r) => `cache warmed: ${r.int(1000, 90000)} keys in ${r.int(50, 900)} ms` },
  { category: 'QUEUE', band: 'info', text: (r) => `published ${r.int(1, 200)} events to ${r.pick(QUEUES)}` },
  { category: 'PAYMENT', band: 'info', text: (r) => `charge ch_${r.hex(14)} captured: ${r.int(5, 400)}.${r.int(10, 99)} EUR` },
  { category: 'SEARCH', band: 'info', text: (r) => `index products refreshed (${r.int(10000, 90000)} docs, ${r.int(100, 2000)} ms)` },
  { category: 'STORAGE', band: 'info', text: (r) => `autovacuum: table orders, ${r.int(10, 9000)} dead tuples removed` },
  { category: 'EMAIL', band: 'info', text: (r) => `sent ${r.int(1, 300)} notifications via smtp relay` },
  // WARNING
  { category: 'HTTP', band: 'warn', text: (r) => `slow request: ${r.pick(METHODS)} ${r.pick(PATHS)} took ${r.int(1000, 9000)} ms (threshold 1000 ms)` },
  { category: 'HTTP', band: 'warn', text: (r) => `upstream ${r.pick(PEERS)} returned 503, retrying (${r.int(1, 3)}/3)` },
  { category: 'DATABASE', band: 'warn', text: (r) => `slow sql query (${r.int(500, 5000)} ms): UPDATE inventory SET reserved = reserved + 1 WHERE sku = $1` },
  { category: 'DATABASE', band: 'warn', text: (r) => `database connection pool at ${r.int(80, 99)}% capacity` },
  { category: 'SECURITY', band: 'warn', text: (r) => `failed auth attempt for user admin from 198.51.100.${r.int(1, 254)} (${r.int(2, 9)} in 5 min)` },
  { category: 'SECURITY', band: 'warn', text: (r) => `permission denied: user u${r.int(1000, 9999)} lacks billing:write` },
  { category: 'CACHE', band: 'warn', text: (r) => `cache eviction rate high: ${r.int(500, 5000)} keys/s` },
  { category: 'QUEUE', band: 'warn', text: (r) => `consumer lag on ${r.pick(QUEUES)}: ${r.int(1000, 50000)} messages` },
  { category: 'PAYMENT', band: 'warn', text: (r) => `card declined for order o-${r.int(10000, 99999)}: insufficient_funds` },
  { category: 'SEARCH', band: 'warn', text: (r) => `query timed out on shard ${r.int(0, 11)}, partial results returned` },
  { category: 'STORAGE', band: 'warn', text: (r) => `disk usage ${r.int(80, 94)}% on /var/lib/postgresql` },
  { category: 'EMAIL', band: 'warn', text: (r) => `smtp relay slow: ${r.int(800, 4000)} ms per message` },
  // ERROR / CRITICAL / FATAL
  { category: 'HTTP', band: 'error', text: (r) => `upstream ${r.pick(PEERS)} unavailable: connect ECONNREFUSED 10.0.${r.int(0, 9)}.${r.int(2, 250)}:8080` },
  {
    category: 'HTTP',
    band: 'error',
    text: (r, service) =>
      `unhandled exception in POST /api/v1/checkout: TypeError: Cannot read properties of undefined (reading 'total')\n` +
      `    at priceCart (/srv/${service}/src/cart.js:${r.int(10, 300)}:17)\n` +
      `    at async checkout (/srv/${service}/src/routes/checkout.js:${r.int(10, 120)}:5)`,
  },
  { category: 'DATABASE', band: 'error', text: () => 'database error: deadlock detected on relation "orders"' },
  { category: 'DATABASE', band: 'error', text: (r) => `sql error 57014: canceling statement due to statement timeout (${r.int(5, 30)} s)` },
  { category: 'DATABASE', band: 'error', text: (r) => `lost connection to database primary db-${r.int(1, 3)}.internal, failing over` },
  { category: 'SECURITY', band: 'error', text: () => 'auth backend unreachable, rejecting logins' },
  { category: 'SECURITY', band: 'error', text: () => 'permission check failed: policy store returned 500' },
  { category: 'SECURITY', band: 'error', text: (r) => `possible credential stuffing: ${r.int(200, 5000)} failed logins from 198.51.100.0/24` },
  { category: 'CACHE', band: 'error', text: (r) => `redis node 10.0.${r.int(0, 9)}.${r.int(2, 250)}:6379 marked as failed` },
  { category: 'QUEUE', band: 'error', text: (r) => `message ${r.hex(8)} moved to dead-letter queue after 5 attempts` },
  { category: 'PAYMENT', band: 'error', text: (r) => `payment provider timeout after 30000 ms for order o-${r.int(10000, 99999)}` },
  { category: 'STORAGE', band: 'error', text: () => 'could not write to WAL: No space left on device' },
  { category: 'EMAIL', band: 'error', text: (r) => `bounce rate ${r.int(8, 30)}% exceeds limit, sending paused` },
];

const SERVICE_CATEGORIES: Readonly<Record<string, readonly string[]>> = {
  payments: ['HTTP', 'DATABASE', 'PAYMENT', 'SECURITY', 'QUEUE'],
  auth: ['HTTP', 'SECURITY', 'DATABASE', 'CACHE'],
  'api-gateway': ['HTTP', 'SECURITY', 'CACHE'],
  orders: ['HTTP', 'DATABASE', 'QUEUE', 'PAYMENT'],
  search: ['HTTP', 'SEARCH', 'CACHE'],
  'billing-db': ['DATABASE', 'STORAGE'],
  inventory: ['DATABASE', 'CACHE', 'QUEUE'],
  notifications: ['QUEUE', 'HTTP', 'EMAIL'],
};

// Cumulative level weights, in percent: mostly INFO and DEBUG, a tail of severe ones.
const LEVEL_WEIGHTS: ReadonlyArray<readonly [LogLevel, number]> = [
  ['TRACE', 5],
  ['DEBUG', 28],
  ['INFO', 45],
  ['NOTICE', 6],
  ['WARNING', 11],
  ['ERROR', 4],
  ['CRITICAL', 0.7],
  ['FATAL', 0.3],
];
const BAND: Readonly<Record<LogLevel, Band>> = {
  TRACE: 'low',
  DEBUG: 'low',
  INFO: 'info',
  NOTICE: 'info',
  WARNING: 'warn',
  ERROR: 'error',
  CRITICAL: 'error',
  FATAL: 'error',
};
// Chance, per entry, that an incident starts.
const BURST_CHANCE = 0.006;

function pickLevel(r: Rng): LogLevel {
  let x = r.next() * 100;
  for (const [level, weight] of LEVEL_WEIGHTS) {
    if (x < weight) return level;
    x -= weight;
  }
  return 'INFO';
}

/** Template pools per service and band, computed once per generator. */
function poolsFor(services: readonly string[]): Map<string, Record<Band, Template[]>> {
  const pools = new Map<string, Record<Band, Template[]>>();
  for (const service of services) {
    const categories = SERVICE_CATEGORIES[service];
    const pool: Record<Band, Template[]> = { low: [], info: [], warn: [], error: [] };
    for (const template of templates) {
      if (categories === undefined || categories.includes(template.category)) pool[template.band].push(template);
    }
    pools.set(service, pool);
  }
  return pools;
}

function validateServices(services: readonly string[]): void {
  if (!Array.isArray(services) || services.length === 0) throw new RangeError('services must be a non-empty array');
  for (const service of services) {
    if (typeof service !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(service)) {
      throw new RangeError(`services must be names of 1-64 characters of [A-Za-z0-9_.-] (got ${JSON.stringify(service)})`);
    }
  }
}

/**
 * An endless, deterministic stream of demo entries: the same seed gives the same levels,
 * services, categories and messages. Timestamps come from `now()`.
 *
 * @param seed - PRNG seed (any number; used as an unsigned 32-bit integer).
 * @param now - clock for `ts`.
 * @param services - services to simulate. @default {@link DEMO_SERVICES}
 * @throws RangeError when `services` is empty or holds an invalid name (on the first `next()`).
 * @example
 * ```ts
 * const entries = demoEntries(42, Date.now);
 * const first = entries.next().value; // always the same for seed 42 (apart from ts)
 * ```
 */
export function* demoEntries(
  seed: number,
  now: () => number,
  services: readonly string[] = DEMO_SERVICES,
): Generator<LogEntry> {
  validateServices(services);
  const r = new Rng(seed);
  const pools = poolsFor(services);
  // During an incident one service logs the same failure over and over, with a few CRITICALs.
  let burstLeft = 0;
  let burstService = services[0];
  let burstTemplate = templates[0];

  for (;;) {
    if (burstLeft === 0 && r.next() < BURST_CHANCE) {
      burstService = r.pick(services);
      const errors = pools.get(burstService)?.error ?? [];
      if (errors.length > 0) {
        burstTemplate = r.pick(errors);
        burstLeft = r.int(6, 20);
      }
    }
    if (burstLeft > 0 && r.next() < 0.6) {
      burstLeft -= 1;
      yield {
        level: r.next() < 0.8 ? 'ERROR' : 'CRITICAL',
        service: burstService,
        category: burstTemplate.category,
        message: burstTemplate.text(r, burstService),
        ts: now(),
      };
      continue;
    }

    const service = r.pick(services);
    const level = pickLevel(r);
    const pool = pools.get(service);
    const candidates = pool === undefined ? [] : pool[BAND[level]];
    const template = candidates.length > 0 ? r.pick(candidates) : r.pick(templates);
    yield { level, service, category: template.category, message: template.text(r, service), ts: now() };
  }
}

/** Options of {@link startDemoSource}. */
export interface DemoSourceOptions {
  /** Receives every generated entry. */
  sink: (entry: LogEntry) => void;
  /** Average entries per second. Range: (0, 1e6]. @default 20 */
  linesPerSecond?: number;
  /** PRNG seed for a reproducible stream. @default a random seed */
  seed?: number;
  /** Clock for the entries' timestamps, in ms. @default Date.now */
  now?: () => number;
  /** Services to simulate. @default {@link DEMO_SERVICES} */
  services?: string[];
  /**
   * Called when `sink` throws; generation continues.
   *
   * @default logs the error with `console.error`
   */
  onError?: (error: unknown) => void;
}

/** A running demo source. */
export interface DemoSource {
  /** Stops the timer. Idempotent. */
  stop(): void;
  /** Entries emitted so far. */
  readonly emitted: number;
}

/**
 * Emits demo entries on an `unref()`ed timer, in small batches: at most 10 ticks per second,
 * each emitting the entries due since the previous one (20 lines/s costs 10 ticks of 2).
 *
 * @throws RangeError / TypeError for invalid options.
 * @example
 * ```ts
 * const demo = startDemoSource({ sink: (entry) => router.publish(broker, entry), linesPerSecond: 20 });
 * demo.stop();
 * ```
 */
export function startDemoSource(options: DemoSourceOptions): DemoSource {
  if (typeof options.sink !== 'function') throw new TypeError('sink must be a function');
  const sink = options.sink;
  const linesPerSecond = options.linesPerSecond ?? 20;
  if (!Number.isFinite(linesPerSecond) || linesPerSecond <= 0 || linesPerSecond > 1e6) {
    throw new RangeError(`linesPerSecond must be in (0, 1e6] (got ${linesPerSecond})`);
  }
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number (got ${seed})`);
  const services = options.services ?? DEMO_SERVICES;
  validateServices(services);
  const onError = options.onError ?? ((error: unknown) => console.error('demo source:', error));
  const entries = demoEntries(seed, options.now ?? Date.now, services);

  const ticksPerSecond = Math.min(10, linesPerSecond);
  const perTick = linesPerSecond / ticksPerSecond;
  let credit = 0; // fractional entries carried to the next tick
  let emitted = 0;

  const timer = setInterval(() => {
    credit += perTick;
    const n = Math.floor(credit);
    credit -= n;
    for (let i = 0; i < n; i++) {
      const next = entries.next();
      if (next.done === true) return; // cannot happen: the generator is endless
      const entry = next.value;
      emitted += 1;
      try {
        sink(entry);
      } catch (error) {
        onError(error);
      }
    }
  }, 1000 / ticksPerSecond);
  timer.unref();

  return {
    stop(): void {
      clearInterval(timer);
    },
    get emitted(): number {
      return emitted;
    },
  };
}
