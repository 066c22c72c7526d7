/**
 * The published artefact, as a user gets it: `npm pack`, install the tarball into a scratch
 * project, then `import` and `require` it on Node, type-check a consumer against it under
 * TypeScript 5.9 and 7 with each module resolution, and bundle it for a browser.
 *
 * One install serves the whole file (the tarball, TypeScript 7, @types/node, ioredis 6): the
 * slow part is the build that `npm pack` runs (prepack).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const scratch = mkdtempSync(join(tmpdir(), 'logcaster-pack-'));
const run = (cmd: string, args: string[], cwd = scratch): string =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000 });
const node = (...args: string[]): string => run(process.execPath, args);
const tarball = (): string => readdirSync(scratch).find((f) => f.endsWith('.tgz')) ?? '';

beforeAll(() => {
  // prepack builds dist/ first, so the tarball holds what `npm run build` makes now.
  run('npm', ['pack', '--silent', '--pack-destination', scratch], root);
  if (tarball() === '') throw new Error('npm pack produced no tarball');
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  // What `npm i typescript` gives a new project today is TypeScript 7 (the native compiler).
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', `./${tarball()}`, 'typescript@^7.0.2', '@types/node@^20', 'ioredis@^6']);
}, 300_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the packed npm package', () => {
  it('ships dist (ESM per module, CommonJS, one set of declarations, no source maps), README, CHANGELOG, LICENSE', () => {
    const files = run('tar', ['-tzf', tarball()]).split('\n').filter(Boolean);
    expect(files.filter((f) => !/^package\/(dist\/|README\.md$|CHANGELOG\.md$|LICENSE$|package\.json$)/.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    for (const file of ['CHANGELOG.md', 'dist/esm/index.js', 'dist/esm/adapter.js', 'dist/esm/redis/index.js', 'dist/cjs/index.cjs', 'dist/cjs/index.d.cts', 'dist/esm/index.d.ts']) {
      expect(files).toContain(`package/${file}`);
    }
  });

  it('works with require()', () => {
    const out = node(
      '-e',
      `const { PubSubBroker, TopicTrie } = require('logcaster');
       const b = new PubSubBroker(); const got = [];
       b.subscribe('a/#', (m, t) => got.push(t + '=' + m));
       b.publish('a/b', 1);
       const t = new TopicTrie(); t.add('x/*', 'v');
       console.log(JSON.stringify([got, t.match('x/y')]));`,
    );
    expect(JSON.parse(out)).toEqual([['a/b=1'], ['v']]);
  });

  it('works with import', () => {
    const out = node(
      '--input-type=module',
      '-e',
      `import { PubSubBroker, TopicTrie, TopicError } from 'logcaster';
       const b = new PubSubBroker(); let n = 0;
       b.subscribe('a/*', () => n++);
       b.publish('a/b', 1);
       let code; try { new TopicTrie().add('a/#/b', 1); } catch (e) { code = e instanceof TopicError && [e.code, e.reason]; }
       console.log(JSON.stringify([n, code]));`,
    );
    expect(JSON.parse(out)).toEqual([1, ['ERR_INVALID_TOPIC', 'MULTI_WILDCARD_NOT_LAST']]);
  });

  // Node 20.19+ loads the ESM build for both (`module-sync`); older Node loads the CommonJS
  // build for both (`import` goes through dist/cjs/*.mjs). --no-experimental-require-module
  // turns require(esm), and with it `module-sync`, off: Node before 20.19 as far as we are concerned.
  const oneImplementation = `
    import { PubSubBroker, TopicError } from 'logcaster';
    import { parseTopic } from 'logcaster/adapter';
    import { RedisBridge } from 'logcaster/redis';
    import { createRequire } from 'node:module';
    const require = createRequire(import.meta.url);
    const cjs = require('logcaster');
    let crossed = false;
    try { new cjs.TopicTrie().add('', 1); } catch (e) { crossed = e instanceof TopicError; }
    console.log(JSON.stringify({
      file: require.resolve('logcaster').replace(/.*node_modules\\/logcaster\\//, ''),
      same: [cjs.PubSubBroker === PubSubBroker, require('logcaster/adapter').parseTopic === parseTopic, require('logcaster/redis').RedisBridge === RedisBridge],
      instance: new cjs.PubSubBroker() instanceof PubSubBroker,
      crossed,
    }));`;

  it('gives import and require one implementation on Node 20.19+ (the ESM build), so instanceof holds across them', () => {
    const out = JSON.parse(node('--input-type=module', '-e', oneImplementation));
    expect(out).toEqual({ file: 'dist/esm/index.js', same: [true, true, true], instance: true, crossed: true });
  });

  it('gives import and require one implementation without require(esm) (the CommonJS build)', () => {
    const out = JSON.parse(node('--no-experimental-require-module', '--input-type=module', '-e', oneImplementation));
    expect(out).toEqual({ file: 'dist/cjs/index.cjs', same: [true, true, true], instance: true, crossed: true });
  });

  it("loads Node's built-ins where used: the CommonJS build without process.getBuiltinModule (Node < 20.16)", () => {
    const out = node(
      '--no-experimental-require-module',
      '-e',
      `delete process.getBuiltinModule;
       const { PubSubBroker, BroadcastMetrics, LoadMonitor } = require('logcaster');
       const broker = new PubSubBroker(); const metrics = new BroadcastMetrics(broker);
       broker.subscribe('a', () => {}); broker.publish('a', 1);
       const sample = new LoadMonitor().sampleNow();
       console.log(JSON.stringify([metrics.stats().total.delivered, metrics.stats().total.latency.end.count, sample.memory > 0]));`,
    );
    expect(JSON.parse(out)).toEqual([1, 1, true]);
  });

  it('says what needs Node when a runtime lacks its built-ins, and runs the rest', () => {
    const out = node(
      '--input-type=module',
      '-e',
      `delete process.getBuiltinModule;
       const { PubSubBroker, BroadcastMetrics, LoadMonitor } = await import('logcaster');
       const broker = new PubSubBroker(); let n = 0; broker.subscribe('a', () => n++); broker.publish('a', 1);
       const errors = [];
       for (const make of [() => new BroadcastMetrics(broker), () => new LoadMonitor()]) {
         try { make(); } catch (e) { errors.push([e.code, e.message]); }
       }
       const custom = new LoadMonitor({ sample: () => ({ cpu: 0.5, memory: 0.5 }) }).sampleNow();
       console.log(JSON.stringify([n, errors, custom.cpu]));`,
    );
    const [delivered, errors, cpu] = JSON.parse(out) as [number, [string, string][], number];
    expect([delivered, cpu]).toEqual([1, 0.5]);
    expect(errors).toEqual([
      ['ERR_INVALID_STATE', expect.stringMatching(/^BroadcastMetrics .*needs Node's node:perf_hooks/)],
      ['ERR_INVALID_STATE', expect.stringMatching(/^LoadMonitor .*needs Node's node:v8/)],
    ]);
  });

  it('serves logcaster/redis, which imports the core by package name instead of carrying a copy', () => {
    const cjs = node(
      '-e',
      `const { RedisBridge, RedisStreamBridge, ChannelMap } = require('logcaster/redis');
       const m = new ChannelMap({ channels: 8 });
       console.log(JSON.stringify([typeof RedisBridge, typeof RedisStreamBridge, m.channelsOf('logs/#') === m.channelsOf('#')]));`,
    );
    expect(JSON.parse(cjs)).toEqual(['function', 'function', true]);
    const dist = join(scratch, 'node_modules', 'logcaster', 'dist');
    for (const file of ['cjs/redis.cjs', ...readdirSync(join(dist, 'esm', 'redis')).map((f) => `esm/redis/${f}`)]) {
      expect(readFileSync(join(dist, file), 'utf8'), file).not.toMatch(/class PubSubBroker|class TopicTrie/);
    }
    expect(readFileSync(join(dist, 'cjs', 'redis.cjs'), 'utf8')).toContain("require('logcaster/adapter')");
  });

  it('publishes no @internal member and no WeakRef in its type declarations', () => {
    const dist = join(scratch, 'node_modules', 'logcaster', 'dist');
    const declarations = ['esm', 'cjs'].flatMap((dir) => readdirSync(join(dist, dir)).filter((f) => /\.d\.c?ts$/.test(f)).map((f) => join(dir, f)));
    expect(declarations.length).toBeGreaterThanOrEqual(6);
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

describe('TypeScript consumers of the packed package', () => {
  const use = `const broker = new PubSubBroker<{ level: string }>({ syntax: 'mqtt' });
const sub: Subscription<{ level: string }> = broker.subscribe('logs/+/ERROR', (entry, topic: string) => { const l: string = entry.level; void l; void topic; });
sub.unsubscribe();
const trie = new TopicTrie<number>(); const hits: number[] = trie.match('a'); void hits;
const tap: PublishTap<{ level: string }> = { tapped: (topic) => void parseTopic(topic, broker.syntax) };
broker.setPublishTap(tap);
const map = new ChannelMap({ channels: 8 }); void map; void RedisBridge;
void broker.drain({ timeoutMs: 10 }).then(() => broker.close());`;
  const esmImports = `import { PubSubBroker, TopicTrie, type Subscription } from 'logcaster';
import { parseTopic, type PublishTap } from 'logcaster/adapter';
import { ChannelMap, RedisBridge } from 'logcaster/redis';`;
  const cjsImports = `import lc = require('logcaster');
import adapter = require('logcaster/adapter');
import redis = require('logcaster/redis');
const { PubSubBroker, TopicTrie } = lc;
type Subscription<T> = lc.Subscription<T>;
type PublishTap<T> = adapter.PublishTap<T>;
const { parseTopic } = adapter;
const { ChannelMap, RedisBridge } = redis;`;

  const compilers = {
    // The repository's own TypeScript (~5.9, a devDependency).
    '5.9': join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
    // What the consumer project installed: TypeScript 7.
    '7': join(scratch, 'node_modules', 'typescript', 'bin', 'tsc'),
  } as const;

  beforeAll(() => {
    writeFileSync(join(scratch, 'esm.mts'), `${esmImports}\n${use}\n`);
    writeFileSync(join(scratch, 'cjs.cts'), `${cjsImports}\n${use}\n`);
    writeFileSync(join(scratch, 'bundler.ts'), `${esmImports}\n${use}\nexport {};\n`);
    writeFileSync(join(scratch, 'legacy.ts'), `${esmImports}\n${use}\nexport {};\n`);
    writeFileSync(
      join(scratch, 'ioredis6.mts'),
      `import { Redis } from 'ioredis';
import { PubSubBroker } from 'logcaster';
import { RedisBridge } from 'logcaster/redis';
const broker = new PubSubBroker<string>();
const publisher = new Redis({ lazyConnect: true });
const bridge = new RedisBridge(broker, { publisher, subscriber: publisher.duplicate() });
void bridge.close().then(() => publisher.quit());
`,
    );
  });

  /** Runs a compiler in the consumer project (strict, no skipLibCheck unless given); returns its output ('' when it type-checks). */
  const typeCheck = (version: keyof typeof compilers, args: string[]): string => {
    try {
      return node(compilers[version], '--noEmit', '--strict', '--skipLibCheck', 'false', '--types', 'node', ...args);
    } catch (error) {
      return String((error as { stdout?: string }).stdout ?? error);
    }
  };

  /** Error lines of a compiler's output. */
  const errorsOf = (output: string): string[] => output.split('\n').filter((line) => /error TS\d+/.test(line));

  for (const version of ['5.9', '7'] as const) {
    describe(`TypeScript ${version}`, () => {
      it('is the version the test means', () => {
        expect(node(compilers[version], '--version')).toContain(`Version ${version}.`);
      });

      it('type-checks ESM and CJS consumers under module/moduleResolution node16, without skipLibCheck', () => {
        expect(typeCheck(version, ['--module', 'node16', '--moduleResolution', 'node16', 'esm.mts', 'cjs.cts'])).toBe('');
      }, 90_000);

      // ioredis 6's declarations import 'redis-errors', which ships no types: under `strict`
      // (noImplicitAny) that is TS7016 inside node_modules/ioredis, nothing in the consumer's
      // code or in logcaster's declarations. The README says so: skipLibCheck (which skips
      // exactly those files), or `npm i -D @types/redis-errors`. ioredis 5 has no such import.
      it("type-checks ESM and CJS consumers and a RedisBridge on ioredis 6 under nodenext: the only errors are ioredis 6's own", () => {
        const errors = errorsOf(typeCheck(version, ['--module', 'nodenext', '--moduleResolution', 'nodenext', 'esm.mts', 'cjs.cts', 'ioredis6.mts']));
        expect(errors.length).toBeGreaterThan(0);
        expect(errors.filter((line) => !/^node_modules\/ioredis\/.*error TS7016: .*'redis-errors'/.test(line))).toEqual([]);
      }, 90_000);

      it('type-checks under moduleResolution bundler (module preserve), without skipLibCheck', () => {
        expect(typeCheck(version, ['--module', 'preserve', '--moduleResolution', 'bundler', 'bundler.ts'])).toBe('');
      }, 90_000);
    });
  }

  // TypeScript 7 removed moduleResolution node10 and target ES5; 5.9 has both (and ES5 is its
  // default target). ES5 is also why the declarations use TypeScript's `private`, not
  // `#private` (TS18028); lib es2020 checks they need no newer built-in types.
  it('type-checks under TypeScript 5.9 with module commonjs, moduleResolution node10, target ES5, lib es2020, without skipLibCheck', () => {
    expect(typeCheck('5.9', ['--module', 'commonjs', '--moduleResolution', 'node10', '--lib', 'es2020', 'legacy.ts'])).toBe('');
  }, 90_000);

  it('type-checks under TypeScript 7 with module commonjs, target es2020, lib es2020, without skipLibCheck', () => {
    expect(typeCheck('7', ['--module', 'commonjs', '--target', 'es2020', '--lib', 'es2020', 'legacy.ts'])).toBe('');
  }, 90_000);
});

