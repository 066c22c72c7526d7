/**
 * A real redis-server for the tests: started on 127.0.0.1 with a free port and a fresh temp
 * dir, no persistence, stopped by its own pid (and killed if the test process exits first).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Redis as Redis6 } from 'ioredis';
import { Redis as Redis5 } from 'ioredis5';
import { describe, it } from 'vitest';

/** Where redis-server is, or undefined when it is not installed. */
export function findRedisServer(): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).concat(['/usr/bin', '/usr/local/bin', '/usr/sbin']);
  for (const dir of dirs) {
    if (dir === '') continue;
    const candidate = join(dir, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory: try the next one.
    }
  }
  return undefined;
}

const INSTALL_HINT = 'redis-server is not installed: `apt-get install -y redis-server` (Debian/Ubuntu) to run these tests';

/**
 * `describe` for tests that need redis-server: skipped with a message when it is missing,
 * or failing when LOGCASTER_REQUIRE_REDIS=1 (CI).
 */
export function describeWithRedis(name: string, body: (binary: string) => void): void {
  const binary = findRedisServer();
  if (binary !== undefined) {
    describe(name, () => body(binary));
    return;
  }
  if (process.env.LOGCASTER_REQUIRE_REDIS === '1') {
    describe(name, () => {
      it('needs redis-server (LOGCASTER_REQUIRE_REDIS=1)', () => {
        throw new Error(`${INSTALL_HINT}; LOGCASTER_REQUIRE_REDIS=1 makes this a failure`);
      });
    });
    return;
  }
  console.warn(`[skip] ${name}: ${INSTALL_HINT}`);
  describe.skip(name, () => body('redis-server'));
}

/** A free TCP port on 127.0.0.1 (listen on port 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port'))));
    });
  });
}

/** Sends one inline command and resolves with the first reply line (or rejects). */
function ask(port: number, command: string, timeoutMs = 500): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply to ${command}`));
    }, timeoutMs);
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      const end = reply.indexOf('\r\n');
      if (end !== -1) {
        clearTimeout(timer);
        socket.end();
        resolve(reply.slice(0, end));
      }
    });
    socket.write(`${command}\r\n`);
  });
}

/** A running redis-server owned by the test. */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:port` */
  readonly url: string;
  /** The server's pid (undefined while stopped). */
  readonly pid: number | undefined;
  /** Stops the server (SIGTERM, then SIGKILL after 2 s) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port (after `stop`). */
  start(): Promise<void>;
  /** Stops it for good and removes its temp dir. */
  close(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHook = false;

function killAllOnExit(): void {
  if (exitHook) return;
  exitHook = true;
  // If the test process dies without running afterAll, its servers must not outlive it.
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/** Starts redis-server on a free port; resolves once it answers PING. */
export async function startRedisServer(binary = findRedisServer() ?? 'redis-server'): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'logcaster-redis-'));
  let child: ChildProcess | undefined;
  killAllOnExit();

  const launch = async (): Promise<void> => {
    const args = ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'];
    args.push('--dir', dir, '--daemonize', 'no', '--loglevel', 'warning', '--logfile', join(dir, 'redis.log'));
    const started = spawn(binary, args, { stdio: 'ignore', detached: false });
    child = started;
    live.add(started);
    let exited = false;
    started.once('exit', () => {
      exited = true;
      live.delete(started);
    });
    const deadline = Date.now() + 5000;
    for (;;) {
      if (exited) throw new Error(`redis-server exited at start (see ${join(dir, 'redis.log')})`);
      try {
        if ((await ask(port, 'PING')) === '+PONG') return;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) throw new Error(`redis-server did not answer PING on port ${port}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGTERM');
    const timer = setTimeout(() => running.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  };

  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.pid;
    },
    stop,
    start: launch,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The ioredis constructor, typed as ioredis 6's (ioredis 5 has the same surface for the tests). */
export type RedisClientClass = typeof Redis6;

/**
 * Both ioredis majors the bridges support (`ioredis` is 6, `ioredis5` an npm alias of 5): the
 * Redis tests run once per client, since their replies differ (RESP2 vs RESP3 shapes).
 */
export const REDIS_CLIENTS: ReadonlyArray<{ name: string; Redis: RedisClientClass }> = [
  { name: 'ioredis 5', Redis: Redis5 as unknown as RedisClientClass },
  { name: 'ioredis 6', Redis: Redis6 },
];
