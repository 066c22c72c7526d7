/**
 * The source tree shows the layers: each folder imports only from the layers below it, and no
 * module imports itself back through others (type-only imports included).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = resolve(import.meta.dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** Every relative import of a file (`import … from './x.js'`, `export … from`), as src-relative paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const match of text.matchAll(/(?:import|export)\s[^'";]*?from\s+'(\.[^']+)'/g)) {
    out.push(relative(src, resolve(dirname(file), match[1].replace(/\.js$/, '.ts'))));
  }
  return out;
}

const graph = new Map(sourceFiles(src).map((file) => [relative(src, file), importsOf(file)]));
const layerOf = (path: string): string => (path.includes('/') ? path.split('/')[0] : path.replace(/\.ts$/, ''));

/** Which layers each layer may import from (besides itself). */
const allowed: Record<string, string[]> = {
  errors: [],
  lifecycle: [],
  // Helpers with no state shared across modules (the bounded map under every cache).
  internal: [],
  topics: ['errors', 'internal'],
  flow: ['errors', 'lifecycle', 'internal'],
  broker: ['topics', 'flow', 'errors', 'lifecycle', 'internal'],
  metrics: ['broker', 'flow', 'errors'],
  // The adapters see the core only as the published package ('logcaster'), never by path:
  // one copy of the broker's classes. A stateless internal helper may be bundled twice.
  // bridge/ is what every engine shares (bundled into each engine's entry).
  bridge: ['internal'],
  redis: ['internal', 'bridge'],
  nats: ['internal', 'bridge'],
  index: ['topics', 'broker', 'flow', 'metrics', 'errors', 'lifecycle'],
};

describe('the source layout', () => {
  it('keeps every import within the layers below', () => {
    const wrong: string[] = [];
    for (const [file, imports] of graph) {
      const layer = layerOf(file);
      for (const target of imports) {
        const other = layerOf(target);
        if (other !== layer && !(allowed[layer] ?? []).includes(other)) wrong.push(`${file} → ${target}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('has no import loop', () => {
    const loops: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (file: string, path: string[]): void => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'visiting') {
        loops.push([...path.slice(path.indexOf(file)), file].join(' → '));
        return;
      }
      state.set(file, 'visiting');
      for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(loops).toEqual([]);
  });

  it('opens every file with a header comment', () => {
    const bare = [...graph.keys()].filter((file) => !readFileSync(join(src, file), 'utf8').startsWith('/**'));
    expect(bare).toEqual([]);
  });
});
