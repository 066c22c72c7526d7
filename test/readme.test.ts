/**
 * The README and docs/*.md as a newcomer meets them: the README is a short reference, every
 * `ts` code block type-checks and runs as written (the Redis and NATS ones against real
 * servers) and exits by itself, and every link to a file of the repository leads somewhere.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeBlocks, repoRoot, section, userDocs } from './helpers/markdown.js';
import { describeWithNats, startNatsCluster, type NatsCluster } from './helpers/nats-server.js';
import { describeWithRedis, startRedisServer, type RedisServer } from './helpers/redis-server.js';

const run = promisify(execFile);
const scratch = join(repoRoot, '.tmp', 'readme');
const tsx = join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');

/** How long a snippet may take to finish on its own: one that leaves a connection open never does. */
const EXIT_WITHIN_MS = 20_000;
/** The addresses the snippets name; the tests put their own servers there. */
const REDIS_URL = 'redis://127.0.0.1:6379';
const NATS_ADDRESS = '127.0.0.1:4222';

/** One `ts` block of a document, with the name of the file it is written to. */
interface Snippet {
  readonly name: string;
  readonly where: string;
  readonly code: string;
  readonly needs: 'redis' | 'nats' | 'nothing';
}

const snippets: Snippet[] = userDocs().flatMap((doc) =>
  codeBlocks(doc.text)
    .filter((block) => block.lang === 'ts')
    .map((block, i) => ({
      name: `${doc.path.replace(/[/.]/g, '-')}-${i}.ts`,
      where: `${doc.path}:${block.line}`,
      code: block.code,
      needs: /from 'ioredis'/.test(block.code) ? 'redis' : /from '@nats-io\//.test(block.code) ? 'nats' : 'nothing',
    })),
);

/** Writes a snippet (pointed at `address` when it names a server) and runs it with tsx; resolves with its stderr. */
async function runSnippet(snippet: Snippet, address?: string): Promise<string> {
  const code = address === undefined ? snippet.code : snippet.code.replaceAll(snippet.needs === 'redis' ? REDIS_URL : NATS_ADDRESS, address);
  const file = join(scratch, `run-${snippet.name}`);
  await writeFile(file, `${code}\nexport {};\n`);
  try {
    const { stderr } = await run(process.execPath, [tsx, file], { cwd: repoRoot, timeout: EXIT_WITHIN_MS });
    return stderr;
  } catch (error) {
    const failed = error as { killed?: boolean; stderr?: string };
    if (failed.killed === true) throw new Error(`${snippet.where} did not exit within ${EXIT_WITHIN_MS} ms (a timer or a connection left open?)`, { cause: error });
    throw new Error(`${snippet.where} failed:\n${failed.stderr ?? String(error)}`, { cause: error });
  }
}

beforeAll(async () => {
  await mkdir(scratch, { recursive: true });
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('the README', () => {
  const readme = userDocs()[0].text;

  it('is a reference of at most 400 lines', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(400);
  });

  it('opens with a quick start of at most 15 lines of code', () => {
    const [quickStart] = codeBlocks(section(readme, 'Quick start')).filter((block) => block.lang === 'ts');
    expect(quickStart).toBeDefined();
    expect(quickStart.code.trimEnd().split('\n').length).toBeLessThanOrEqual(15);
  });

  it('has a section for each public class and entry', () => {
    for (const heading of ['Install', 'Quick start', 'PubSubBroker', 'Topics and TopicTrie', 'TokenBucket', 'RateLimiter and LoadMonitor', 'Batcher', 'BoundedQueue', 'BackpressureManager', 'BroadcastMetrics', 'Several processes: logcaster/redis and logcaster/nats', 'Errors', 'Examples']) {
      expect(() => section(readme, heading)).not.toThrow();
    }
  });

  it('says the snippets are ES modules (npm init -y makes a CommonJS project)', () => {
    expect(section(readme, 'Install')).toMatch(/npm pkg set type=module/);
  });

  it('opens its Examples with the minimal IRC log server', () => {
    expect(section(readme, 'Examples').split('\n').slice(1).join(' ')).toMatch(/^\s*Start with \[examples\/minimal-irc-log-server\.ts\]/);
  });
});

describe('links in README.md and docs/', () => {
  it('lead to files of the repository', () => {
    const missing: string[] = [];
    for (const doc of userDocs()) {
      const base = doc.path.startsWith('docs/') ? 'docs' : '.';
      for (const [, target] of doc.text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const absolute = /^https:\/\/github\.com\/logcaster\/logcaster\/blob\/main\/([^#]+)/.exec(target);
        const local = absolute !== null ? absolute[1] : /^[a-z]+:/.test(target) || target.startsWith('#') ? undefined : join(base, target.split('#')[0]);
        if (local !== undefined && !existsSync(join(repoRoot, local))) missing.push(`${doc.path}: ${target}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('ts code blocks of README.md and docs/', () => {
  it('are found in the README and in docs/, each tagged ts', () => {
    expect(snippets.filter((s) => s.where.startsWith('README.md')).length).toBeGreaterThanOrEqual(3);
    expect(snippets.filter((s) => s.needs === 'redis').length).toBeGreaterThanOrEqual(2);
    expect(snippets.filter((s) => s.needs === 'nats').length).toBeGreaterThanOrEqual(1);
    // Any other TypeScript fence would escape these tests.
    const untested = userDocs().flatMap((doc) => codeBlocks(doc.text).filter((b) => /^(typescript|tsx?|js|javascript|mts|cts)$/.test(b.lang) && b.lang !== 'ts').map((b) => `${doc.path}:${b.line}`));
    expect(untested).toEqual([]);
  });

  it('type-check as written (strict, the repository tsconfig)', async () => {
    const dir = join(scratch, 'check');
    await mkdir(dir, { recursive: true });
    for (const snippet of snippets) await writeFile(join(dir, snippet.name), `${snippet.code}\nexport {};\n`);
    await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ extends: '../../../tsconfig.json', compilerOptions: { noEmit: true }, include: ['./*.ts'] }));
    await run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { cwd: repoRoot }).catch((error: { stdout?: string }) => {
      throw new Error(`code blocks do not type-check:\n${error.stdout ?? String(error)}`);
    });
  }, 120_000);

  it('run and exit by themselves, with nothing on stderr (those that need no server)', async () => {
    for (const snippet of snippets.filter((s) => s.needs === 'nothing')) {
      expect(await runSnippet(snippet), snippet.where).toBe('');
    }
  }, 120_000);
});

describeWithRedis('ts code blocks that use Redis', (binary) => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer(binary);
  });
  afterAll(async () => {
    await redis?.close();
  });

  it('run against a real redis-server and exit by themselves within 20 s', async () => {
    for (const snippet of snippets.filter((s) => s.needs === 'redis')) {
      expect(await runSnippet(snippet, redis.url), snippet.where).toBe('');
    }
  }, 120_000);
});

describeWithNats('ts code blocks that use NATS', (binary) => {
  let nats: NatsCluster;
  beforeAll(async () => {
    nats = await startNatsCluster(binary);
  });
  afterAll(async () => {
    await nats?.close();
  });

  it('run against a real nats-server and exit by themselves within 20 s', async () => {
    for (const snippet of snippets.filter((s) => s.needs === 'nats')) {
      expect(await runSnippet(snippet, nats.urls[0]), snippet.where).toBe('');
    }
  }, 120_000);
});
