import { afterEach, describe, expect, it } from 'vitest';
import type { LogEntry } from '../logs/entry.js';
import { startServer, type RunningServer } from '../server.js';
import { RawClient, until } from './raw-client.js';

// Big enough that a batch of the reader's lines fits under the soft bound.
const SOFT = 128 * 1024;
const HARD = 512 * 1024;
const BATCH = 100;

const running: RunningServer[] = [];
const sockets: RawClient[] = [];
afterEach(async () => {
  await Promise.all(sockets.splice(0).map((c) => c.close()));
  await Promise.all(running.splice(0).map((s) => s.close()));
});

const isLogLine = (line: string): boolean => line.startsWith(':logcaster!logcaster@test.local PRIVMSG #logs-all :');
const entryNumber = (line: string): number => Number(/ #(\d+) /.exec(line)?.[1] ?? Number.NaN);

describe('a slow consumer', () => {
  it('is bounded and dropped per policy while a reading client on the same channel receives every entry', async () => {
    const server = await startServer({
      serverName: 'test.local',
      ircPort: 0,
      ingestPort: null,
      demo: false,
      colour: false,
      sendQBytes: SOFT,
      sendQHardBytes: HARD,
      shutdownGraceMs: 10_000,
    });
    running.push(server);
    const reader = await RawClient.connect(server.ircPort);
    const stalled = await RawClient.connect(server.ircPort);
    sockets.push(reader, stalled);
    await reader.register('reader');
    await stalled.register('stalled');
    reader.send('JOIN #logs-all');
    stalled.send('JOIN #logs-all');
    await reader.barrier();
    await stalled.barrier();
    await reader.barrier();

    const padding = 'x'.repeat(380);
    let sent = 0;
    let maxSendQ = 0;
    /**
     * Ingests one batch (every other entry INFO, droppable; the rest ERROR, protected) and
     * waits for the reader to get it. A batch stays under the soft bound, so the reader, which
     * drains every turn, never loses a line.
     */
    const batch = async (): Promise<void> => {
      for (let i = 0; i < BATCH; i++, sent++) {
        const entry: LogEntry = { level: sent % 2 === 0 ? 'INFO' : 'ERROR', service: 'load', category: 'GENERAL', message: `#${sent} ${padding}`, ts: 1_700_000_000_000 + sent };
        server.ingest(entry);
      }
      maxSendQ = Math.max(maxSendQ, server.stats().sendQBytes);
      const last = sent - 1;
      await reader.waitFor((line) => isLogLine(line) && entryNumber(line) === last);
    };

    // Phase 1: the stalled client stops reading. The kernel's socket buffers fill first (a few
    // MB on loopback), then its SendQ; past the soft bound INFO lines are dropped.
    stalled.raw.pause();
    for (let n = 0; server.stats().linesDropped === 0; n++) {
      if (n > 1000) throw new Error('nothing was ever dropped');
      await batch();
    }
    for (let n = 0; n < 3; n++) await batch();
    expect(server.stats().slowConsumerDisconnects).toBe(0);

    // It reads again: it gets every ERROR, loses only INFO lines, and one notice says how many.
    stalled.raw.resume();
    const notice = await stalled.waitFor(/^:test.local NOTICE stalled :\*\*\* You missed \d+ lines/, 10_000);
    const seen = stalled.lines.filter(isLogLine).map(entryNumber);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    const errors = Array.from({ length: sent }, (_, i) => i).filter((i) => i % 2 === 1);
    expect(seen.filter((n) => n % 2 === 1)).toEqual(errors);
    const missed = sent - seen.length;
    expect(missed).toBeGreaterThan(0);
    expect(notice).toMatch(new RegExp(`You missed ${missed} lines`));
    expect(server.stats().linesDropped).toBe(missed);
    expect(stalled.lines.map(isLogLine).lastIndexOf(true)).toBeLessThan(stalled.lines.indexOf(notice));

    // Phase 2: it stalls again and stays stalled: protected lines pile up to the hard bound
    // and it is disconnected.
    stalled.raw.pause();
    for (let n = 0; server.stats().slowConsumerDisconnects === 0; n++) {
      if (n > 1000) throw new Error('the stalled client was never disconnected');
      await batch();
    }
    expect(server.stats().slowConsumerDisconnects).toBe(1);
    // Both SendQs together never held more than the hard bound plus the reader's one batch.
    expect(maxSendQ).toBeLessThanOrEqual(HARD + BATCH * 512);

    // The reader got every entry, in order, and is still connected.
    expect(reader.lines.filter(isLogLine).map(entryNumber)).toEqual(Array.from({ length: sent }, (_, i) => i));
    reader.send('PRIVMSG logcaster :stats');
    // The bot answers stats after a promise (a barrier's PONG may come first): wait for the line.
    expect(await reader.waitFor(/slow consumers \d+/)).toMatch(/slow consumers 1,/);

    // Reading again, the stalled client gets what the kernel held, then the ERROR, then EOF.
    stalled.raw.resume();
    await stalled.closed;
    expect(stalled.lines.at(-1)).toBe('ERROR :Closing Link: 127.0.0.1 (SendQ exceeded)');
    await until(() => server.stats().clients === 1, 5000, 'the stalled client to be released');
  });

  it('gets one NOTICE saying how many lines it missed once it catches up', async () => {
    const server = await startServer({
      serverName: 'test.local',
      ircPort: 0,
      ingestPort: null,
      demo: false,
      colour: false,
      sendQBytes: 16 * 1024,
      sendQHardBytes: 64 * 1024,
    });
    running.push(server);
    const c = await RawClient.connect(server.ircPort);
    sockets.push(c);
    await c.register('lagger');
    c.send('JOIN #logs-all');
    await c.barrier();
    // One synchronous burst far over the soft bound: the SendQ drops DEBUG lines before any flush.
    const burst = 400;
    for (let i = 0; i < burst; i++) {
      server.ingest({ level: 'DEBUG', service: 'burst', category: 'GENERAL', message: `#${i} ${'y'.repeat(200)}`, ts: 1_700_000_000_000 + i });
    }
    const notice = await c.waitFor(/^:test.local NOTICE lagger :\*\*\* You missed /);
    await c.barrier();
    const delivered = c.lines.filter(isLogLine).length;
    expect(delivered).toBeLessThan(burst);
    expect(notice).toBe(
      `:test.local NOTICE lagger :*** You missed ${burst - delivered} lines: your connection fell behind and lower-priority log lines were dropped`,
    );
    // Every surviving line came before the notice, and there is exactly one notice.
    expect(c.lines.indexOf(notice)).toBeGreaterThan(c.lines.map(isLogLine).lastIndexOf(true));
    expect(c.lines.filter((line) => / NOTICE lagger :\*\*\* You missed /.test(line))).toHaveLength(1);
    // Caught up, nothing more to report.
    server.ingest({ level: 'INFO', service: 'burst', category: 'GENERAL', message: 'calm', ts: 1_700_000_001_000 });
    expect((await c.barrier()).filter((line) => / NOTICE /.test(line))).toEqual([]);
  });
});
