/**
 * The README's walkthrough follows one log line from the ingest socket to a client's screen.
 * This runs it against a real server — the line it quotes, the topics it says the line is
 * published on, the bytes it says each kind of client gets and when they are written, the rate
 * limit it describes — and keeps the names it uses true as the code moves:
 *
 * - Every relative path the README names (in backticks, in a link, or in a Mermaid diagram,
 *   ending in .ts, .html, .md or .png) must exist.
 * - Every class the walkthrough section names must exist where it says: the library's
 *   (`Name` (library, `src/…`)) exported by `logcaster` or `logcaster/redis` and defined in that
 *   file, the example's exported by one of its files; `Name.method` must be a method of it.
 *
 * How a path is resolved (the README's own shorthand): a path with a `/` is relative to this
 * example's folder or to the repository root. A bare file name is in the folder of the last path
 * named before it on the same line ("`irc/client.ts`, `framer.ts`" means irc/framer.ts), or
 * in the example's folder, or in its `test/` folder (the README's list of tests names them so).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { Socket, connect } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as core from 'logcaster';
import * as redis from 'logcaster/redis';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../server.js';
import { RawClient, until } from './raw-client.js';

const EXAMPLE = fileURLToPath(new URL('..', import.meta.url));
const ROOT = join(EXAMPLE, '..', '..');
const README = readFileSync(join(EXAMPLE, 'README.md'), 'utf8');
const WALKTHROUGH_HEADING = '## Walkthrough: one log line, from socket to screen';

/** The library classes the walkthrough must name, each as `Name` (library, `src/…`). */
const LIBRARY_CLASSES = [
  'PubSubBroker',
  'TopicTrie',
  'Router',
  'RateLimiter',
  'BackpressureManager',
  'BoundedQueue',
  'TokenBucket',
  'BroadcastMetrics',
  'RedisBridge',
  'RedisStreamBridge',
] as const;

const PATH_END = /\.(?:ts|html|md|png)$/;
// A relative path: words of [A-Za-z0-9_.-] joined by `/`, maybe ending in `/` (a folder).
const RELATIVE_PATH = /^[\w.-]+(?:\/[\w.-]+)*\/?$/;

interface PathRef {
  /** As written in the README. */
  readonly path: string;
  /** README line number, 1-based. */
  readonly line: number;
  /** Folder of the last path named before it on its line, if any (for bare names). */
  readonly context: string | undefined;
}

/** The example's files, relative to its folder. */
function exampleFiles(dir = EXAMPLE): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...exampleFiles(full));
    else out.push(relative(EXAMPLE, full));
  }
  return out;
}
const FILES = exampleFiles();

/** Every path-like reference of `text`: inline code, link targets, and Mermaid node labels. */
function pathReferences(text: string): PathRef[] {
  const refs: PathRef[] = [];
  let fence: string | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const opening = /^\s*```(\w*)/.exec(line);
    if (opening !== null) {
      fence = fence === undefined ? opening[1] || 'text' : undefined;
      continue;
    }
    if (fence !== undefined) {
      // Code is not prose, except the diagrams, whose labels name files.
      if (fence === 'mermaid') {
        for (const match of line.matchAll(/[\w.-]+(?:\/[\w.-]+)+\.(?:ts|html|md|png)\b/g)) {
          refs.push({ path: match[0], line: i + 1, context: undefined });
        }
      }
      continue;
    }
    // Inline code and link targets, in the order they appear on the line.
    let context: string | undefined;
    for (const match of line.matchAll(/`([^`]+)`|\]\(([^)\s]+)\)/g)) {
      const words = match[1] !== undefined ? match[1].split(/\s+/) : [match[2]];
      for (const word of words) {
        if (!RELATIVE_PATH.test(word) || word.startsWith('.')) continue;
        if (PATH_END.test(word)) refs.push({ path: word, line: i + 1, context: word.includes('/') ? undefined : context });
        if (word.includes('/')) context = word.endsWith('/') ? word.slice(0, -1) : dirname(word);
      }
    }
  }
  return refs;
}

/** Where `ref` is on disk, or undefined when it names nothing. */
function resolvePath(ref: PathRef): string | undefined {
  const candidates: string[] = [];
  if (ref.path.includes('/')) {
    candidates.push(join(EXAMPLE, ref.path), join(ROOT, ref.path));
  } else {
    if (ref.context !== undefined) candidates.push(join(EXAMPLE, ref.context, ref.path), join(ROOT, ref.context, ref.path));
    candidates.push(join(EXAMPLE, ref.path), join(EXAMPLE, 'test', ref.path));
  }
  return candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
}

