import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../server.js';
import { RawClient, until } from './raw-client.js';

// The network topics every node subscribes to (chat/channels/*, chat/users/*, chat/state: cluster/network-bus.ts).
const CHAT_TOPICS = 3;

// Each client costs two file descriptors in this process (its socket and the server's end).
// `ulimit -n` is checked first: with fewer than ~2,200 descriptors the test runs with as many
// clients as fit and says so (CI runners and this machine have far more: 65,536 / 20,000).
const WANTED = 1000;
const raw = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
const limit = raw === 'unlimited' ? Infinity : Number(raw);
const CLIENTS = Math.max(10, Math.min(WANTED, Math.floor((limit - 200) / 2)));
if (CLIENTS < WANTED) console.warn(`ulimit -n is ${raw}: running the many-clients test with ${CLIENTS} clients instead of ${WANTED}`);

const BURST = 50;
const CONNECT_BATCH = 100; // stay under the listen backlog

let server: RunningServer | undefined;
const clients: RawClient[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await server?.close();
});

const isBurstLine = (line: string): boolean => line.startsWith(':logcaster!logcaster@test.local PRIVMSG #logs-all :[ERROR] burst: line ');

describe(`${CLIENTS} concurrent clients`, () => {
  it('connect, join, receive a burst, disconnect, and leave the client table and subscriptions empty', async () => {
    const s = await startServer({ serverName: 'test.local', ircPort: 0, ingestPort: null, demo: false, colour: false, maxClientsPerIp: 10_000 });
    server = s;
    const heapBefore = process.memoryUsage().heapUsed;

    for (let start = 0; start < CLIENTS; start += CONNECT_BATCH) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(CONNECT_BATCH, CLIENTS - start) }, async (_, k) => {
          const nick = `c${start + k}`;
          const c = await RawClient.connect(s.ircPort);
          c.send(`NICK ${nick}`, `USER ${nick} 0 * :many`, 'JOIN #logs-all');
          await c.waitFor(new RegExp(`^:test.local 366 ${nick} #logs-all `), 10_000);
          return c;
        }),
      );
      clients.push(...batch);
    }
    let stats = s.stats();
    expect(stats.clients).toBe(CLIENTS);
    expect(stats.registered).toBe(CLIENTS);
    expect(stats.brokerSubscriptions).toBe(1 + CHAT_TOPICS);

    const received = clients.map((c) => c.waitFor((line) => line.endsWith(` line ${BURST - 1}`), 10_000));
    for (let i = 0; i < BURST; i++) s.ingest({ level: 'ERROR', service: 'burst', category: 'GENERAL', message: `line ${i}`, ts: Date.UTC(2026, 0, 1) + i });
    await Promise.all(received);
    for (const c of clients) {
      expect(c.lines.filter(isBurstLine).map((line) => Number(line.slice(line.lastIndexOf(' ') + 1)))).toEqual(Array.from({ length: BURST }, (_, i) => i));
    }
    stats = s.stats();
    expect(stats.linesDelivered).toBe(CLIENTS * BURST);
    expect(stats.linesDropped).toBe(0);
    const heapConnected = process.memoryUsage().heapUsed;

    // Half say QUIT, half just vanish.
    await Promise.all(
      clients.map((c, i) => {
        if (i % 2 === 0) {
          c.send('QUIT :bye');
          return c.closed;
        }
        return c.close();
      }),
    );
    await until(() => s.stats().clients === 0, 10_000, 'the client table to empty');
    stats = s.stats();
    expect(stats.clients).toBe(0);
    expect(stats.brokerSubscriptions).toBe(CHAT_TOPICS);
    expect(stats.channels).toBe(0);
    expect(stats.sendQBytes).toBe(0);
    console.log(
      `${CLIENTS} clients: heap ${((heapConnected - heapBefore) / 1024 / 1024).toFixed(1)} MiB more while connected (both ends in one process), ${stats.linesDelivered} lines delivered`,
    );
  });
});
