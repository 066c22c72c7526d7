/**
 * A client disconnected for SendQ learns why: the ERROR line goes out ahead of the lines that
 * were still queued for it (they are discarded), and the socket stays open long enough for a
 * client that reads again to get it, even past the usual close grace.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../server.js';
import { RawClient, until } from './raw-client.js';

const running: RunningServer[] = [];
const sockets: RawClient[] = [];
afterEach(async () => {
  await Promise.all(sockets.splice(0).map((c) => c.close()));
  await Promise.all(running.splice(0).map((s) => s.close()));
});

const isLogLine = (line: string): boolean => line.startsWith(':logcaster!logcaster@test.local PRIVMSG #logs-all :');

describe('a SendQ disconnect', () => {
  it('writes ERROR :Closing Link … (SendQ exceeded) ahead of the queued lines, readable after the close grace', async () => {
    const server = await startServer({
      serverName: 'test.local',
      ircPort: 0,
      ingestPort: null,
      demo: false,
      colour: false,
      history: 0,
      shutdownGraceMs: 300,
    });
    running.push(server);
    const stalled = await RawClient.connect(server.ircPort);
    sockets.push(stalled);
    await stalled.register('stalled');
    stalled.send('JOIN #logs-all');
    await stalled.barrier();
    stalled.raw.pause();

    // ERROR lines are protected: they fill the kernel's buffers, then the SendQ to its hard bound.
    let sent = 0;
    const padding = 'z'.repeat(400);
    while (server.stats().slowConsumerDisconnects === 0) {
      if (sent > 200_000) throw new Error('never disconnected');
      for (let i = 0; i < 200; i++, sent++) server.ingest({ level: 'ERROR', service: 'load', category: 'GENERAL', message: `#${sent} ${padding}`, ts: 1_700_000_000_000 + sent });
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Well past the close grace (300 ms) before the client reads again.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    stalled.raw.resume();
    await stalled.closed;
    expect(stalled.lines.at(-1)).toBe('ERROR :Closing Link: 127.0.0.1 (SendQ exceeded)');
    // What was still queued (up to the 1 MiB hard bound) never came: the ERROR went ahead of it.
    const received = stalled.lines.filter(isLogLine).length;
    expect(received).toBeLessThan(sent - 100);
    await until(() => server.stats().clients === 0, 5000, 'the client to be released');
  });
});
