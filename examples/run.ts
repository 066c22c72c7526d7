// Runs one small example: `npm run example -- <name> [args…]` runs examples/<name>.ts.
// Without a name (or with an unknown one) it lists the examples with the first line of each
// one's header comment.

import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const names = readdirSync(here)
  .filter((file) => file.endsWith('.ts') && file !== basename(fileURLToPath(import.meta.url)))
  .map((file) => file.slice(0, -'.ts'.length))
  .sort();

const [name, ...args] = process.argv.slice(2);
if (name === undefined || !names.includes(name)) {
  if (name !== undefined) console.error(`no example named ${JSON.stringify(name)}\n`);
  console.log('usage: npm run example -- <name> [args…]\n');
  const width = Math.max(...names.map((example) => example.length));
  for (const example of names) {
    const firstLine = readFileSync(join(here, `${example}.ts`), 'utf8').split('\n')[0].replace(/^\/\/\s*/, '');
    console.log(`  ${example.padEnd(width)} ${firstLine}`);
  }
  process.exitCode = name === undefined ? 0 : 2;
} else {
  // In this process, with the arguments it would see if started directly:
  // `npx tsx examples/<name>.ts args…`. No second process to leave behind.
  const file = join(here, `${name}.ts`);
  process.argv = [process.argv[0], file, ...args];
  await import(pathToFileURL(file).href);
}
