/**
 * Realistic, deterministic log topics `logs/<service>/<level>/<component>` and the
 * subscription patterns people put on them: mostly exact topics, ~10% with one `*` level,
 * ~2% ending in `#`.
 *
 * @module
 */
import { Random, Zipf } from './random.js';

const SERVICE_BASES = [
  'api', 'auth', 'billing', 'cart', 'catalog', 'checkout', 'search', 'payments', 'orders', 'users',
  'inventory', 'shipping', 'notify', 'gateway', 'ledger', 'reports', 'media', 'profile', 'session', 'reco',
];
/** 20 bases × 20 instances = 400 services. */
export const SERVICES: readonly string[] = SERVICE_BASES.flatMap((base) =>
  Array.from({ length: 20 }, (_, i) => `${base}-${i}`),
);
export const LEVELS: readonly string[] = ['TRACE', 'DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'CRITICAL', 'FATAL'];
/** How often each level is logged (INFO and DEBUG dominate, FATAL is rare). */
const LEVEL_WEIGHTS = [0.08, 0.25, 0.4, 0.08, 0.1, 0.07, 0.015, 0.005];
const COMPONENT_BASES = ['http', 'grpc', 'db', 'cache', 'kafka', 'scheduler', 'worker', 'auth', 'dns', 'tls'];
/** 10 bases × 4 = 40 components. */
export const COMPONENTS: readonly string[] = COMPONENT_BASES.flatMap((base) =>
  Array.from({ length: 4 }, (_, i) => `${base}${i}`),
);

function pickLevel(random: Random): string {
  let u = random.next();
  for (let i = 0; i < LEVELS.length; i++) {
    u -= LEVEL_WEIGHTS[i];
    if (u < 0) return LEVELS[i];
  }
  return LEVELS[2];
}

/** One published topic. */
export function randomTopic(random: Random): string {
  return `logs/${random.pick(SERVICES)}/${pickLevel(random)}/${random.pick(COMPONENTS)}`;
}

/**
 * `count` subscription patterns: 88% exact topics, 10% with one `*` level (service, level or
 * component), 2% ending in `#` (`logs/<service>/#` or `logs/<service>/<level>/#`).
 */
export function makePatterns(count: number, seed: number): string[] {
  const random = new Random(seed);
  const out: string[] = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    const r = random.next();
    const service = random.pick(SERVICES);
    const level = random.pick(LEVELS);
    const component = random.pick(COMPONENTS);
    if (r < 0.02) {
      out[i] = random.next() < 0.7 ? `logs/${service}/#` : `logs/${service}/${level}/#`;
    } else if (r < 0.12) {
      const where = random.int(3);
      out[i] =
        where === 0 ? `logs/*/${level}/${component}` : where === 1 ? `logs/${service}/*/${component}` : `logs/${service}/${level}/*`;
    } else {
      out[i] = `logs/${service}/${level}/${component}`;
    }
  }
  return out;
}

/** `count` distinct published topics, drawn with the realistic level mix. */
export function makeDistinctTopics(count: number, seed: number): string[] {
  const random = new Random(seed);
  const seen = new Set<string>();
  const max = SERVICES.length * LEVELS.length * COMPONENTS.length;
  if (count > max) throw new RangeError(`at most ${max} distinct topics (asked ${count})`);
  // The level mix makes rare levels hard to draw; fall back to uniform levels when stuck.
  let misses = 0;
  while (seen.size < count) {
    const topic =
      misses < 1000 ? randomTopic(random) : `logs/${random.pick(SERVICES)}/${random.pick(LEVELS)}/${random.pick(COMPONENTS)}`;
    if (seen.has(topic)) misses++;
    else seen.add(topic);
  }
  return [...seen];
}

/**
 * A stream of `length` publishes over `distinct` topics with a Zipf-like skew: what a log
 * stream looks like (a few hot topics, a long tail), so caches see realistic repetition.
 */
export function makeSkewedStream(distinct: number, length: number, seed: number): string[] {
  const topics = makeDistinctTopics(distinct, seed);
  const zipf = new Zipf(new Random(seed ^ 0x5bd1e995), distinct, 1);
  const out = new Array<string>(length);
  for (let i = 0; i < length; i++) out[i] = topics[zipf.next()];
  return out;
}
