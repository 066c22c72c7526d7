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

/**
 * The same strings as flat sequential strings, as a server decodes them from a socket. A
 * template literal makes a rope (a tree of string pieces): whoever touches it first pays to
 * flatten it, several cache misses per string on a large stream, which would tilt a
 * comparison toward whichever contender runs second.
 */
export function flat(strings: readonly string[]): string[] {
  const buffer = Buffer.from(strings.join(''), 'latin1');
  const out = new Array<string>(strings.length);
  let at = 0;
  for (let i = 0; i < strings.length; i++) {
    const end = at + strings[i].length;
    out[i] = buffer.toString('latin1', at, end);
    at = end;
  }
  return out;
}

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
  const topics = flat(makeDistinctTopics(distinct, seed));
  const zipf = new Zipf(new Random(seed ^ 0x5bd1e995), distinct, 1);
  const out = new Array<string>(length);
  for (let i = 0; i < length; i++) out[i] = topics[zipf.next()];
  return out;
}

/** Distinct topics in the realistic space `logs/<service>/<level>/<component>`. */
export const REALISTIC_TOPICS = SERVICES.length * LEVELS.length * COMPONENTS.length;

/**
 * The `i`-th topic of a deterministic space with as many distinct topics as needed: the
 * realistic topics first (`i` < {@link REALISTIC_TOPICS}), then ones whose last level is a job
 * id (`logs/<service>/<level>/job<n>`), which only wildcard patterns match.
 */
export function topicAt(i: number): string {
  const service = SERVICES[i % SERVICES.length];
  const level = LEVELS[Math.floor(i / SERVICES.length) % LEVELS.length];
  const c = Math.floor(i / (SERVICES.length * LEVELS.length));
  return `logs/${service}/${level}/${c < COMPONENTS.length ? COMPONENTS[c] : `job${c}`}`;
}

/** Deterministic Fisher–Yates shuffle in place. */
export function shuffle<T>(items: T[], seed: number): T[] {
  const random = new Random(seed);
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
  }
  return items;
}

/**
 * A hot set of `hot` distinct topics (drawn from the realistic space while it is big enough)
 * and a stream of `length` uniform draws from it: every topic equally likely, the hardest
 * repetition for a cache of a given size.
 */
export function makeHotStream(hot: number, length: number, seed: number): string[] {
  const space = Math.max(hot, REALISTIC_TOPICS);
  const indices = shuffle(Array.from({ length: space }, (_, i) => i), seed).slice(0, hot);
  const topics = flat(indices.map(topicAt));
  const random = new Random(seed ^ 0x2545f491);
  const out = new Array<string>(length);
  for (let i = 0; i < length; i++) out[i] = topics[random.int(hot)];
  return out;
}

/**
 * `count` topics that never repeat (in a shuffled order), from the space of {@link topicAt}.
 * Long enough streams also outrun any cache's memory of what it has seen.
 */
export function makeUniqueStream(count: number, seed: number): string[] {
  return flat(shuffle(Array.from({ length: count }, (_, i) => i), seed).map(topicAt));
}

/**
 * Topics that carry an id, as request, user or job topics do: `logs/<service>/<level>/<component>/<id>`,
 * each one new.
 */
export function makeIdTopics(count: number, seed: number): string[] {
  const random = new Random(seed);
  const out = new Array<string>(count);
  for (let i = 0; i < count; i++) out[i] = `${randomTopic(random)}/r${i}`;
  return flat(out);
}

/**
 * `count` subscriptions where many subscribers share a few broad patterns (dashboards, log
 * shippers, one per service): 80,000 of them (or 80% when fewer) on `logs/<service>/#`,
 * `logs/<service>/<level>/#` and `logs/*\/<level>/<component>/#`, the rest on exact id
 * topics. Over {@link makeIdTopics} each topic matches about 150 subscriptions.
 */
export function makeSharedPatterns(count: number, seed: number): string[] {
  const random = new Random(seed);
  const shared = Math.min(80_000, Math.floor(count * 0.8));
  const out = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    const service = random.pick(SERVICES);
    const level = random.pick(LEVELS);
    const component = random.pick(COMPONENTS);
    if (i < shared) {
      const r = random.next();
      out[i] = r < 0.5 ? `logs/${service}/#` : r < 0.8 ? `logs/${service}/${level}/#` : `logs/*/${level}/${component}/#`;
    } else {
      out[i] = `logs/${service}/${level}/${component}/s${i}`;
    }
  }
  return shuffle(out, seed + 1);
}

const DEEP_ALPHABET = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

/** `count` deep topics (8 to 12 levels from a small alphabet, then a unique id level), each new. */
export function makeDeepTopics(count: number, seed: number): string[] {
  const random = new Random(seed);
  const out = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    const depth = 8 + random.int(5);
    const levels: string[] = [];
    for (let d = 0; d < depth - 1; d++) levels.push(random.pick(DEEP_ALPHABET));
    levels.push(`n${i}`);
    out[i] = levels.join('/');
  }
  return flat(out);
}

/**
 * `count` patterns over {@link makeDeepTopics}: 5 to 10 levels, each a letter or (30%) `*`,
 * ending in `#` (prefix subscriptions, as on a deep hierarchy of devices or paths).
 */
export function makeDeepPatterns(count: number, seed: number): string[] {
  const random = new Random(seed);
  const out = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    const depth = 5 + random.int(6);
    const levels: string[] = [];
    for (let d = 0; d < depth; d++) levels.push(random.next() < 0.3 ? '*' : random.pick(DEEP_ALPHABET));
    levels.push('#');
    out[i] = levels.join('/');
  }
  return out;
}

/**
 * The topics of `stream` laid out in one Buffer, as they would arrive on a socket: decoding
 * topic `i` yields a fresh string each time (no cached hash), as a server sees it.
 */
export function encodeTopics(stream: readonly string[]): { buffer: Buffer; starts: Uint32Array; ends: Uint32Array } {
  const buffer = Buffer.from(stream.join(''), 'latin1');
  const starts = new Uint32Array(stream.length);
  const ends = new Uint32Array(stream.length);
  let at = 0;
  for (let i = 0; i < stream.length; i++) {
    starts[i] = at;
    at += stream[i].length;
    ends[i] = at;
  }
  return { buffer, starts, ends };
}
