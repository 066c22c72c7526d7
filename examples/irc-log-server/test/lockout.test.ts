/**
 * No lock-outs: idle or silent sockets cannot hold the slots real producers and people need.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../server.js';
import { RawClient, until } from './raw-client.js';

const running: RunningServer[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(running.splice(0).map((s) => s.close()));
});

/** An open socket that never writes, with everything it received. */
function idle(port: number, localAddress = '127.0.0.1'): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    sockets.push(socket);
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.on('error', () => undefined);
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.once('connect', () => resolve({ socket, received: () => received, closed }));
    socket.once('error', reject);
  });
}

function entry(message: string): string {
  return `${JSON.stringify({ level: 'error', service: 'real', message })}\n`;
}

describe('the ingest port', () => {
  it('is not locked by 256 silent sockets from 4 addresses: 16 per address, closed when they send nothing', async () => {
    // The idle timeout stays at its 60 s default: the first-byte timeout is what frees the slots.
    // 3 s, so none of them is closed before all 256 are open, on a loaded machine too.
    const server = await startServer({ serverName: 'test.local', ircPort: 0, ingestPort: 0, demo: false, ingestFirstByteTimeoutMs: 3000 });
    running.push(server);
    const port = server.ingestPort ?? 0;
    const from = (i: number): string => `127.0.0.${1 + (i % 4)}`;
    const silent = await Promise.all(Array.from({ length: 256 }, (_, i) => idle(port, from(i))));
    await until(() => server.stats().ingest[0].refusedConnections === 256 - 4 * 16, 5000, 'the refusals');
    expect(server.stats().ingest[0].connections).toBe(64);

    // Another producer gets in while all of them are still open.
    const other = await idle(port, '127.0.0.5');
    other.socket.write(entry('from another host'));
    await until(() => server.stats().linesIn === 1, 5000, 'the other host entry');

    // The silent ones are closed with their summary, long before the idle timeout.
    await Promise.all(silent.filter((s) => !s.received().includes('too many')).map((s) => s.closed));
    const summaries = silent.map((s) => s.received()).filter((text) => text.includes('"summary"'));
    expect(summaries).toHaveLength(64);
    expect(JSON.parse(summaries[0])).toEqual({
      ok: true,
      summary: { lines: 0, accepted: 0, rateLimited: 0, rejected: 0, unauthorised: 0 },
      closed: 'sent nothing for 3000 ms',
    });
    expect(server.stats().ingest[0].idleClosed).toBe(64);

    // Renewing them gets the same 16 per address: there is room for producers again.
    const renewed = await Promise.all(Array.from({ length: 256 }, (_, i) => idle(port, from(i))));
    await until(() => server.stats().ingest[0].refusedConnections === 2 * 192, 5000, 'the second refusals');
    const real = await idle(port, '127.0.0.6');
    real.socket.write(entry('a real producer'));
    await until(() => server.stats().linesIn === 2, 5000, 'the real producer entry');
    for (const s of renewed) s.socket.destroy();
  });

  it('refuses an address after --password-attempts wrong producer tokens, even with the right one, and not others', async () => {
    const server = await startServer({ serverName: 'test.local', ircPort: 0, ingestPort: 0, demo: false, producerToken: 't0ken', passwordAttempts: 3, passwordRetryMs: 60_000 });
    running.push(server);
    const port = server.ingestPort ?? 0;
    const attempt = async (token: string, from = '127.0.0.1'): Promise<string> => {
      const s = await idle(port, from);
      s.socket.write(`${JSON.stringify({ token })}\n${entry(`with ${token}`)}`);
      await s.closed;
      return s.received();
    };
    const replies: string[] = [];
    for (let i = 0; i < 6; i++) replies.push(await attempt(`guess${i}`));
    expect(replies.map((r) => (JSON.parse(r.split('\n')[0]) as { error: string }).error.split(':')[0])).toEqual([
      'authentication required',
      'authentication required',
      'authentication required',
      'too many failed token attempts from your address',
      'too many failed token attempts from your address',
      'too many failed token attempts from your address',
    ]);
    expect(await attempt('t0ken')).toContain('too many failed token attempts');
    // Another address with the right token is taken.
    const other = await idle(port, '127.0.0.2');
    other.socket.end(`${JSON.stringify({ token: 't0ken' })}\n${entry('from another host')}`);
    await until(() => server.stats().linesIn === 1, 5000, 'the other host entry');
    expect(server.stats().linesIn).toBe(1);
  });

  it('shares one rate budget between the connections of an address with --ingest-rate-scope address', async () => {
    const count = async (scope: 'connection' | 'address'): Promise<number> => {
      const server = await startServer({ serverName: 'test.local', ircPort: 0, ingestPort: 0, demo: false, ingestRateScope: scope, history: 0 });
      running.push(server);
      const a = await idle(server.ingestPort ?? 0);
      const b = await idle(server.ingestPort ?? 0);
      const burst = Array.from({ length: 400 }, (_, i) => entry(`m${i}`)).join('');
      a.socket.end(burst);
      b.socket.end(burst);
      await Promise.all([a.closed, b.closed]);
      return server.stats().ingest[0].accepted;
    };
    // The default burst is 500 lines; refill during the test adds a few.
    expect(await count('connection')).toBe(800);
    const shared = await count('address');
    expect(shared).toBeGreaterThanOrEqual(500);
    expect(shared).toBeLessThan(700);
  });
});

describe('the IRC port', () => {
  it('drops unregistered sockets after the registration timeout, so 200 silent ones cannot hold --max-clients 200', async () => {
    const server = await startServer({ serverName: 'test.local', ircPort: 0, ingestPort: null, demo: false, maxClients: 200, registrationTimeoutMs: 600 });
    running.push(server);
    const silent = await Promise.all(Array.from({ length: 200 }, () => idle(server.ircPort)));
    await until(() => server.stats().clients === 200, 5000, '200 connections');
    const refused = await RawClient.connect(server.ircPort);
    await refused.closed;
    expect(refused.lines.at(-1)).toBe('ERROR :Closing Link: 127.0.0.1 (Server is full)');

    await Promise.all(silent.map((s) => s.closed));
    expect(silent.every((s) => s.received().includes('ERROR :Closing Link: 127.0.0.1 (Registration timed out)'))).toBe(true);
    await until(() => server.stats().clients === 0, 5000, 'the server to release the slots');
    const person = await RawClient.connect(server.ircPort);
    const welcome = await person.register('person');
    expect(welcome[0]).toMatch(/^:test\.local 001 person /);
    expect(server.stats().pingTimeouts).toBe(200);
    await person.close();
  });

  it('keeps registered clients for the idle timeout, which stays separate from the registration timeout', async () => {
    const server = await startServer({ serverName: 'test.local', ircPort: 0, ingestPort: null, demo: false, registrationTimeoutMs: 100 });
    running.push(server);
    const person = await RawClient.connect(server.ircPort);
    await person.register('stays');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(person.isClosed).toBe(false);
    await person.barrier(); // still answered
    await person.close();
  });
});