/** The references of `text` that name no file, as `line N: path`. */
function missingPaths(text: string): string[] {
  return pathReferences(text)
    .filter((ref) => resolvePath(ref) === undefined)
    .map((ref) => `line ${ref.line}: ${ref.path}`);
}

/** The walkthrough section: from its heading to the next `## ` heading. */
function walkthrough(text: string): string {
  const start = text.indexOf(`${WALKTHROUGH_HEADING}\n`);
  if (start === -1) return '';
  const end = text.indexOf('\n## ', start + WALKTHROUGH_HEADING.length);
  return text.slice(start, end === -1 ? undefined : end);
}

/** Every `Name` or `Name.method` the section names in inline code or in a diagram label. */
function namedClasses(section: string): Map<string, Set<string>> {
  const names = new Map<string, Set<string>>();
  const add = (name: string, method: string | undefined): void => {
    const methods = names.get(name) ?? new Set<string>();
    if (method !== undefined) methods.add(method);
    names.set(name, methods);
  };
  // Mixed case, so level names (`ERROR`) and constants (`FILTERED_CHANNELS`) are not classes.
  const IDENTIFIER = /^([A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*)(?:\.([a-z]\w*))?$/;
  for (const match of section.matchAll(/`([^`\n]+)`/g)) {
    const id = IDENTIFIER.exec(match[1]);
    if (id !== null) add(id[1], id[2]);
  }
  for (const block of section.matchAll(/```mermaid\n([\s\S]*?)```/g)) {
    for (const match of block[1].matchAll(/\b([A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*)\.([a-z]\w*)\b/g)) add(match[1], match[2]);
  }
  return names;
}

const LIBRARY: Readonly<Record<string, unknown>> = { ...core, ...redis };

/** The example's source files (not tests) with their text. */
const SOURCES: ReadonlyArray<readonly [file: string, text: string]> = FILES.filter(
  (file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && !file.startsWith('test/'),
).map((file) => [file, readFileSync(join(EXAMPLE, file), 'utf8')] as const);

/** The example file exporting `name`, and the text of its declaration (to its next export). */
function exampleExport(name: string): { file: string; body: string } | undefined {
  const declaration = new RegExp(`^export (?:abstract )?(?:class|interface|type|function|const) ${name}\\b`, 'm');
  for (const [file, text] of SOURCES) {
    const match = declaration.exec(text);
    if (match === null) continue;
    const next = text.indexOf('\nexport ', match.index + 1);
    return { file, body: text.slice(match.index, next === -1 ? undefined : next) };
  }
  return undefined;
}

/** Whether `body` (a class's source) declares `method`, public or private. */
function declaresMethod(body: string, method: string): boolean {
  return new RegExp(`^\\s+(?:(?:private|protected|public|readonly|static|async|override)\\s+)*${method}\\s*(?:[(<]|=\\s*\\()`, 'm').test(body);
}

/** Problems with the classes `section` names, one string each. */
function classProblems(section: string): string[] {
  const problems: string[] = [];
  for (const [name, methods] of namedClasses(section)) {
    const exported = LIBRARY[name];
    if (typeof exported === 'function') {
      for (const method of methods) {
        if (typeof (exported.prototype as Record<string, unknown>)[method] !== 'function') problems.push(`${name}.${method} is not a method of the library's ${name}`);
      }
      continue;
    }
    // Node's own classes (`Buffer`) are neither the library's nor the example's.
    if (typeof (globalThis as Record<string, unknown>)[name] === 'function' && methods.size === 0) continue;
    const local = exampleExport(name);
    if (local === undefined) {
      problems.push(`${name} is exported neither by logcaster / logcaster/redis nor by a file of the example`);
      continue;
    }
    for (const method of methods) {
      if (!declaresMethod(local.body, method)) problems.push(`${name}.${method} is not declared in ${local.file}`);
    }
  }
  // Each library class is named as `Name` (library, `src/…`), and that file defines it.
  const flat = section.replace(/\s+/g, ' ');
  for (const name of LIBRARY_CLASSES) {
    const mention = new RegExp(`\`${name}(?:\\.\\w+)?\` \\(library, \`([^\`]+)\``).exec(flat);
    if (mention === null) {
      problems.push(`${name} is not named as \`${name}\` (library, \`src/…\`)`);
      continue;
    }
    const file = join(ROOT, mention[1]);
    if (!existsSync(file) || !new RegExp(`^export class ${name}\\b`, 'm').test(readFileSync(file, 'utf8'))) {
      problems.push(`${name} is not defined in ${mention[1]}`);
    }
    if (typeof LIBRARY[name] !== 'function') problems.push(`${name} is not exported by logcaster or logcaster/redis`);
  }
  return problems;
}

