/**
 * The one check of an options object: it must be an object, and every key must be one the
 * call reads. A JavaScript caller's typo (`{ cachesize: 10 }`) would otherwise be ignored and
 * the default used without a word.
 *
 * Each options type lists its keys once, with {@link optionKeys}; TypeScript refuses a list
 * that misses a field of the interface or names one it lacks, so the list cannot drift.
 *
 * @module
 */
import { invalidArgType, unknownOption } from './coded-errors.js';
import { show } from './checks.js';

/** The keys of an options type `O`, each mapped to `true`: see {@link optionKeys}. */
export type OptionKeys<O> = Readonly<Record<keyof O, true>>;

/**
 * Declares the keys of an options type. Every key of `O` must be there, and no other
 * (a `Record` over `keyof O`, not a mapped type, so optional fields are required here too).
 *
 * @example
 * ```ts
 * const TOKEN_BUCKET_OPTION_KEYS = optionKeys<TokenBucketOptions>({ capacity: true, refillPerSecond: true, initialTokens: true, now: true });
 * ```
 */
export function optionKeys<O>(keys: Record<keyof O, true>): OptionKeys<O> {
  return Object.freeze(keys);
}

/**
 * Refuses an options value that is not a plain-enough object (`null`, a string, a number, an
 * array, a function, `undefined` where the options are required) and any key `known` lacks.
 * Keys with an `undefined` value count too: a misspelled key is refused whatever it holds.
 * Own enumerable string keys only, as an object spread reads them.
 *
 * Costs a lookup per key given (tens of nanoseconds): call it once per call that takes
 * options, never per message.
 *
 * @param where - the call, for the message: `'new TokenBucket'`, `'Batcher.drain'`.
 * @param name - the argument's name, or a nested object's key (`'queue'`), for the message.
 * @throws TypeError (`ERR_INVALID_ARG_TYPE`) when `options` is not an object.
 * @throws TypeError (`ERR_UNKNOWN_OPTION`) for an unknown key, naming the nearest known one:
 *   `new PubSubBroker: unknown option 'cachesize' — did you mean 'cacheSize'?`
 */
export function checkOptions<O>(where: string, options: O | null | undefined, known: OptionKeys<O>, name = 'options'): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalidArgType(`${prefix(where)}${name} must be an object (got ${show(options)})`);
  }
  // for-in allocates nothing (Object.keys would, per call); an inherited key is not the
  // caller's and is skipped, as an object spread skips it.
  const table = known as Readonly<Record<string, true>>;
  for (const key in options) {
    if (table[key] !== true && Object.hasOwn(options, key)) refuseUnknown(where, name, key, Object.keys(known));
  }
}

function prefix(where: string): string {
  return where === '' ? '' : `${where}: `;
}

function refuseUnknown(where: string, name: string, key: string, known: readonly string[]): never {
  const near = nearestKey(key, known);
  const hint = near === undefined ? ` (known: ${known.map((k) => `'${k}'`).join(', ')})` : ` — did you mean '${near}'?`;
  throw unknownOption(`${prefix(where)}unknown option '${key}'${name === 'options' ? '' : ` in ${name}`}${hint}`);
}

/**
 * The known key `key` was most likely meant as: the same letters in another case first, then
 * the fewest edits (insertions, deletions, substitutions, swaps of two neighbours), at most 1
 * for keys of up to 3 characters, 2 up to 6, 3 beyond; `undefined` when none is that close.
 * Ties go to the key listed first.
 */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  for (const candidate of known) if (candidate.toLowerCase() === lower) return candidate;
  let best: string | undefined;
  let bestDistance = key.length <= 3 ? 1 : key.length <= 6 ? 2 : 3;
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance || (best === undefined && distance === bestDistance)) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Edits between `a` and `b`, a swap of two neighbouring characters counting as one (optimal string alignment). */
function editDistance(a: string, b: string): number {
  // Three rows of the dynamic programme: two back (for swaps), one back, and this one.
  let twoBack: number[] = [];
  let oneBack = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(oneBack[j] + 1, row[j - 1] + 1, oneBack[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, twoBack[j - 2] + 1);
      row.push(d);
    }
    twoBack = oneBack;
    oneBack = row;
  }
  return oneBack[b.length];
}
