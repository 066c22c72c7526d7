import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', redis: 'src/redis/index.ts', nats: 'src/nats/index.ts' },
  // logcaster/redis and logcaster/nats import the core by its package name, so the entries
  // share one copy of the broker (and `instanceof TopicError` holds across them) instead of
  // bundling it twice.
  external: ['logcaster', 'ioredis', '@nats-io/transport-node'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: false,
  treeshake: true,
  tsconfig: 'tsconfig.build.json',
});