describe('the README names files that exist', () => {
  it('finds the paths the README names, in prose, tables, links and diagrams', () => {
    const paths = pathReferences(README).map((ref) => ref.path);
    expect(paths.length).toBeGreaterThan(80);
    for (const known of ['server.ts', 'logs/sources/json-lines.ts', 'docs/web-viewer.png', 'http/page.html', 'src/broker/broker.ts', 'names.ts']) {
      expect(paths).toContain(known);
    }
  });

  it('every path it names exists', () => {
    expect(missingPaths(README)).toEqual([]);
  });

  it('reports a path whose file was renamed, with its line', () => {
    const renamed = README.replace('`logs/render.ts`', '`logs/renderer.ts`');
    expect(missingPaths(renamed)).toEqual([`line ${README.slice(0, README.indexOf('`logs/render.ts`')).split('\n').length}: logs/renderer.ts`]);
  });

  it('reads a bare name in the folder named before it on the line, and nowhere else', () => {
    // `irc/client.ts`, `framer.ts`: framer.ts is irc/framer.ts, so it does not exist at the top.
    expect(missingPaths('| `irc/client.ts`, `framer.ts` |')).toEqual([]);
    expect(missingPaths('| `irc/client.ts`, `render.ts` |')).toEqual(['line 1: render.ts']);
    expect(missingPaths('`logs/`, `render.ts`')).toEqual([]);
  });

  it('checks the file names in a Mermaid diagram', () => {
    expect(missingPaths('```mermaid\nA["x<br/>logs/render.ts"] --> B["y<br/>logs/renders.ts"]\n```')).toEqual(['line 2: logs/renders.ts']);
  });
});

