import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { helpText, parseConfig } from '../flags.js';
import { startServer, type RunningServer } from '../server.js';

describe('--ingest-rate and --ingest-burst', () => {
  it('default to 200 entries/s with a burst of 500 and can be set by flag or variable', () => {
    expect(parseConfig([], {}).config).toMatchObject({ ingestRate: 200, ingestBurst: 500 });
    expect(parseConfig(['--ingest-rate', '5000', '--ingest-burst', '20000'], {}).config).toMatchObject({ ingestRate: 5000, ingestBurst: 20_000 });
    expect(parseConfig([], { LOGCASTER_INGEST_RATE: '2500.5', LOGCASTER_INGEST_BURST: '10' }).config).toMatchObject({ ingestRate: 2500.5, ingestBurst: 10 });
    expect(helpText).toContain('--ingest-rate');
    expect(helpText).toContain('LOGCASTER_INGEST_BURST');
  });

  it('refuse a rate or burst that cannot be a limit, naming the field and the value', () => {
    expect(() => parseConfig(['--ingest-rate', '0'], {})).toThrow(/ingestRate must be in \(0, 10000000\] lines\/s \(got 0\)/);
    expect(() => parseConfig(['--ingest-rate', 'fast'], {})).toThrow(/--ingest-rate must be a number \(got "fast"\)/);
    expect(() => parseConfig(['--ingest-burst', '1.5'], {})).toThrow(/ingestBurst must be an integer/);
  });

  describe('on a running server', () => {
    let server: RunningServer | undefined;
    afterEach(async () => {
      await server?.close();
      server = undefined;
    });

    it('accepts a burst of the configured size from one connection and drops, counted, what exceeds it', async () => {
      // A refill so slow that no token comes back during the test: exactly `ingestBurst` pass.
      server = await startServer({ ircPort: 0, ingestPort: 0, demo: false, ingestBurst: 7, ingestRate: 0.001 });
      const socket = connect({ host: '127.0.0.1', port: server.ingestPort ?? 0 });
      let replies = '';
      socket.on('data', (chunk: Buffer) => (replies += chunk.toString('utf8')));
      const lines = Array.from({ length: 12 }, (_, i) => JSON.stringify({ level: 'info', service: 'api', message: `entry ${i}` }));
      socket.write(`${lines.join('\n')}\n`);
      await expect.poll(() => replies, { timeout: 5000 }).toContain('rate limited');
      socket.destroy();
      expect(server.stats().linesIn).toBe(7);
      expect(JSON.parse(replies.split('\n')[0])).toMatchObject({ ok: false, error: 'rate limited', line: 8 });
    });
  });
});
