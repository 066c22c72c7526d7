/**
 * With --redis, the join backlog of the filtered channels comes from Redis Streams: a node
 * started after the lines were logged on another node shows the same last lines.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeWithRedis, startRedisServer, type RedisServer } from '../../../test/helpers/redis-server.js';
import { startServer, type RunningServer } from '../server.js';
import { RawClient } from './raw-client.js';

const running: RunningServer[] = [];
const clients: RawClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(running.splice(0).map((s) => s.close()));
});

const BASE = Date.UTC(2026, 10, 29, 21, 0, 0);

describeWithRedis('history on join across nodes', (binary) => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer(binary);
  });
  afterAll(async () => {
    await redis.close();
  });

  it('shows a node started later the last errors logged on another node, in a chathistory batch, then live lines', async () => {
    const common = { ircPort: 0, ingestPort: null, demo: false, colour: false, history: 3, redis: redis.url } as const;
    const a = await startServer({ ...common, serverName: 'a.test' });
    running.push(a);
    for (let i = 0; i < 6; i++) a.ingest({ level: i % 2 === 0 ? 'ERROR' : 'INFO', service: 'api', category: 'GENERAL', message: `on A #${i}`, ts: BASE + i * 1000 });

    // Node A appends without waiting: wait until its 12 stream entries are in Redis (3 ERRORs on
    // logs-all, logs-warning and logs-error, 3 INFOs on logs-all).
    const probe = new Redis(redis.url);
    const stored = async (): Promise<number> => {
      let total = 0;
      for (const key of await probe.keys('logcaster-history:stream:*')) total += await probe.xlen(key);
      return total;
    };
    const deadline = Date.now() + 5000;
    while ((await stored()) < 12) {
      if (Date.now() > deadline) throw new Error('the entries never reached the stream');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await probe.quit();

    const b = await startServer({ ...common, serverName: 'b.test' });
    running.push(b);
    const c = await RawClient.connect(b.ircPort);
    clients.push(c);
    await c.register('late', { caps: ['batch', 'server-time'] });
    c.send('JOIN #logs-error');
    await c.waitFor(/^:b\.test BATCH -/);
    const replay = c.lines.slice(c.lines.findIndex((l) => l.startsWith(':b.test BATCH +')));
    const ref = /BATCH \+(\S+) chathistory #logs-error$/.exec(replay[0])?.[1];
    expect(ref).toBeDefined();
    expect(replay.slice(1, 5)).toEqual([
      `@batch=${ref};time=2026-11-29T21:00:00.000Z :logcaster!logcaster@b.test PRIVMSG #logs-error :[ERROR] api: on A #0`,
      `@batch=${ref};time=2026-11-29T21:00:02.000Z :logcaster!logcaster@b.test PRIVMSG #logs-error :[ERROR] api: on A #2`,
      `@batch=${ref};time=2026-11-29T21:00:04.000Z :logcaster!logcaster@b.test PRIVMSG #logs-error :[ERROR] api: on A #4`,
      `:b.test BATCH -${ref}`,
    ]);
    // Node B's own memory had none of them: they came from the stream.
    expect(b.stats().history.replayed).toBe(3);
    b.ingest({ level: 'FATAL', service: 'api', category: 'GENERAL', message: 'live on B', ts: BASE + 10_000 });
    expect(await c.waitFor(/live on B/)).toBe('@time=2026-11-29T21:00:10.000Z :logcaster!logcaster@b.test PRIVMSG #logs-error :[FATAL] api: live on B');
  });

  it('holds live lines that arrive while the backlog is read, and shows them once, after it', async () => {
    const server = await startServer({ ircPort: 0, ingestPort: null, demo: false, colour: false, history: 5, redis: redis.url, serverName: 'c.test' });
    running.push(server);
    server.ingest({ level: 'ERROR', service: 'api', category: 'GENERAL', message: 'before', ts: BASE });
    const c = await RawClient.connect(server.ircPort);
    clients.push(c);
    await c.register('joiner', { caps: ['batch'] });
    const probe = new Redis(redis.url);
    // Redis answers nobody for 300 ms: the backlog read waits, live lines keep coming.
    await probe.call('CLIENT', 'PAUSE', '300', 'ALL');
    c.send('JOIN #logs-error');
    await c.waitFor(/ 366 joiner #logs-error /);
    server.ingest({ level: 'ERROR', service: 'api', category: 'GENERAL', message: 'during', ts: BASE + 1000 });
    await c.waitFor(/during/);
    await probe.quit();
    const shown = c.lines.filter((l) => / PRIVMSG #logs-error /.test(l) || / BATCH /.test(l)).map((l) => l.replace(/^@\S+ /, '').replace(/^:\S+ /, ''));
    // (The stream also holds the first test's lines: same Redis.)
    const end = shown.findIndex((l) => l.startsWith('BATCH -'));
    expect(shown[0]).toMatch(/^BATCH \+\S+ chathistory #logs-error$/);
    expect(shown[end - 1]).toBe('PRIVMSG #logs-error :[history 21:00:00Z] [ERROR] api: before');
    expect(shown.slice(end + 1)).toEqual(['PRIVMSG #logs-error :[ERROR] api: during']);
  });
});
