import { defineConfig, type Options } from 'tsup';

// The CommonJS build loads Node's built-ins through its own `require` where Node lacks
// `process.getBuiltinModule` (before 20.16); the ESM build never names one (src/internal/node-builtins.ts).
const cjsRequire = (format: string): Record<string, string> => ({
  __LOGCASTER_CJS_REQUIRE__: format === 'cjs' ? 'require' : 'undefined',
});

const entries = { index: 'src/index.ts', adapter: 'src/adapter.ts', redis: 'src/redis/index.ts', nats: 'src/nats/index.ts' };

const shared: Options = {
  target: 'node20',
  sourcemap: false,
  tsconfig: 'tsconfig.build.json',
  // logcaster/redis and logcaster/nats import the core by its package names (logcaster,
  // logcaster/adapter), so they never carry a second copy of the broker: `instanceof
  // TopicError` holds across entries.
  external: ['logcaster', 'logcaster/adapter', 'ioredis', '@nats-io/transport-node'],
};

export default defineConfig([
  {
    // ESM, one file per source module, as tsc would emit: a bundler keeps only the modules
    // an import reaches (package.json says `sideEffects: false`), and so only the
    // dependencies those modules import. Node >= 20.19 loads it for import and require alike.
    ...shared,
    entry: ['src/**/*.ts'],
    outDir: 'dist/esm',
    format: ['esm'],
    bundle: false,
    clean: true,
    // The declarations, rolled up per entry with the shared part in one chunk; the
    // CommonJS build gets the same files as .d.cts (scripts/post-build.mjs).
    dts: { entry: entries },
    esbuildOptions: (options) => {
      options.define = { ...options.define, ...cjsRequire('esm') };
    },
  },
  {
    // CommonJS for Node before 20.19 (no require(esm)), bundled per entry with the shared
    // code in chunks.
    ...shared,
    entry: entries,
    outDir: 'dist/cjs',
    format: ['cjs'],
    splitting: true,
    // Rollup writes the CommonJS chunks (without it tsup converts esbuild's ESM chunks with
    // sucrase, which also rewrites every `?.` into a helper call).
    treeshake: true,
    clean: true,
    esbuildOptions: (options) => {
      options.define = { ...options.define, ...cjsRequire('cjs') };
    },
  },
]);
