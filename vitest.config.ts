import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (file: string) => fileURLToPath(new URL(`./src/${file}`, import.meta.url));

export default defineConfig({
  resolve: {
    // The examples and benches import 'logcaster' as a user would; in this repo that is src/.
    alias: [
      { find: /^logcaster$/, replacement: src('index.ts') },
      { find: /^logcaster\/adapter$/, replacement: src('adapter.ts') },
      { find: /^logcaster\/redis$/, replacement: src('redis/index.ts') },
      { find: /^logcaster\/nats$/, replacement: src('nats/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    // --expose-gc lets the weak-owner and memory tests force a collection.
    execArgv: ['--expose-gc'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
