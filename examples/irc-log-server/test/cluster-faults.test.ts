/**
 * A node when its real redis-server goes away (stopped by the test): it refuses nicks it
 * cannot confirm, says that Redis is unreachable once and then at a slow interval until it is
 * back, and on SIGTERM exits within the shutdown grace, saying how many messages it could not
 * send. ioredis never gets to print "Unhandled error event".
 */
import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeWithRedis, startRedisServer, type RedisServer } from '../../../test/helpers/redis-server.js';
import { allOutput, killNodesAfterEach, startNode, type NodeProcess } from './node-process.js';
import { RawClient, until } from './raw-client.js';

const clients: RawClient[] = [];
killNodesAfterEach();
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
});

function node(name: string, redis: RedisServer, extra: string[] = []): Promise<NodeProcess> {
  return startNode(name, ['--irc-port', '0', '--ingest-port', '0', '--http-port', 'off', '--no-demo', '--redis', redis.url, ...extra]);
}

/** Lines of `output` that match `pattern`. */
function linesMatching(output: string, pattern: RegExp): string[] {
  return output.split('\n').filter((line) => pattern.test(line));
}

function sendEntries(port: number, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const lines = Array.from({ length: count }, (_, i) => JSON.stringify({ level: 'error', service: 'api', message: `while redis is away ${i}` }));
    const socket = connect(port, '127.0.0.1', () => socket.end(`${lines.join('\n')}\n`));
    socket.once('error', reject);
    socket.once('close', () => resolve());
  });
}

describeWithRedis('a node whose Redis goes away', (binary) => {
  let redis: RedisServer;
  let redisUp = true;
  beforeAll(async () => {
    redis = await startRedisServer(binary);
  });
  afterEach(async () => {
    if (!redisUp) await redis.start();
    redisUp = true;
  });
  afterAll(async () => {
    await redis.close();
  });
  const stopRedis = async (): Promise<void> => {
    redisUp = false;
    await redis.stop();
  };
  const startRedis = async (): Promise<void> => {
    await redis.start();
    redisUp = true;
  };

  it('refuses a nick it cannot confirm with the other nodes, and takes it once Redis is back', async () => {
    const a = await node('a.test', redis);
    try {
      await stopRedis();
      await until(() => a.output().includes('unreachable'), 5000, 'the node to notice');
      const early = await RawClient.connect(a.ready.ircPort);
      clients.push(early);
      early.send('NICK carol', 'USER c 0 * :carol');
      expect(await early.waitFor(/ 433 /)).toBe(':a.test 433 * carol :Nickname could not be confirmed with the other nodes (Redis unreachable); try again');
      expect(early.lines.some((line) => / 001 /.test(line))).toBe(false);

      await startRedis();
      await until(() => a.output().includes('reachable again'), 10_000, 'the node to reconnect');
      early.send('NICK carol');
      expect(await early.waitFor(/ 001 /)).toMatch(/^:a\.test 001 carol /);
      expect(a.output()).not.toContain('Unhandled error event');
    } catch (error) {
      console.error(allOutput());
      throw error;
    }
  }, 40_000);

  it('exits on SIGTERM within the shutdown grace, saying once what it could not send', async () => {
    const a = await node('a.test', redis);
    try {
      const watcher = await RawClient.connect(a.ready.ircPort);
      clients.push(watcher);
      await watcher.register('watcher');
      watcher.send('JOIN #logs-error');
      await watcher.barrier();
      await stopRedis();
      await until(() => a.output().includes('unreachable'), 5000, 'the node to notice');
      // Each ERROR entry is 4 publishes (its topic, #logs-all, -error, -warning), all waiting now.
      await sendEntries(a.ready.ingestPort ?? 0, 5);
      await until(() => watcher.lines.filter((line) => line.includes('while redis is away')).length === 5, 5000, 'local delivery');

      const before = a.output().length;
      const signalled = Date.now();
      a.child.kill('SIGTERM');
      const code = await a.exited;
      const tookMs = Date.now() - signalled;
      const shutdown = a.output().slice(before);
      expect(code).toBe(0);
      expect(tookMs).toBeLessThan(5000);
      const said = linesMatching(shutdown, /redis/);
      expect(said).toHaveLength(1);
      const unsent = /unreachable at shutdown: (\d+) messages for the other nodes/.exec(said[0]);
      expect(unsent).not.toBeNull();
      expect(Number(unsent?.[1])).toBeGreaterThanOrEqual(20);
      expect(a.output()).not.toContain('Unhandled error event');
      expect(watcher.lines.at(-1)).toBe('ERROR :Closing Link: 127.0.0.1 (Server shutting down)');
    } catch (error) {
      console.error(allOutput());
      throw error;
    }
  }, 40_000);

  it('says at a slow interval that Redis is unreachable while it is, and once that it is back', async () => {
    await stopRedis();
    const a = await node('a.test', redis, ['--redis-notice-ms', '400']);
    try {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const first = linesMatching(a.output(), /redis: \S+ unreachable( \(.*\))?; serving this node's clients alone/);
      expect(first).toHaveLength(1);
      expect(linesMatching(a.output(), /still unreachable after \d+ s/).length).toBeGreaterThanOrEqual(5);

      await startRedis();
      await until(() => a.output().includes('reachable again'), 10_000, 'the node to reconnect');
      const atReturn = linesMatching(a.output(), /still unreachable/).length;
      await new Promise((resolve) => setTimeout(resolve, 1200));
      expect(linesMatching(a.output(), /still unreachable/)).toHaveLength(atReturn);
      expect(linesMatching(a.output(), /reachable again after \d+ s/)).toHaveLength(1);
      // And it works: a nick is claimed, a client registers.
      const late = await RawClient.connect(a.ready.ircPort);
      clients.push(late);
      expect((await late.register('late'))[0]).toMatch(/^:a\.test 001 late /);
      expect(a.output()).not.toContain('Unhandled error event');
    } catch (error) {
      console.error(allOutput());
      throw error;
    }
  }, 40_000);
});
