// Completes dist/ after tsup (see tsup.config.ts for the two builds):
//
// 1. One set of declarations for both builds: tsup writes them to dist/esm; they move to
//    dist/cjs as .d.cts (relative imports renamed `./x.js` → `./x.cjs`, which TypeScript
//    resolves to `./x.d.cts`), and dist/esm/<entry>.d.ts re-exports them. An ESM module may
//    import a CommonJS one (the reverse needs require(esm)), and TypeScript then sees each
//    class declared once, whichever way a project resolves the package.
// 2. dist/cjs/<entry>.mjs: ESM modules that re-export the CommonJS build. package.json sends
//    `import` there only on Node without require(esm) (before 20.19), where `require` must load
//    the CommonJS build: both then load ONE implementation, so a PubSubBroker made through
//    either is `instanceof` the class from the other (no dual-package hazard). Node 20.19+
//    takes the `module-sync` condition (the ESM build, for import and require alike) and
//    bundlers the `module` condition (the same ESM build), so they never load these files.
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const dist = new URL('../dist/', import.meta.url).pathname;
const esm = join(dist, 'esm');
const cjs = join(dist, 'cjs');
const require = createRequire(import.meta.url);
const entries = ['index', 'adapter', 'redis', 'nats'];

for (const file of readdirSync(esm).filter((name) => name.endsWith('.d.ts'))) {
  const text = readFileSync(join(esm, file), 'utf8').replace(/(from '\.\/[^']+)\.js'/g, "$1.cjs'");
  writeFileSync(join(cjs, file.replace(/\.d\.ts$/, '.d.cts')), text);
  const entry = file.replace(/\.d\.ts$/, '');
  if (entries.includes(entry)) writeFileSync(join(esm, file), `export * from '../cjs/${entry}.cjs';\n`);
  else rmSync(join(esm, file));
}

for (const entry of entries) {
  // The names Node's ESM loader will see, so the wrapper can list them statically.
  const names = Object.keys(require(join(cjs, `${entry}.cjs`))).filter((name) => name !== 'default' && name !== '__esModule');
  if (names.length === 0) throw new Error(`dist/cjs/${entry}.cjs exports nothing`);
  writeFileSync(
    join(cjs, `${entry}.mjs`),
    `// For import on Node < 20.19 only: the CommonJS build, which require() loads there too.\nexport { ${names.join(', ')} } from './${entry}.cjs';\n`,
  );
}

// Every way in must export the same names: the wrapper (Node finds CJS exports by static
// analysis), and the ESM build.
for (const entry of entries) {
  const expected = Object.keys(require(join(cjs, `${entry}.cjs`))).filter((name) => name !== '__esModule').sort().join();
  for (const file of [join(cjs, `${entry}.mjs`), join(esm, entry === 'redis' || entry === 'nats' ? `${entry}/index.js` : `${entry}.js`)]) {
    const names = Object.keys(await import(file)).sort().join();
    if (names !== expected) throw new Error(`${file} exports ${names} but dist/cjs/${entry}.cjs exports ${expected}`);
  }
}
