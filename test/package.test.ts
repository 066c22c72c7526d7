/**
 * The published artefact, as a user gets it: `npm pack`, install the tarball into a scratch
 * project, then `import`, `require` and type-check against it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const scratch = mkdtempSync(join(tmpdir(), 'logcaster-pack-'));
const run = (cmd: string, args: string[], cwd = scratch): string =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });

describe('the packed npm package', () => {
  beforeAll(() => {
    // prepack builds dist/ first, so the tarball holds what `npm run build` makes now.
    run('npm', ['pack', '--silent', '--pack-destination', scratch], root);
    const tarball = readdirSync(scratch).find((f) => f.endsWith('.tgz'));
    if (tarball === undefined) throw new Error('npm pack produced no tarball');
    writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true }));
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', `./${tarball}`]);
  }, 180_000);

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('ships only dist, README, LICENSE and package.json', () => {
    const files = run('tar', ['-tzf', readdirSync(scratch).find((f) => f.endsWith('.tgz')) ?? '']).split('\n').filter(Boolean);
    expect(files.every((f) => /^package\/(dist\/|README\.md$|LICENSE$|package\.json$)/.test(f))).toBe(true);
    expect(files).toContain('package/dist/index.js');
    expect(files).toContain('package/dist/index.cjs');
    expect(files).toContain('package/dist/index.d.ts');
    expect(files).toContain('package/dist/redis.js');
    expect(files).toContain('package/dist/redis.cjs');
    expect(files).toContain('package/dist/redis.d.ts');
  });

  it('works with require()', () => {
    const out = run('node', [
      '-e',
      `const { PubSubBroker, TopicTrie } = require('logcaster');
       const b = new PubSubBroker(); const got = [];
       b.subscribe('a/#', (m, t) => got.push(t + '=' + m));
       b.publish('a/b', 1);
       const t = new TopicTrie(); t.add('x/*', 'v');
       console.log(JSON.stringify([got, t.match('x/y')]));`,
    ]);
    expect(JSON.parse(out)).toEqual([['a/b=1'], ['v']]);
  });

  it('works with import', () => {
    const out = run('node', [
      '--input-type=module',
      '-e',
      `import { PubSubBroker, TopicTrie, TopicError } from 'logcaster';
       const b = new PubSubBroker(); let n = 0;
       b.subscribe('a/*', () => n++);
       b.publish('a/b', 1);
       let code; try { new TopicTrie().add('a/#/b', 1); } catch (e) { code = e instanceof TopicError && e.code; }
       console.log(JSON.stringify([n, code]));`,
    ]);
    expect(JSON.parse(out)).toEqual([1, 'MULTI_WILDCARD_NOT_LAST']);
  });

  it('serves logcaster/redis to require() and import, sharing the core with logcaster', () => {
    const cjs = run('node', [
      '-e',
      `const { RedisBridge, RedisStreamBridge, ChannelMap } = require('logcaster/redis');
       const m = new ChannelMap({ channels: 8 });
       console.log(JSON.stringify([typeof RedisBridge, typeof RedisStreamBridge, m.channelsOf('logs/#') === m.channelsOf('#')]));`,
    ]);
    expect(JSON.parse(cjs)).toEqual(['function', 'function', true]);
    const esm = run('node', ['--input-type=module', '-e', `import { RedisBridge } from 'logcaster/redis'; console.log(typeof RedisBridge);`]);
    expect(esm.trim()).toBe('function');
    // One copy of the core: the adapter imports it by package name instead of bundling it.
    const bundle = run('cat', [join('node_modules', 'logcaster', 'dist', 'redis.js')]);
    expect(bundle).toContain("from 'logcaster'");
    expect(bundle).not.toContain('class PubSubBroker');
  });

  it('type-checks for ESM and CJS consumers', () => {
    const use = `const broker = new PubSubBroker<{ level: string }>();
      const sub = broker.subscribe('logs/#', (entry, topic: string) => { const l: string = entry.level; void l; void topic; });
      sub.unsubscribe();
      const trie = new TopicTrie<number>(); const hits: number[] = trie.match('a'); void hits;`;
    writeFileSync(join(scratch, 'esm.mts'), `import { PubSubBroker, TopicTrie } from 'logcaster';\n${use}\n`);
    writeFileSync(join(scratch, 'cjs.cts'), `import lc = require('logcaster');\nconst { PubSubBroker, TopicTrie } = lc;\n${use}\n`);
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const out = (() => {
      try {
        return run('node', [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--types', 'node', '--typeRoots', join(root, 'node_modules', '@types'), 'esm.mts', 'cjs.cts']);
      } catch (error) {
        return String((error as { stdout?: string }).stdout ?? error);
      }
    })();
    expect(out).toBe('');
  });
});