describe('the walkthrough names classes as they are in the code', () => {
  const section = walkthrough(README);

  it('has a walkthrough with both diagrams', () => {
    expect(section).not.toBe('');
    expect(section.match(/```mermaid\n/g)?.length).toBe(2);
    expect(section).toContain('(SendQ exceeded)');
    expect(section).toContain('lines skipped');
  });

  it('names every library class on the path, and the example classes it hands them to', () => {
    const named = [...namedClasses(section).keys()];
    for (const name of LIBRARY_CLASSES) expect(named).toContain(name);
    for (const name of ['ProducerConnection', 'LineSplitter', 'EntryJoiner', 'LogChannelDirectory', 'Client', 'FlushScheduler', 'ViewerConnection']) expect(named).toContain(name);
  });

  it('every class it names is exported where it says, with the methods it names', () => {
    expect(classProblems(section)).toEqual([]);
  });

  it('reports a class or method that is not there', () => {
    expect(classProblems(section.replace('`Router.route`', '`Router.routes`'))).toEqual(["Router.routes is not a method of the library's Router"]);
    expect(classProblems(section.replace('`Client.enqueue`', '`Client.queueLine`'))).toContain('Client.queueLine is not declared in irc/client.ts');
    expect(classProblems(section.replace('`TokenBucket`\n(library, `src/flow/token-bucket.ts`)', '`TokenBucket`\n(library, `src/flow/rate-limiter.ts`)'))).toEqual([
      'TokenBucket is not defined in src/flow/rate-limiter.ts',
    ]);
  });
});

/** The text of the walkthrough's step `n` (from `n. ` to the next step or the end of the list). */
function step(n: number): string {
  const section = walkthrough(README);
  const start = section.indexOf(`\n${n}. **`);
  const end = section.indexOf(`\n${n + 1}. **`, start);
  return section.slice(start, end === -1 ? section.indexOf('\n\n', start + 1) : end).replace(/\s+/g, ' ');
}

/** The JSON line the walkthrough follows, as it quotes it. */
const WALKED_LINE = (/`(\{"level":"error","service":"payments"[^`]*\})`/.exec(walkthrough(README)) ?? [])[1] ?? '';

const running: RunningServer[] = [];
const clients: RawClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  await Promise.all(running.splice(0).map((server) => server.close()));
});

async function serve(): Promise<RunningServer> {
  const server = await startServer({ ircPort: 0, ingestPort: 0, demo: false, colour: false, history: 0 });
  running.push(server);
  return server;
}

async function watcher(server: RunningServer, nick: string, caps: string[]): Promise<RawClient> {
  const client = await RawClient.connect(server.ircPort);
  clients.push(client);
  await client.register(nick, { caps });
  client.send('JOIN #logs-error');
  await client.barrier();
  return client;
}

/** Sends `payload` on one ingest connection, half-closes, and resolves with the reply lines. */
function produce(port: number, payload: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(received.split('\n').filter((line) => line !== '')));
    socket.end(payload);
  });
}

/** Counts the server's `write()` calls to the socket whose peer is `client`, while `body` runs. */
async function countWrites(client: RawClient, body: (writes: () => number) => Promise<void>): Promise<void> {
  const port = client.raw.localPort;
  const original = Socket.prototype.write;
  let writes = 0;
  Socket.prototype.write = function (this: Socket, ...args: Parameters<Socket['write']>) {
    if (this.remotePort === port && this.localPort !== port) writes++;
    return original.apply(this, args);
  } as Socket['write'];
  try {
    await body(() => writes);
  } finally {
    Socket.prototype.write = original;
  }
}

describe('the walkthrough, run', () => {
  it('quotes a line that is valid input', () => {
    expect(JSON.parse(WALKED_LINE)).toMatchObject({ level: 'error', service: 'payments', category: 'DATABASE' });
  });

  it('step 2: the entry is published once on its own topic and once per matching filtered channel, as listed', async () => {
    const server = await serve();
    const listed = [...step(2).matchAll(/`((?:logs|channels)\/[\w/-]+)`/g)].map((m) => m[1]).filter((t) => !t.includes('*'));
    expect(listed).toEqual(['logs/payments/ERROR', 'channels/logs-all', 'channels/logs-error', 'channels/logs-warning']);
    const published: string[] = [];
    server.broker.subscribe('#', (_entry, topic) => void published.push(topic));
    await produce(server.ingestPort ?? 0, `${WALKED_LINE}\n`);
    await until(() => published.length >= listed.length, 5000, 'the publishes');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(published).toEqual(listed);
  });

  it('step 5: a client with server-time gets the quoted bytes with @time=, another the same without', async () => {
    const server = await serve();
    const tagged = await watcher(server, 'ann', ['server-time']);
    const plain = await watcher(server, 'bob', []);
    const quoted = (/`(@time=<[^>]+> [^`]+)`/.exec(step(5)) ?? [])[1] ?? '';
    expect(quoted).toMatch(/^@time=<the entry's ts, ISO 8601> :logcaster!logcaster@logcaster\.local PRIVMSG #logs-error :/);
    const wanted = quoted.replace(/^@time=<[^>]+> /, '');
    const sentAt = Date.now();
    await produce(server.ingestPort ?? 0, `${WALKED_LINE}\n`);
    const line = await tagged.waitFor(/PRIVMSG #logs-error/);
    const [, time, rest] = /^@time=(\S+) (.*)$/.exec(line) ?? [];
    expect(rest).toBe(wanted);
    expect(Math.abs(Date.parse(time) - sentAt)).toBeLessThan(5000); // the entry's ts: "now" when it came without one
    expect(await plain.waitFor(/PRIVMSG #logs-error/)).toBe(wanted);
  });

  it('step 6: a line for an idle client is written inside the publish; the rest of the turn shares one write', async () => {
    const server = await serve();
    const client = await watcher(server, 'ann', []);
    await countWrites(client, async (writes) => {
      const entry = { level: 'ERROR' as const, service: 'payments', category: 'DATABASE', ts: Date.now() };
      server.ingest({ ...entry, message: 'first' });
      expect(writes()).toBe(1); // at once, before this turn ends
      server.ingest({ ...entry, message: 'second' });
      server.ingest({ ...entry, message: 'third' });
      expect(writes()).toBe(1); // waiting for the end of the turn
      await client.waitFor(/: third$/);
      expect(writes()).toBe(2); // both in one write
    });
    expect(client.lines.slice(-3).map((line) => line.split(': ').at(-1))).toEqual(['first', 'second', 'third']);
  });

  it('step 1: a burst of 500 lines is taken, the rest of a flood is refused, counted and summed up for the producer', async () => {
    expect(step(1)).toContain('500 lines of burst, then 200/s');
    const server = await serve();
    const sent = 600;
    const replies = await produce(server.ingestPort ?? 0, `${Array.from({ length: sent }, () => WALKED_LINE).join('\n')}\n`);
    const { summary } = JSON.parse(replies.at(-1) ?? '{}') as { summary: { accepted: number; rateLimited: number } };
    // 500 at once, and whatever 200/s refilled while the lines were read.
    expect(summary.accepted).toBeGreaterThanOrEqual(500);
    expect(summary.accepted).toBeLessThan(sent);
    expect(summary.accepted + summary.rateLimited).toBe(sent);
    expect(server.stats().ingest[0]).toMatchObject({ accepted: summary.accepted, rateLimited: summary.rateLimited });
  });
});
