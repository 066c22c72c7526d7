/**
 * The small examples in examples/*.ts, run as a user runs them (a real process through tsx),
 * each checked for the behaviour its header promises, so they never rot.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parsePrometheus } from './helpers/prometheus-parser.js';
import { describeWithRedis, freePort, startRedisServer, type RedisServer } from './helpers/redis-server.js';
import { referenceMatches } from './helpers/reference-matcher.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const EXAMPLES = ['typed-broker', 'slow-consumer', 'stream', 'rate-limit', 'batcher', 'metrics-endpoint', 'redis-two-processes'];
// A server runs until it is stopped, so it is not run here: its own test
// (examples/test/minimal-irc-log-server.test.ts) starts it, in process and through the runner.
const SERVERS = ['minimal-irc-log-server'];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const running = new Set<ChildProcess>();
afterEach(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

/**
 * Runs `examples/<script>.ts args…` with tsx, as `npx tsx` would, and resolves once it has
 * exited by itself. Rejects (after SIGKILL) if it is still running after `timeoutMs`.
 */
function runExample(script: string, args: string[] = [], env: Record<string, string> = {}, timeoutMs = 15_000): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', join('examples', `${script}.ts`), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not end within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs an example that must succeed: exit code 0, nothing on stderr. */
async function succeed(script: string, args: string[] = [], env: Record<string, string> = {}): Promise<string> {
  const run = await runExample(script, args, env);
  if (run.code !== 0 || run.stderr !== '') {
    throw new Error(`${script} exited with ${String(run.code)}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
  return run.stdout;
}

/** The numbers captured by `pattern` in `text`; fails the test when it does not match. */
function numbers(text: string, pattern: RegExp): number[] {
  const match = pattern.exec(text);
  if (match === null) throw new Error(`no line matches ${String(pattern)} in:\n${text}`);
  return match.slice(1).map(Number);
}

describe('the examples directory', () => {
  it('holds the seven examples (30 to 80 lines) and the minimal server (at most 250), each with a header saying what to watch and how to run it', () => {
    const files = readdirSync(join(root, 'examples')).filter((file) => file.endsWith('.ts') && file !== 'run.ts');
    expect(files.map((file) => file.slice(0, -3)).sort()).toEqual([...EXAMPLES, ...SERVERS].sort());
    for (const file of files) {
      const text = readFileSync(join(root, 'examples', file), 'utf8');
      const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
      const [min, max] = SERVERS.includes(file.slice(0, -3)) ? [1, 250] : [30, 80];
      expect({ file, lines: lines >= min && lines <= max }).toEqual({ file, lines: true });
      const header = text.slice(0, text.indexOf('\nimport '));
      expect(header).toMatch(/^\/\/ \S/);
      expect(header).toContain('// Watch:');
      expect(header).toContain(`npm run example -- ${file.slice(0, -3)}`);
      expect(header).toContain(`npx tsx examples/${file}`);
      // Only the public API, as a user imports it.
      const imports = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]).filter((from) => !from.startsWith('node:'));
      expect(imports.every((from) => ['logcaster', 'logcaster/redis', 'ioredis'].includes(from))).toBe(true);
    }
  });

  it('lists every example from the runner, and refuses an unknown name with exit code 2', async () => {
    const listing = await succeed('run');
    for (const name of [...EXAMPLES, ...SERVERS]) expect(listing).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    const unknown = await runExample('run', ['no-such-example']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no example named "no-such-example"');
  });

  it('runs an example by name through the runner, passing its arguments on', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'logcaster-examples-'));
    try {
      const out = await succeed('run', ['batcher', join(scratch, 'out.log')]);
      expect(out).toContain(`${join(scratch, 'out.log')} has 251 lines`);
      expect(readFileSync(join(scratch, 'out.log'), 'utf8').split('\n')).toHaveLength(252);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

describe('typed-broker', () => {
  it('delivers each topic to exactly the patterns whose wildcards match it, and refuses a wildcard topic', async () => {
    const out = await succeed('typed-broker');
    const published = [...out.matchAll(/^publish (\S+) -> (\d+)$/gm)].map((m) => ({ topic: m[1], reached: Number(m[2]) }));
    const got = [...out.matchAll(/^ {2}(\S+) +got (\S+):/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(published.map((p) => p.topic)).toContain('logs'); // `#` matching zero levels is shown
    const patterns = ['logs/#', 'logs/*/ERROR', 'logs/payments/*'];
    const expected = published.flatMap(({ topic }) => patterns.filter((p) => referenceMatches(p, topic)).map((p) => `${p} ${topic}`));
    expect(got).toEqual(expected);
    for (const { topic, reached } of published) {
      expect(reached).toBe(patterns.filter((p) => referenceMatches(p, topic)).length);
    }
    expect(out).toContain('refused: TopicError ERR_INVALID_TOPIC (WILDCARD_IN_TOPIC) for "logs/#"');
    expect(out).toContain(`stats: ${published.length} published, ${got.length} delivered, 3 subscriptions`);
  });
});

