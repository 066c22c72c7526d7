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
  it('is not locked by 256 idle sockets: a per-address cap refuses most, the idle timeout closes the rest', async () => {
    // The idle timeout must outlast opening the 256 sockets, or a slot freed by it admits a late
    // one and the cap looks broken; 2 s does on a loaded 2-core machine.
    const server = await startServer({ serverName: 'test.local', ircPort: 0, ingestPort: 0, demo: false, ingestIdleTimeoutMs: 2000 });
    running.push(server);
    const port = server.ingestPort ?? 0;
    const idlers = await Promise.all(Array.from({ length: 256 }, () => idle(port)));
    await until(() => server.stats().ingest[0].refusedConnections === 256 - 64, 5000, 'the refusals');
    expect(server.stats().ingest[0].connections).toBe(64);

    // Another address is not affected by 127.0.0.1's cap.
    const other = await idle(port, '127.0.0.2');
    // It goes idle too: on a loaded machine its own timeout may close it before the end.
    let otherClosed = false;
    void other.closed.then(() => (otherClosed = true));
    other.socket.write(entry('from another host'));
    await until(() => server.stats().linesIn === 1, 5000, 'the other host entry');

    // The idle ones are closed with their summary; 127.0.0.1 can produce again.
    await Promise.all(idlers.filter((i) => !i.received().includes('too many')).map((i) => i.closed));
    expect(server.stats().ingest[0].idleClosed).toBeGreaterThanOrEqual(64);
    const summaries = idlers.map((i) => i.received()).filter((text) => text.includes('"summary"'));
    expect(summaries).toHaveLength(64);
    expect(JSON.parse(summaries[0])).toEqual({ ok: true, summary: { lines: 0, accepted: 0, rateLimited: 0, rejected: 0, unauthorised: 0 }, closed: 'idle for 2000 ms' });
    await until(() => server.stats().ingest[0].connections === (otherClosed ? 0 : 1), 5000, 'only the other host to remain');
    const real = await idle(port);
    real.socket.write(entry('a real producer'));
    await until(() => server.stats().linesIn === 2, 5000, 'the real producer entry');
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
    // Long enough to register on a loaded machine; nothing can signal that a timer did not fire,
    // so the test waits until twice the registration timeout has passed since it connected.
    const registrationTimeoutMs = 500;
    const server = await startServer({ serverName: 'test.local', ircPort: 0, ingestPort: null, demo: false, registrationTimeoutMs });
    running.push(server);
    const connectedAt = Date.now();
    const person = await RawClient.connect(server.ircPort);
    await person.register('stays');
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, connectedAt + 2 * registrationTimeoutMs - Date.now())));
    expect(person.isClosed).toBe(false);
    expect(server.stats().pingTimeouts).toBe(0);
    await person.barrier(); // still answered
    await person.close();
  });
});
