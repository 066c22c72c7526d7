/**
 * Every option a user can pass is documented: each key of each `*Options` interface exported
 * by `logcaster`, `logcaster/redis` and `logcaster/nats` (read with the TypeScript compiler,
 * inherited keys included) appears in a table row of README.md or docs/*.md, and where its
 * JSDoc `@default` is a plain value (a number, a quoted string, a boolean, Infinity), some row
 * naming the key shows that value.
 */
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { repoRoot, tableRows, userDocs } from './helpers/markdown.js';

const ENTRIES = ['src/index.ts', 'src/redis/index.ts', 'src/nats/index.ts'];

/** One option key: the interface it belongs to, its name, and its `@default` when that is a plain value. */
interface OptionKey {
  readonly owner: string;
  readonly key: string;
  readonly plainDefault: string | undefined;
}

const PLAIN_VALUE = /^(-?\d+(\.\d+)?|'[^']*'|true|false|Infinity)$/;

/** The keys of every exported `*Options` interface of the entries, with their plain defaults. */
function exportedOptionKeys(): OptionKey[] {
  const files = ENTRIES.map((file) => join(repoRoot, file));
  const program = ts.createProgram(files, { strict: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, noEmit: true });
  const checker = program.getTypeChecker();
  const keys: OptionKey[] = [];
  const seen = new Set<string>();
  for (const file of files) {
    const source = program.getSourceFile(file);
    const module = source === undefined ? undefined : checker.getSymbolAtLocation(source);
    if (module === undefined) throw new Error(`cannot read the exports of ${file}`);
    for (const exported of checker.getExportsOfModule(module)) {
      if (!exported.name.endsWith('Options') || seen.has(exported.name)) continue;
      seen.add(exported.name);
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      if (!(symbol.flags & ts.SymbolFlags.Interface)) continue;
      for (const property of checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(symbol))) {
        const tag = property.getJsDocTags(checker).find((t) => t.name === 'default');
        const value = tag === undefined ? undefined : ts.displayPartsToString(tag.text).trim();
        keys.push({ owner: exported.name, key: property.name, plainDefault: value !== undefined && PLAIN_VALUE.test(value) ? value : undefined });
      }
    }
  }
  return keys;
}

const keys = exportedOptionKeys();
const rows = userDocs().flatMap((doc) => tableRows(doc.text));
/** Rows that name `key` in backticks, alone or as the last part of a dotted path (`outbox.limit`). */
const rowsNaming = (key: string): string[] => rows.filter((row) => new RegExp(`\`(?:[\\w]+\\.)*${key}\``).test(row));

describe('option keys in README.md and docs/', () => {
  it('are read from the source: every interface the issue names, with their keys', () => {
    const owners = new Set(keys.map((k) => k.owner));
    for (const name of ['BrokerOptions', 'SubscribeOptions', 'TopicTrieOptions', 'TokenBucketOptions', 'RateLimiterOptions', 'BatcherOptions', 'BackpressureOptions', 'BoundedQueueOptions', 'RedisBridgeOptions', 'RedisStreamBridgeOptions', 'NatsBridgeOptions']) {
      expect(owners, name).toContain(name);
    }
    expect(keys.filter((k) => k.owner === 'BackpressureOptions').map((k) => k.key)).toEqual(expect.arrayContaining(['maxQueues', 'maxItems', 'policy']));
    expect(keys.find((k) => k.owner === 'BrokerOptions' && k.key === 'maxPublishDepth')?.plainDefault).toBe('32');
  });

  it('are each in a table row', () => {
    const missing = keys.filter((k) => rowsNaming(k.key).length === 0).map((k) => `${k.owner}.${k.key}`);
    expect(missing).toEqual([]);
  });

  it('show their plain @default in a row that names them', () => {
    const wrong = keys
      .filter((k) => k.plainDefault !== undefined)
      .filter((k) => !rowsNaming(k.key).some((row) => row.includes(`\`${k.plainDefault}\``)))
      .map((k) => `${k.owner}.${k.key} (@default ${k.plainDefault})`);
    expect(wrong).toEqual([]);
  });
});