describe('slow-consumer', () => {
  it('counts the slow consumer’s drops while the fast one receives every message', async () => {
    const out = await succeed('slow-consumer');
    const [fastReceived, total, fastDropped] = numbers(out, /^fast: received (\d+) of (\d+), dropped (\d+)$/m);
    expect(fastReceived).toBe(total);
    expect(fastDropped).toBe(0);
    const [slowReceived, slowTotal, slowDropped, last] = numbers(out, /^slow: received (\d+) of (\d+), dropped (\d+), last message #(\d+)$/m);
    expect(slowTotal).toBe(total);
    expect(slowDropped).toBeGreaterThan(0);
    expect(slowReceived + slowDropped).toBe(total);
    expect(last).toBe(total - 1); // drop-oldest kept the newest
    expect(numbers(out, /^'drop' events: fast (\d+), slow (\d+)$/m)).toEqual([0, slowDropped]);
    expect(numbers(out, /^broker\.stats\(\)\.dropped: (\d+)$/m)).toEqual([slowDropped]);
  });
});

describe('stream', () => {
  it('consumes every message in order with for await, the producer holding off at the high-water mark', async () => {
    const out = await succeed('stream');
    const [consumed, total] = numbers(out, /^consumed (\d+) of (\d+) jobs, in order: true$/m);
    expect(consumed).toBe(total);
    const [pauses, resumes, dropped] = numbers(out, /^queue paused (\d+) times, resumed (\d+) times, dropped (\d+)$/m);
    expect(pauses).toBeGreaterThan(0);
    expect(resumes).toBe(pauses);
    expect(dropped).toBe(0);
    const holds = [...out.matchAll(/^producer: (\d+) pending, queue paused/gm)].map((m) => Number(m[1]));
    // The producer waited at least once (a pause caused by the very last publish has nobody to hold off).
    expect(holds.length).toBeGreaterThan(0);
    expect(holds.length).toBeLessThanOrEqual(pauses);
    expect(holds.every((pending) => pending === 8)).toBe(true); // the high-water mark, never more
    expect(out).toContain('subscription active after the loop: false');
  });
});

describe('rate-limit', () => {
  it('limits the flooding key to its burst plus refill, leaves the others alone', async () => {
    const out = await succeed('rate-limit');
    const line = (key: string): number[] => numbers(out, new RegExp(`^${key} +sent (\\d+), published (\\d+), refused (\\d+)$`, 'm'));
    const [apiSent, apiPublished, apiRefused] = line('api');
    expect(apiPublished + apiRefused).toBe(apiSent);
    // 10 tokens at t=0, then 20/s over the 950 ms until the last tick: 19 more.
    expect(apiPublished).toBe(10 + 19);
    const [cronSent, cronPublished, cronRefused] = line('cron');
    expect([cronPublished, cronRefused]).toEqual([cronSent, 0]);
    const [paySent, payPublished, payRefused] = line('payments');
    expect([payPublished, payRefused]).toEqual([paySent, 0]);
    expect(numbers(out, /^limiter: (\d+) allowed, (\d+) limited, (\d+) keys tracked$/m)).toEqual([
      apiPublished + cronPublished + payPublished,
      apiRefused,
      3,
    ]);
    expect(out).toMatch(/^t=50 ms: api refused for the first time, retry in 50 ms$/m);
  });
});

describe('batcher', () => {
  it('writes every line exactly once in a few batches, the high-priority line leading its batch', async () => {
    const out = await succeed('batcher');
    const writes = [...out.matchAll(/^write (\d+): (\d+) lines, first: (.*)$/gm)].map((m) => ({ size: Number(m[2]), first: m[3] }));
    expect(writes.map((w) => w.size)).toEqual([100, 51, 70, 30]);
    expect(writes[1].first).toBe('ERROR disk almost full');
    const [items, batches, fileLines, distinct] = numbers(out, /^(\d+) lines in (\d+) writes; \S+ has (\d+) lines, (\d+) distinct$/m);
    expect([items, batches, fileLines, distinct]).toEqual([251, 4, 251, 251]);
  });

  it('leaves no temporary file behind when it is given no path', async () => {
    const out = await succeed('batcher');
    const path = /; (\S+) has \d+ lines/.exec(out)?.[1] ?? '';
    expect(path.startsWith(tmpdir())).toBe(true);
    expect(() => readFileSync(path)).toThrow(/ENOENT/);
  });
});

describe('metrics-endpoint', () => {
  it('serves Prometheus text on /metrics at the port given, with the slow pattern’s drops, then stops', async () => {
    const port = await freePort();
    const out = await succeed('metrics-endpoint', [String(port)]);
    expect(out).toContain(`serving http://127.0.0.1:${port}/metrics`);
    expect(out).toContain('GET /metrics -> 200 text/plain; version=0.0.4');
    const scrape = out.slice(out.indexOf('--- scrape ---\n') + 15, out.indexOf('--- end ---'));
    const families = parsePrometheus(scrape);
    expect(families.get('logcaster_published_total')?.samples[0].value).toBe(100);
    const delivered = families.get('logcaster_delivered_total')?.samples ?? [];
    expect(delivered.find((s) => s.labels.pattern === 'logs/#')?.value).toBe(100);
    const dropped = families.get('logcaster_dropped_total')?.samples ?? [];
    expect(dropped.map((s) => s.labels)).toEqual([{ pattern: 'logs/*/ERROR', reason: 'drop-newest' }]);
    expect(dropped[0].value).toBeGreaterThan(0);
    expect(families.get('logcaster_delivery_end_seconds')?.type).toBe('summary');
  });

  it('picks a free port by itself when none is given', async () => {
    const out = await succeed('metrics-endpoint');
    const [port] = numbers(out, /^serving http:\/\/127\.0\.0\.1:(\d+)\/metrics$/m);
    expect(port).toBeGreaterThan(0);
  });
});

describe('redis-two-processes without a Redis server', () => {
  it('says how to start redis-server and exits with code 1', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const run = await runExample('redis-two-processes', [], { REDIS_URL: url });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`Cannot reach Redis at ${url}`);
    expect(run.stderr).toMatch(/ECONNREFUSED/);
    expect(run.stderr).toContain('Start one with: redis-server');
  });
});

describeWithRedis('redis-two-processes', (binary) => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer(binary);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('forks a second process; each sees its own greeting locally and the other’s over Redis, once; both exit', async () => {
    const out = await succeed('redis-two-processes', [], { REDIS_URL: server.url });
    const got = [...out.matchAll(/^\[(A|B) pid (\d+)\] got (\S+): "[^"]*" \((local|over Redis)\)$/gm)].map((m) => ({
      node: m[1],
      pid: Number(m[2]),
      line: `${m[1]} ${m[3]} ${m[4]}`,
    }));
    expect(got.map((g) => g.line).sort()).toEqual(
      ['A greetings/from-a local', 'A greetings/from-b over Redis', 'B greetings/from-a over Redis', 'B greetings/from-b local'].sort(),
    );
    const pids = new Set(got.map((g) => `${g.node}${g.pid}`));
    expect(pids.size).toBe(2); // two processes, one pid each
    expect(out).toContain('B exited with code 0');
    // Nothing left behind: B is gone.
    const pidB = got.find((g) => g.node === 'B')?.pid ?? 0;
    expect(() => process.kill(pidB, 0)).toThrow(/ESRCH/);
  });
});
