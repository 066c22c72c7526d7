import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../server.js';
import { RawClient, until } from './raw-client.js';

// The network topics every node subscribes to (chat/channels/*, chat/users/*, chat/state: cluster/network-bus.ts).
const CHAT_TOPICS = 3;

let server: RunningServer;
let good: RawClient;
let probes = 0;
let replies = 0;

beforeAll(async () => {
  // Generous flood limits, so the fuzzed lines are parsed and executed rather than only paced.
  server = await startServer({
    serverName: 'test.local',
    ircPort: 0,
    ingestPort: null,
    demo: false,
    colour: false,
    floodLines: 10_000,
    floodPerSecond: 10_000,
    maxClientsPerIp: 10_000,
  });
  good = await RawClient.connect(server.ircPort);
  await good.register('good', { caps: ['server-time'] });
  good.send('JOIN #logs-all');
  await good.barrier();
});
afterAll(async () => {
  await good.close();
  await server.close();
});

/** The well-behaved client still gets answers and log lines. */
async function goodClientWorks(): Promise<void> {
  const n = ++probes;
  server.ingest({ level: 'WARNING', service: 'probe', category: 'GENERAL', message: `probe ${n}`, ts: Date.UTC(2026, 0, 1) + n });
  const lines = await good.barrier();
  expect(lines.filter((line) => line.endsWith(` :[WARNING] probe: probe ${n}`))).toHaveLength(1);
}

const COMMANDS = ['NICK', 'USER', 'JOIN', 'PART', 'PRIVMSG', 'NOTICE', 'MODE', 'TOPIC', 'NAMES', 'WHO', 'WHOIS', 'LIST', 'CAP', 'PASS', 'PING', 'PONG', 'QUIT', 'AWAY', 'ISON', 'USERHOST', 'FOO', '001'];
const word = fc.oneof(
  fc.constantFrom('#logs-all', '#logs/*/ERROR', '#logs/#', '#logs/a/#/b', '#x', 'good', 'logcaster', '*', ':', 'LS', '302', 'REQ', 'END', ':server-time', '0', ',', '#logs-all,#logs-error'),
  fc.string({ unit: 'binary', maxLength: 12 }).map((s) => s.replace(/[\r\n ]/g, '')),
);
const ircLine = fc
  .tuple(
    fc.option(fc.constantFrom('@a=b;c ', '@time=x ', ':src ', ':'), { nil: '' }),
    fc.oneof(fc.constantFrom(...COMMANDS), fc.string({ unit: 'grapheme-ascii', maxLength: 6 })),
    fc.array(word, { maxLength: 5 }),
    fc.option(fc.string({ unit: 'binary', maxLength: 80 }).map((s) => ` :${s.replace(/[\r\n]/g, '')}`), { nil: '' }),
    fc.constantFrom('\r\n', '\n', '\r', ''),
  )
  .map(([prefix, command, params, trailing, end]) => `${prefix}${command}${params.map((p) => ` ${p}`).join('')}${trailing}${end}`);

const session = fc.record({
  register: fc.boolean(),
  data: fc.oneof(
    fc.array(ircLine, { maxLength: 25 }).map((lines) => Buffer.from(lines.join(''), 'utf8')),
    fc.uint8Array({ maxLength: 3000 }).map((bytes) => Buffer.from(bytes)),
    fc.array(fc.oneof(ircLine.map((l) => Buffer.from(l, 'utf8')), fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b))), { maxLength: 10 }).map((parts) => Buffer.concat(parts)),
  ),
  chunk: fc.integer({ min: 1, max: 700 }),
  ending: fc.constantFrom('destroy', 'quit', 'half-close', 'barrier'),
});

describe('fuzzing a running server', () => {
  it('survives random bytes and random IRC-like lines, and a well-behaved client keeps working', async () => {
    await fc.assert(
      fc.asyncProperty(session, async ({ register, data, chunk, ending }) => {
        const c = await RawClient.connect(server.ircPort);
        if (register) c.send(`NICK fz${probes}`, `USER fz 0 * :fuzz`);
        for (let offset = 0; offset < data.length; offset += chunk) c.write(data.subarray(offset, offset + chunk));
        if (ending === 'quit') c.send('QUIT :done');
        if (ending === 'barrier') {
          // Wait until the server has handled everything sent (or closed the connection).
          c.write('\r\nPING :fuzz-end\r\n');
          await until(() => c.isClosed || c.lines.some((line) => line.endsWith(' :fuzz-end')), 5000, 'the fuzz barrier');
        }
        if (ending === 'half-close') c.raw.end();
        else if (ending === 'destroy') c.raw.destroy();
        replies += c.lines.length;
        await c.close();
        await goodClientWorks();
      }),
      { numRuns: 60 },
    );
    // Every fuzzing connection is gone: only the good client is left, on the channel it joined.
    await until(() => server.stats().clients === 1, 5000, 'the fuzzing connections to be released');
    // The fuzzed input was parsed and answered, not only thrown away.
    expect(replies).toBeGreaterThan(0);
    const stats = server.stats();
    expect(stats.brokerErrors).toBe(0);
    expect(stats.brokerSubscriptions).toBe(1 + CHAT_TOPICS);
    expect(stats.patternChannels).toBe(0);
    good.send('NAMES #logs-all');
    expect(await good.barrier()).toEqual([':test.local 353 good = #logs-all :@logcaster good', ':test.local 366 good #logs-all :End of /NAMES list.']);
  });
});
