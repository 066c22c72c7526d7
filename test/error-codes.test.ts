/**
 * One error vocabulary: every code the source uses is listed in docs/errors.md (and, for the
 * core, in ERROR_CODES), the page lists no code the source lacks, and argument errors are made
 * through the coded factories of src/internal/coded-errors.ts rather than as bare built-ins.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../src/adapter.js';

const root = join(import.meta.dirname, '..');

function sources(dir = join(root, 'src')): { path: string; text: string }[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [{ path: relative(root, path), text: readFileSync(path, 'utf8') }] : [];
  });
}

/** Codes written as string literals (`'ERR_CLOSED'`, `"LOGCASTER_UNHEARD_ERROR"`), by file. */
function codesIn(text: string): string[] {
  return [...text.matchAll(/['"]((?:ERR|LOGCASTER)_[A-Z0-9_]+)['"]/g)].map((match) => match[1]);
}

const page = readFileSync(join(root, 'docs', 'errors.md'), 'utf8');
/** The codes the page's tables list: the first cell of a row. */
const listed = new Set([...page.matchAll(/^\| `((?:ERR|LOGCASTER)_[A-Z0-9_]+)` \|/gm)].map((match) => match[1]));

describe('error codes', () => {
  const files = sources();

  it('lists every code the source uses in docs/errors.md', () => {
    const used = new Set(files.flatMap((file) => codesIn(file.text)));
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((code) => !listed.has(code))).toEqual([]);
  });

  it('lists no code the source does not use', () => {
    const used = new Set(files.flatMap((file) => codesIn(file.text)));
    expect([...listed].filter((code) => !used.has(code))).toEqual([]);
  });

  it('has every core code in ERROR_CODES', () => {
    // The bridges' codes (logcaster/redis, logcaster/nats) are theirs: listed on the page, not in ERROR_CODES.
    const core = files.filter((file) => !['redis', 'bridge', 'nats'].some((folder) => file.path.startsWith(join('src', folder))));
    const known = new Set<string>(Object.values(ERROR_CODES));
    const strays = core.flatMap((file) => codesIn(file.text).filter((code) => code.startsWith('ERR_') && !known.has(code)).map((code) => `${file.path}: ${code}`));
    expect(strays).toEqual([]);
  });

  it('makes argument errors through the coded factories of src/internal/coded-errors.ts', () => {
    const bare = files.flatMap((file) => {
      const path = file.path.split('\\').join('/');
      if (path === 'src/internal/coded-errors.ts') return [];
      return [...file.text.matchAll(/new (?:Type|Range)?Error\(/g)].map(() => path);
    });
    expect(bare).toEqual([]);
  });
});
