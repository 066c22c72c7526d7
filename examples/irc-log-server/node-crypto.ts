/**
 * Node's `crypto`, loaded the first time a feature needs it: a producer token, a password, a
 * chat `msgid`, a node id in a cluster. A server with none of these never loads it: fifteen
 * internal modules and their bindings (an ESM `import … from 'node:crypto'` also loads the Web
 * Crypto API, as importing a built-in reads every export). That is 1.7 MiB of RSS in a bare
 * `node`, and 0.3–0.5 MiB in this server, which loads much of the same anyway (idle 53.6 →
 * 53.3 MiB, alternating runs; issue 24 §3).
 *
 * @module
 */
import { createRequire } from 'node:module';
import type * as Crypto from 'node:crypto';

let loaded: typeof Crypto | undefined;

/**
 * `node:crypto`, loaded on the first call (synchronously, through `require`).
 *
 * @example
 * ```ts
 * const id = nodeCrypto().randomUUID();
 * ```
 */
export function nodeCrypto(): typeof Crypto {
  return (loaded ??= createRequire(import.meta.url)('node:crypto') as typeof Crypto);
}