describe('the packed package in a browser bundle (esbuild --bundle --minify --platform=browser)', () => {
  /** Minified browser bundle of `code` (an entry importing the installed package), in bytes. */
  const bundle = async (code: string): Promise<number> => {
    const result = await build({
      stdin: { contents: code, resolveDir: scratch, sourcefile: 'entry.js' },
      bundle: true,
      minify: true,
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    });
    return result.outputFiles[0].contents.byteLength;
  };
  const alone = (name: string): Promise<number> => bundle(`import { ${name} } from 'logcaster'; globalThis.kept = ${name};`);
  const KiB = 1024;

  it('bundles every export of logcaster and logcaster/adapter: no Node built-in on the import path', async () => {
    const whole = await bundle(`import * as lc from 'logcaster'; import * as adapter from 'logcaster/adapter'; globalThis.kept = [lc, adapter];`);
    expect(whole).toBeGreaterThan(0);
  });

  it('keeps only what one class needs: TokenBucket alone is at most 10 KiB, a tenth of the whole entry', async () => {
    const whole = await bundle(`import * as lc from 'logcaster'; globalThis.kept = lc;`);
    const tokenBucket = await alone('TokenBucket');
    expect(tokenBucket).toBeLessThanOrEqual(10 * KiB);
    expect(tokenBucket).toBeLessThan(whole / 10);
  });

  it('keeps what PubSubBroker needs and not the rest: under 54 KiB, less than 75% of the whole entry', async () => {
    const whole = await bundle(`import * as lc from 'logcaster'; globalThis.kept = lc;`);
    const broker = await alone('PubSubBroker');
    expect(broker).toBeLessThanOrEqual(54 * KiB);
    expect(broker).toBeLessThan(whole * 0.75);
  });

  // Issue 22's target. Not met yet: 53.7 KiB, of which eventemitter3 is 2.7 KiB and BoundedQueue
  // with its options and priority index (for queue options the broker's ring cannot serve) 7.8 KiB. `it.fails` passes
  // while the bundle is over; when it is under, this fails: drop `.fails` then.
  it.fails('PubSubBroker alone is at most 50 KiB', async () => {
    expect(await alone('PubSubBroker')).toBeLessThanOrEqual(50 * KiB);
  });
});
