/**
 * The web viewer under hostile load: one address cannot take every stream slot, slowloris
 * sockets are closed once the headers timeout passes, password guesses are refused (429) after
 * a few, and bidi controls never reach the stream. Several hosts are played by binding the
 * client sockets to 127.0.0.x (all loopback on Linux).
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SseTestClient } from '../http/sse-test-client.js';
import { startServer, type RunningServer } from '../server.js';
import { until } from './raw-client.js';

const running: RunningServer[] = [];
const clients: SseTestClient[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function viewer(overrides: Parameters<typeof startServer>[0] = {}): Promise<RunningServer> {
  const server = await startServer({ serverName: 'test.local', ircPort: 0, ingestPort: null, httpPort: 0, demo: false, ...overrides });
  running.push(server);
  return server;
}

/** Opens a stream and waits for its status line. */
async function stream(port: number, path: string, from = '127.0.0.1'): Promise<SseTestClient> {
  const client = await SseTestClient.open(port, path, {}, from);
  clients.push(client);
  await client.until(() => client.status !== 0, 5000, 'the status line');
  return client;
}

const EVENTS = '/events?channel=%23logs-all';

describe('the web viewer under hostile load', () => {
  it('refuses streams past --http-max-per-address from one address (503) and takes other addresses', async () => {
    const server = await viewer({ httpMaxStreamsPerAddress: 3 });
    const port = server.httpPort ?? 0;
    const mine = await Promise.all([1, 2, 3].map(() => stream(port, EVENTS)));
    expect(mine.map((c) => c.status)).toEqual([200, 200, 200]);
    const fourth = await stream(port, EVENTS);
    expect(fourth.status).toBe(503);
    await fourth.until(() => fourth.body.includes('\n'), 5000, 'the body');
    expect(fourth.body).toContain('too many streams from your address (limit 3)');
    expect((await stream(port, EVENTS, '127.0.0.2')).status).toBe(200);
    // A closed stream gives its slot back.
    mine[0].close();
    await until(() => server.web?.stats().viewers === 3, 5000, 'the closed stream to end');
    expect((await stream(port, EVENTS)).status).toBe(200);
    expect(server.web?.stats().refused).toBe(1);
  });

  it('closes slowloris sockets that trickle their headers once --http-headers-timeout has passed', async () => {
    const server = await viewer({ httpHeadersTimeoutMs: 1000 });
    const port = server.httpPort ?? 0;
    // A stream is a long response, not a long request: the bound must not end it.
    const watcher = await stream(port, EVENTS);
    let watcherClosed = false;
    void watcher.closed.then(() => (watcherClosed = true));
    const started = Date.now();
    const closed = await Promise.all(
      Array.from({ length: 30 }, () =>
        new Promise<Socket>((resolve) => {
          const socket = connect({ host: '127.0.0.1', port }, () => socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n'));
          sockets.push(socket);
          socket.on('error', () => undefined);
          // One more header byte every 200 ms: never idle, never done.
          const drip = setInterval(() => socket.write('X'), 200);
          socket.once('close', () => {
            clearInterval(drip);
            resolve(socket);
          });
        }),
      ),
    );
    expect(closed).toHaveLength(30);
    // Node's default would hold them for 60 s or more; here the bound plus its check interval.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(watcherClosed).toBe(false);
    server.ingest({ level: 'INFO', service: 'api', category: 'GENERAL', message: 'still streaming', ts: 0 });
    await watcher.until(() => watcher.ofType('entry').length === 1, 5000, 'an entry after the slowloris sockets closed');
  });

  it('answers 429 to an address after --password-attempts wrong ?token= guesses, even for the right one, and not to others', async () => {
    const server = await viewer({ password: 's3cret', passwordAttempts: 5, passwordRetryMs: 60_000 });
    const port = server.httpPort ?? 0;
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await stream(port, `${EVENTS}&token=guess${i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429, 429, 429, 429, 429]);
    expect((await stream(port, `${EVENTS}&token=s3cret`)).status).toBe(429);
    expect((await stream(port, `${EVENTS}&token=s3cret`, '127.0.0.2')).status).toBe(200);
    // A first visit without a password is not a guess: the browser gets its prompt.
    expect((await stream(port, EVENTS, '127.0.0.3')).status).toBe(401);
    expect((await stream(port, `${EVENTS}&token=s3cret`, '127.0.0.3')).status).toBe(200);
    expect(server.web?.stats()).toMatchObject({ locked: 8, unauthorized: 6 });
  });

  it('removes bidi controls from the stream itself, so a terminal or script shows what a line says', async () => {
    const server = await viewer();
    const client = await stream(server.httpPort ?? 0, EVENTS);
    await client.until(() => client.ofType('hello').length === 1, 5000, 'hello');
    server.ingest({ level: 'ERROR', service: 'api\u202E', category: 'GENERAL', message: 'login failed for \u202Enimda\u2066x\u2069\u200F\nnext line', ts: 0 });
    await client.until(() => client.ofType('entry').length === 1, 5000, 'the entry');
    const entry = JSON.parse(client.ofType('entry')[0].data) as { service: string; message: string };
    expect(entry).toMatchObject({ service: 'api', message: 'login failed for nimdax\nnext line' });
    expect(client.body).not.toMatch(/[\u202A-\u202E\u2066-\u2069\u200E\u200F]|\\u202[a-e]/i);
  });
});
