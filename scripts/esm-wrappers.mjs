// Replaces the ESM builds with thin ESM modules that re-export the CommonJS build, so
// `import` and `require` load ONE implementation: a PubSubBroker made through either is
// `instanceof` the class from the other (no dual-package hazard). Runs after tsup.
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const dist = new URL('../dist/', import.meta.url).pathname;
const require = createRequire(import.meta.url);

for (const entry of ['index', 'redis', 'nats']) {
  const cjs = join(dist, `${entry}.cjs`);
  // The names Node's ESM loader will see, so the wrapper can list them statically.
  const names = Object.keys(require(cjs)).filter((name) => name !== 'default' && name !== '__esModule');
  if (names.length === 0) throw new Error(`dist/${entry}.cjs exports nothing`);
  writeFileSync(
    join(dist, `${entry}.js`),
    `// One implementation for import and require: this re-exports the CommonJS build.\nexport { ${names.join(', ')} } from './${entry}.cjs';\n`,
  );
  rmSync(join(dist, `${entry}.js.map`), { force: true });
}

// Node must see the same names through the wrapper (it finds CJS exports by static analysis).
for (const entry of ['index', 'redis', 'nats']) {
  const esm = Object.keys(await import(join(dist, `${entry}.js`))).sort();
  const cjs = Object.keys(require(join(dist, `${entry}.cjs`))).filter((name) => name !== '__esModule').sort();
  if (esm.join() !== cjs.join()) throw new Error(`dist/${entry}.js exports ${esm} but dist/${entry}.cjs exports ${cjs}`);
}
