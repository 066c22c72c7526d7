/**
 * A real redis-server for the tests: started on 127.0.0.1 with a free port and a fresh temp
 * dir, no persistence, stopped by its own pid (and killed if the test process dies first).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis as Redis6 } from 'ioredis';
import { Redis as Redis5 } from 'ioredis5';
import { describe, it } from 'vitest';
import { findBinary, spawnServer, stopChild, succeeds, waitUntil } from './processes.js';

/** Where redis-server is, or undefined when it is not installed. */
export function findRedisServer(): string | undefined {
  return findBinary('redis-server');
}

/**
 * `describe` for tests that need a server binary: skipped with a message when it is missing,
 * or failing when the environment variable `require` is `1` (CI).
 */
export function describeWithBinary(
  binary: string | undefined,
  require: string,
  hint: string,
  name: string,
  body: (binary: string) => void,
): void {
  if (binary !== undefined) {
    describe(name, () => body(binary));
    return;
  }
  if (process.env[require] === '1') {
    describe(name, () => {
      it(`needs its server (${require}=1)`, () => {
        throw new Error(`${hint}; ${require}=1 makes this a failure`);
      });
    });
    return;
  }
  console.warn(`[skip] ${name}: ${hint}`);
  describe.skip(name, () => body(''));
}

const INSTALL_HINT = 'redis-server is not installed: `apt-get install -y redis-server` (Debian/Ubuntu) to run these tests';

/**
 * `describe` for tests that need redis-server: skipped with a message when it is missing,
 * or failing when LOGCASTER_REQUIRE_REDIS=1 (CI).
 */
export function describeWithRedis(name: string, body: (binary: string) => void): void {
  describeWithBinary(findRedisServer(), 'LOGCASTER_REQUIRE_REDIS', INSTALL_HINT, name, body);
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

/** Sends one inline command to 127.0.0.1:`port` and resolves with the whole first reply chunk (or rejects). */
export function redisCommand(port: number, command: string, timeoutMs = 500): Promise<string> {
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
      // A simple reply ends at its first CRLF; a bulk one ($n) after its n bytes.
      const end = reply.indexOf('\r\n');
      if (end === -1) return;
      if (reply[0] === '$') {
        const length = Number(reply.slice(1, end));
        if (length >= 0 && Buffer.byteLength(reply) < end + 2 + length + 2) return;
      }
      clearTimeout(timer);
      socket.end();
      resolve(reply[0] === '$' ? reply.slice(end + 2, reply.length - 2) : reply.slice(0, end));
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
  /** Stops the server (`signal`, SIGTERM by default; then SIGKILL after 2 s) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and dir (after `stop`). */
  start(): Promise<void>;
  /** Stops it for good and removes its temp dir. */
  close(): Promise<void>;
}

/** Starts redis-server on a free port (with `args` added to its command line); resolves once it answers PING. */
export async function startRedisServer(
  binary = findRedisServer() ?? 'redis-server',
  args: (dir: string) => string[] = () => [],
): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'logcaster-redis-'));
  let child: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    const base = ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'];
    base.push('--dir', dir, '--daemonize', 'no', '--loglevel', 'warning', '--logfile', join(dir, 'redis.log'));
    const started = spawnServer(binary, [...base, ...args(dir)]);
    child = started;
    let gone = false;
    started.once('exit', () => (gone = true));
    await waitUntil(`redis-server to answer PING on port ${port}`, async () => {
      if (gone) throw new Error(`redis-server exited at start (see ${join(dir, 'redis.log')})`);
      return succeeds(async () => (await redisCommand(port, 'PING')) === '+PONG');
    });
  };

  const stop = async (signal?: NodeJS.Signals): Promise<void> => {
    const running = child;
    child = undefined;
    if (running !== undefined) await stopChild(running, signal);
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
