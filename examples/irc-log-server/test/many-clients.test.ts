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

const BURST = 50;
const CONNECT_BATCH = 100; // stay under the listen backlog
// What the server may keep once every client has gone, measured after a full collection: the
// clients' own buffers and the server's per-client state must all be collectable by then.
const RETAINED_LIMIT_MIB = 16;

const MiB = 1024 * 1024;
/** Heap in use after a full collection (vitest.config.ts runs the tests with --expose-gc). */
function collectedHeap(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('this test needs node --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

let server: RunningServer | undefined;
const clients: RawClient[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await server?.close();
});

const isBurstLine = (line: string): boolean => line.startsWith(':logcaster!logcaster@test.local PRIVMSG #logs-all :[ERROR] burst: line ');

describe(`${CLIENTS} concurrent clients`, () => {
  it(`connect, join, receive a burst, disconnect, and leave the client table, the subscriptions and the heap (within ${RETAINED_LIMIT_MIB} MiB) as they were`, async ({ annotate }) => {
    if (CLIENTS < WANTED) await annotate(`ulimit -n is ${raw}: ${CLIENTS} clients instead of ${WANTED}`);
    const s = await startServer({ serverName: 'test.local', ircPort: 0, ingestPort: null, demo: false, colour: false, maxClientsPerIp: 10_000 });
    server = s;
    const heapBefore = collectedHeap();

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
    // The closed clients are dropped too, so only what the server holds on to can remain.
    clients.length = 0;
    const retained = collectedHeap() - heapBefore;
    await annotate(
      `${CLIENTS} clients: heap ${((heapConnected - heapBefore) / MiB).toFixed(1)} MiB more while connected (both ends in one process), ` +
        `${(retained / MiB).toFixed(1)} MiB once they left (after GC); ${stats.linesDelivered} lines delivered`,
    );
    expect(retained / MiB).toBeLessThan(RETAINED_LIMIT_MIB);
  });
});
