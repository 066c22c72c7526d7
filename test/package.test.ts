/**
 * The published artefact, as a user gets it: `npm pack`, install the tarball into a scratch
 * project, then `import`, `require` and type-check against it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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

  const tarball = (): string => readdirSync(scratch).find((f) => f.endsWith('.tgz')) ?? '';
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  /** Runs tsc in the scratch project; returns its output ('' when it type-checks). */
  const typeCheck = (args: string[]): string => {
    try {
      return run('node', [tsc, '--noEmit', '--strict', '--types', 'node', '--typeRoots', join(root, 'node_modules', '@types'), ...args]);
    } catch (error) {
      return String((error as { stdout?: string }).stdout ?? error);
    }
  };

  it('ships only dist, README, CHANGELOG, LICENSE and package.json', () => {
    const files = run('tar', ['-tzf', tarball()]).split('\n').filter(Boolean);
    expect(files.every((f) => /^package\/(dist\/|README\.md$|CHANGELOG\.md$|LICENSE$|package\.json$)/.test(f))).toBe(true);
    expect(files).toContain('package/CHANGELOG.md');
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
       let code; try { new TopicTrie().add('a/#/b', 1); } catch (e) { code = e instanceof TopicError && [e.code, e.reason]; }
       console.log(JSON.stringify([n, code]));`,
    ]);
    expect(JSON.parse(out)).toEqual([1, ['ERR_INVALID_TOPIC', 'MULTI_WILDCARD_NOT_LAST']]);
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
    // One copy of the core: the adapter requires it by package name instead of bundling it.
    const bundle = run('cat', [join('node_modules', 'logcaster', 'dist', 'redis.cjs')]);
    expect(bundle).toContain("require('logcaster')");
    expect(bundle).not.toContain('class PubSubBroker');
  });

  it('gives import and require one implementation: the same classes, so instanceof holds across them', () => {
    const out = run('node', [
      '--input-type=module',
      '-e',
      `import { PubSubBroker, TopicError } from 'logcaster';
       import { createRequire } from 'node:module';
       const cjs = createRequire(import.meta.url)('logcaster');
       let crossed = false;
       try { new cjs.TopicTrie().add('', 1); } catch (e) { crossed = e instanceof TopicError; }
       console.log(JSON.stringify([cjs.PubSubBroker === PubSubBroker, new cjs.PubSubBroker() instanceof PubSubBroker, crossed]));`,
    ]);
    expect(JSON.parse(out)).toEqual([true, true, true]);
  });

  const use = `const broker = new PubSubBroker<{ level: string }>({ syntax: 'mqtt' });
      const sub: Subscription<{ level: string }> = broker.subscribe('logs/+/ERROR', (entry, topic: string) => { const l: string = entry.level; void l; void topic; });
      sub.unsubscribe();
      const trie = new TopicTrie<number>(); const hits: number[] = trie.match('a'); void hits;
      void broker.drain({ timeoutMs: 10 }).then(() => broker.close());`;
  const useRedis = `const map = new ChannelMap({ channels: 8 }); void map; void RedisBridge;`;

  it('type-checks for ESM and CJS consumers (nodenext)', () => {
    writeFileSync(join(scratch, 'esm.mts'), `import { PubSubBroker, TopicTrie, type Subscription } from 'logcaster';\nimport { ChannelMap, RedisBridge } from 'logcaster/redis';\n${use}\n${useRedis}\n`);
    writeFileSync(join(scratch, 'cjs.cts'), `import lc = require('logcaster');\nimport redis = require('logcaster/redis');\nconst { PubSubBroker, TopicTrie } = lc;\ntype Subscription<T> = lc.Subscription<T>;\nconst { ChannelMap, RedisBridge } = redis;\n${use}\n${useRedis}\n`);
    expect(typeCheck(['--module', 'nodenext', '--moduleResolution', 'nodenext', 'esm.mts', 'cjs.cts'])).toBe('');
  }, 90_000);

  // No target given: TypeScript's default (ES5), as in many older commonjs setups. This is also
  // why the declarations use TypeScript's `private` and not `#private` (TS18028 under ES5).
  it('type-checks under module commonjs + moduleResolution node10 (default target), logcaster/redis included, without skipLibCheck', () => {
    writeFileSync(join(scratch, 'node10.ts'), `import { PubSubBroker, TopicTrie, type Subscription } from 'logcaster';\nimport { ChannelMap, RedisBridge } from 'logcaster/redis';\n${use}\n${useRedis}\nexport {};\n`);
    expect(typeCheck(['--module', 'commonjs', '--moduleResolution', 'node10', '--skipLibCheck', 'false', 'node10.ts'])).toBe('');
  }, 90_000);

  it('type-checks under target es2020 (lib es2020) without skipLibCheck', () => {
    writeFileSync(join(scratch, 'es2020.ts'), `import { PubSubBroker, TopicTrie, type Subscription } from 'logcaster';\nimport { ChannelMap, RedisBridge } from 'logcaster/redis';\n${use}\n${useRedis}\nexport {};\n`);
    expect(typeCheck(['--target', 'es2020', '--lib', 'es2020', '--module', 'commonjs', '--moduleResolution', 'node10', '--skipLibCheck', 'false', 'es2020.ts'])).toBe('');
  }, 90_000);

  it('publishes no @internal member and no WeakRef in its type declarations', () => {
    const dist = join(scratch, 'node_modules', 'logcaster', 'dist');
    const declarations = readdirSync(dist).filter((f) => /\.d\.c?ts$/.test(f));
    expect(declarations.length).toBeGreaterThanOrEqual(4);
    for (const file of declarations) {
      const text = readFileSync(join(dist, file), 'utf8');
      expect(text, file).not.toContain('@internal');
      expect(text, file).not.toMatch(/\bWeakRef\b/);
    }
  });

  it('passes publint --strict and arethetypeswrong for every resolution mode', () => {
    const bin = (name: string): string => join(root, 'node_modules', '.bin', name);
    run(bin('publint'), ['--strict', join(scratch, 'node_modules', 'logcaster')]);
    // Exits non-zero on any problem (node10, node16 CJS/ESM, bundler).
    const report = run(bin('attw'), [join(scratch, tarball()), '--format', 'ascii']);
    expect(report).toMatch(/No problems found/);
  }, 120_000);
});
