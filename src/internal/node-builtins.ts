/**
 * Node's built-in modules, loaded where they are used instead of imported at the top of a
 * module. No module of the core names a `node:` import, so a bundler can build the library for
 * a browser or a worker; only the parts that measure Node itself (latency histograms, the load
 * monitor's heap figure) need Node, and say so when constructed elsewhere.
 *
 * @module
 */
import type * as PerfHooks from 'node:perf_hooks';
import { InvalidStateError } from '../errors.js';
import type * as V8 from 'node:v8';

interface Builtins {
  'node:perf_hooks': typeof PerfHooks;
  'node:v8': typeof V8;
}

/**
 * The CommonJS build's own `require` (tsup defines it for that build only; see
 * tsup.config.ts). The CommonJS build is what Node before 20.19 loads, and Node before 20.16
 * has no `process.getBuiltinModule`; everywhere else this is undefined.
 */
declare const __LOGCASTER_CJS_REQUIRE__: ((id: string) => unknown) | undefined;

type Loader = (id: string) => unknown;

const loader = (): Loader | undefined => {
  // Node >= 20.16 and 22.3: the documented way to load a built-in without importing it.
  const process = (globalThis as { process?: { getBuiltinModule?: Loader } }).process;
  if (typeof process?.getBuiltinModule === 'function') return process.getBuiltinModule.bind(process);
  return typeof __LOGCASTER_CJS_REQUIRE__ === 'function' ? __LOGCASTER_CJS_REQUIRE__ : undefined;
};

/**
 * Node's built-in module `id`, loaded synchronously.
 *
 * @param user - what needs it, for the error message.
 * @throws InvalidStateError outside Node (or a runtime without `process.getBuiltinModule`).
 */
export function nodeBuiltin<K extends keyof Builtins>(id: K, user: string): Builtins[K] {
  const load = loader();
  const builtin = load?.(id);
  if (builtin === undefined || builtin === null) {
    throw new InvalidStateError(`${user} needs Node's ${id}, which this runtime does not provide`);
  }
  return builtin as Builtins[K];
}
