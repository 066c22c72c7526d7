import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { RawClient } from './raw-client.js';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));

interface Ready {
  type: 'ready';
  ircPort: number;
  ingestPort: number | null;
}

let child: ChildProcess | undefined;
afterEach(() => {
  if (child !== undefined && child.exitCode === null && child.pid !== undefined) child.kill('SIGKILL');
  child = undefined;
});

const REPORT_LOADED = fileURLToPath(new URL('./fixtures/report-loaded.mjs', import.meta.url));

function start(
  args: string[],
  preload: string[] = [],
): { process: ChildProcess; ready: Promise<Ready>; exited: Promise<number | null>; output: () => string } {
  const execArgv = ['--import', 'tsx', ...preload.flatMap((file) => ['--import', file])];
  const spawned = fork(MAIN, args, { execArgv, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  child = spawned;
  let output = '';
  spawned.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  spawned.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => spawned.once('exit', (code) => resolve(code)));
  const ready = new Promise<Ready>((resolve, reject) => {
    spawned.once('message', (message) => resolve(message as Ready));
    void exited.then((code) => reject(new Error(`exited with ${String(code)} before it was ready: ${output}`)));
  });
  // Only the tests that expect a server await `ready`; the others must not see it as unhandled.
  ready.catch(() => undefined);
  return { process: spawned, ready, exited, output: () => output };
}

describe('npm run demo (main.ts)', () => {
  it('prints how to connect, serves IRC, and shuts down gracefully when its parent disconnects', async () => {
    const run = start(['--irc-port', '0', '--ingest-port', 'off', '--http-port', '0', '--no-demo', '--server-name', 'main.test']);
    const { ircPort, ingestPort } = await run.ready;
    expect(ingestPort).toBeNull();
    expect(run.output()).toMatch(/irssi -c 127\.0\.0\.1 -p \d+/);
    expect(run.output()).toMatch(/\/join #logs-all/);
    expect(run.output()).toMatch(/Watch in a browser: http:\/\/127\.0\.0\.1:\d+\//);

    const c = await RawClient.connect(ircPort);
    const lines = await c.register('main');
    expect(lines[0]).toBe(':main.test 001 main :Welcome to the logcaster IRC network main!~main@127.0.0.1');
    run.process.disconnect();
    await c.closed;
    expect(c.lines.at(-1)).toBe('ERROR :Closing Link: 127.0.0.1 (Server shutting down)');
    expect(await run.exited).toBe(0);
  });

  it('does not load ioredis unless --redis asks for it (it adds ~15 MiB of RSS)', async () => {
    const run = start(['--irc-port', '0', '--ingest-port', '0', '--http-port', 'off', '--no-demo', '--history', '50'], [REPORT_LOADED]);
    await run.ready;
    const loaded = new Promise<string[]>((resolve) =>
      run.process.on('message', (message: { type?: string; ids?: string[] }) => {
        if (message.type === 'loaded-modules') resolve(message.ids ?? []);
      }),
    );
    run.process.send({ type: 'loaded-modules' });
    const ids = await loaded;
    // The check can see CommonJS modules at all: eventemitter3 (the library's events) is one.
    expect(ids.some((id) => id.includes('/node_modules/eventemitter3/'))).toBe(true);
    expect(ids.filter((id) => id.includes('/node_modules/ioredis/'))).toEqual([]);
    run.process.disconnect();
    expect(await run.exited).toBe(0);
  });

  it('prints the options with --help, and refuses a bad flag with exit code 2', async () => {
    const help = start(['--help']);
    expect(await help.exited).toBe(0);
    expect(help.output()).toContain('--irc-port <port>');
    const bad = start(['--irc-port', 'nope']);
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toContain('--irc-port must be a number');
  });
});
