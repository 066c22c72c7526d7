/**
 * `--syslog-port`: syslog over UDP, sent by util-linux `logger -d` (skipped where it is missing).
 */
import { execFile, spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../server.js';
import { RawClient, until } from './raw-client.js';

const running: RunningServer[] = [];
const clients: RawClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(running.splice(0).map((s) => s.close()));
});

const hasLogger = spawnSync('logger', ['--version']).status === 0;
const logger = (args: string[]): Promise<void> =>
  new Promise((resolve, reject) => execFile('logger', args, (error) => (error ? reject(error) : resolve())));

describe('the UDP syslog port', () => {
  it.skipIf(!hasLogger)('shows what logger -d sends (RFC 5424 and RFC 3164) and counts it under source udp', async () => {
    const server = await startServer({ serverName: 'test.local', ircPort: 0, ingestPort: null, syslogPort: 0, demo: false, colour: false });
    running.push(server);
    expect(server.syslogPort).toBeGreaterThan(0);
    const c = await RawClient.connect(server.ircPort);
    clients.push(c);
    await c.register('ops');
    c.send('JOIN #logs-all');
    await c.barrier();
    const port = String(server.syslogPort);
    await logger(['-d', '-n', '127.0.0.1', '-P', port, '--rfc5424', '-t', 'nightly', '-p', 'daemon.warning', 'backup slow']);
    await logger(['-d', '-n', '127.0.0.1', '-P', port, '--rfc3164', '-t', 'cron', '-p', 'cron.err', 'job failed']);
    await until(() => c.lines.filter((l) => l.includes(' PRIVMSG #logs-all :')).length === 2, 5000, 'two syslog lines');
    expect(c.lines.filter((l) => l.includes(' PRIVMSG #logs-all :')).map((l) => l.slice(l.indexOf(' :') + 2))).toEqual([
      '[WARNING] nightly/DAEMON: backup slow',
      '[ERROR] cron/CRON: job failed',
    ]);
    expect(server.stats().ingest.find((s) => s.source === 'udp')).toMatchObject({ accepted: 2, entries: 2, rateLimited: 0, rejected: 0 });
  });
});

describe('the UDP syslog port joining traces', () => {
  it('tracks at most 1,024 senders: 1,100 services held at once all come out, none lost', async () => {
    const { startSyslogUdpSource, MAX_JOINERS } = await import('../logs/sources/syslog-udp.js');
    const { createSocket } = await import('node:dgram');
    const entries: string[] = [];
    const source = await startSyslogUdpSource({ port: 0, sink: (entry) => void entries.push(entry.service), joinHoldMs: 60_000, limiter: { capacity: 5000, refillPerSecond: 5000 } });
    const socket = createSocket('udp4');
    try {
      // In batches, so the kernel's receive buffer never overflows (a lost datagram is not the point here).
      for (let batch = 0; batch < 11; batch++) {
        for (let i = batch * 100; i < (batch + 1) * 100; i++) socket.send(`<11>1 - host svc${i} - - - failed to start`, source.port, '127.0.0.1');
        await until(() => source.stats().accepted === (batch + 1) * 100, 5000, `batch ${batch}`);
      }
      // Held for a minute each, so only the bound lets entries out before close.
      await until(() => entries.length === 1100 - MAX_JOINERS, 5000, 'the evicted entries');
      expect(entries.slice(0, 3)).toEqual(['svc0', 'svc1', 'svc2']);
      await source.close();
      expect(entries).toHaveLength(1100);
      expect(source.stats()).toMatchObject({ accepted: 1100, entries: 1100 });
    } finally {
      socket.close();
      await source.close();
    }
  });
});
