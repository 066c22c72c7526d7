import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', redis: 'src/redis/index.ts' },
  // logcaster/redis imports the core by its package name, so both entries share one copy of
  // the broker (and `instanceof TopicError` holds across them) instead of bundling it twice.
  external: ['logcaster', 'ioredis'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: false,
  treeshake: true,
  tsconfig: 'tsconfig.build.json',
});
