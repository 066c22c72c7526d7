/**
 * The source tree shows the layers: each folder imports only from the layers below it, and no
 * module imports itself back through others (type-only imports included).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import ts from 'typescript';
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
  // Helpers with no state shared across modules (the bounded map under every cache, the
  // argument checks and their coded errors, timers, Node's built-ins loaded where used). The
  // errors module builds on the coded errors; the built-ins loader raises InvalidStateError:
  // the layers lean on each other, the files do not loop (checked below).
  internal: ['errors'],
  errors: ['internal'],
  lifecycle: ['internal'],
  topics: ['errors', 'internal'],
  flow: ['errors', 'lifecycle', 'internal'],
  broker: ['topics', 'flow', 'errors', 'lifecycle', 'internal'],
  metrics: ['broker', 'flow', 'errors', 'internal'],
  // The adapters see the core only as the published package ('logcaster'), never by path:
  // one copy of the broker's classes. A stateless internal helper may be bundled twice.
  // bridge/ is what every engine shares (bundled into each engine's entry).
  bridge: ['internal'],
  redis: ['internal', 'bridge'],
  nats: ['internal', 'bridge'],
  index: ['topics', 'broker', 'flow', 'metrics', 'errors', 'lifecycle'],
  adapter: ['topics', 'broker', 'flow', 'metrics', 'errors'],
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

  // Every name an entry exports, values and types.
  it('keeps the main entry to at most 55 names, none of them also exported by logcaster/adapter', () => {
    const entries = ['index.ts', 'adapter.ts'].map((file) => join(src, file));
    // No @types: listing the exports needs the modules, not the globals they use.
    const program = ts.createProgram(entries, { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, noEmit: true, types: [] });
    const checker = program.getTypeChecker();
    const [main, adapter] = entries.map((file) => {
      const module = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
      return checker.getExportsOfModule(module).map((symbol) => symbol.name);
    });
    expect(main.length).toBeLessThanOrEqual(55);
    expect(main.filter((name) => adapter.includes(name))).toEqual([]);
  }, 30_000);
});
