/**
 * Node's `crypto`, loaded the first time a feature needs it: a producer token, a password, a
 * chat `msgid`, a node id in a cluster. A server with none of these never loads it, and that
 * is ~1.7 MiB of resident memory (OpenSSL bindings and fifteen internal modules; an ESM
 * `import … from 'node:crypto'` also loads the Web Crypto API, as importing a built-in reads
 * every export). Measured with /proc/<pid>/smaps, issue 24 §3.
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
