/**
 * `npm run demo` builds the example first (`predemo`) and runs the built entry with plain
 * `node`: one process, no TypeScript loader in it. Started through `tsx` the server needed a
 * wrapper process and a loader thread, 134 MiB before any client; built, it idles at ~53 MiB
 * (a bare Node process holds ~39 MiB). The script also caps V8's young generation at 1 MiB per
 * semi-space (`--max-semi-space-size=1`): at 1,000 clients × 100 lines/s a garbage-heavy write
 * path otherwise grows it to 16 MiB per semi-space, ~12 MiB more RSS for no measurable latency
 * gain (bench/scenarios/e2e-vs-ircd.ts). And it runs V8 without background threads
 * (`--single-threaded`: garbage collection and compilation on the main thread): the helper
 * threads' malloc arenas were 1.4–2.2 MiB at 1,000 clients, and on a small machine those threads
 * compete with the event loop for the cores (peak RSS at 1,000 × 1,000 66.8 -> 63.6 MiB, latency
 * no worse, alternating runs; `--max-opt=1`, no optimising compiler, saved 6 MiB more but
 * doubled P50 at 1,000 × 1,000).
 *
 * 'logcaster' resolves to the library's source through tsconfig.json's `paths`, so the
 * example runs against the code in this repository, bundled; the library's dependencies stay
 * external (node_modules), and ioredis and the NATS client with them (only `--redis`,
 * `--redis-cluster` or `--nats` loads them; bundled, the NATS packages' own dynamic imports
 * would not resolve).
 */
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { main: 'examples/irc-log-server/main.ts' },
  outDir: 'examples/irc-log-server/dist',
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  tsconfig: 'tsconfig.json',
  external: ['ioredis', /^@nats-io\//],
  clean: true,
  dts: false,
  // Whitespace and syntax only, names kept (stack traces still name the functions; the source
  // map gives the lines, with --enable-source-maps): V8 keeps each loaded module's source for
  // lazy compilation, and the smaller text is 0.6 MiB less RSS idle (52.8 -> 52.2 MiB).
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: true,
  silent: true,
  // The web viewer's page is read from beside the module at run time.
  onSuccess: 'cp examples/irc-log-server/http/page.html examples/irc-log-server/dist/page.html',
});
