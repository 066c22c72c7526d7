import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogEntry } from '../logs/entry.js';
import { startServer, type RunningServer } from '../server.js';
import { RawClient, until } from './raw-client.js';

const BOT = 'logcaster!logcaster@test.local';
const CONTROL = /[\x00-\x1f\x7f]/;

let server: RunningServer;
let tagged: RawClient;
let plain: RawClient;

beforeAll(async () => {
  server = await startServer({ serverName: 'test.local', ircPort: 0, ingestPort: 0, demo: false, colour: false });
  tagged = await RawClient.connect(server.ircPort);
  plain = await RawClient.connect(server.ircPort);
  await tagged.register('tagged', { caps: ['server-time'] });
  await plain.register('plain');
  for (const c of [tagged, plain]) {
    c.send('JOIN #logs-all,#logs-security');
    await c.barrier();
  }
  // Each sees the other's joins; start every test from a clean cursor.
  await tagged.barrier();
  await plain.barrier();
});
afterAll(async () => {
  await tagged.close();
  await plain.close();
  await server.close();
});

/** Every line must be one well-formed PRIVMSG from the bot: returns `channel text` of each. */
function checkLogLines(lines: string[], withTime: boolean): string[] {
  return lines.map((line) => {
    expect(line).not.toMatch(/[\r\n\0]/);
    let rest = line;
    if (withTime) {
      expect(line).toMatch(/^@time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /);
      rest = line.slice(line.indexOf(' ') + 1);
    } else {
      expect(line.startsWith('@')).toBe(false);
    }
    // 512 bytes with CRLF, tags aside.
    expect(Buffer.byteLength(rest, 'utf8')).toBeLessThanOrEqual(510);
    const message = RawClient.parse(rest);
    expect(message.source).toBe(BOT);
    expect(message.command).toBe('PRIVMSG');
    expect(message.params).toHaveLength(2);
    expect(['#logs-all', '#logs-security']).toContain(message.params[0]);
    expect(message.params[1]).not.toMatch(CONTROL);
    return `${message.params[0]} ${message.params[1]}`;
  });
}

async function deliver(entry: LogEntry): Promise<{ withTime: string[]; withoutTime: string[] }> {
  server.ingest(entry);
  return { withTime: checkLogLines(await tagged.barrier(), true), withoutTime: checkLogLines(await plain.barrier(), false) };
}

const entry = (message: string, service = 'evil'): LogEntry => ({ level: 'INFO', service, category: 'GENERAL', message, ts: Date.UTC(2026, 0, 1) });

describe('text from log producers', () => {
  it('cannot start a new protocol line with CR/LF: a message with \\r\\nQUIT :x stays PRIVMSG text', async () => {
    const { withTime, withoutTime } = await deliver(entry('ok\r\nQUIT :x'));
    // Multi-line entries become one PRIVMSG per line, each with the prefix; nothing else arrives.
    expect(withoutTime).toEqual(['#logs-all [INFO] evil: ok', '#logs-all [INFO] evil: QUIT :x']);
    expect(withTime).toEqual(withoutTime);
  });

  it('cannot forge a PRIVMSG from the bot: \\r\\nPRIVMSG #logs-all :fake stays text', async () => {
    const { withoutTime } = await deliver(entry('a\r\nPRIVMSG #logs-all :fake'));
    expect(withoutTime).toEqual(['#logs-all [INFO] evil: a', '#logs-all [INFO] evil: PRIVMSG #logs-all :fake']);
  });

  it('cannot split a line with a lone CR, NUL or Unicode line separators', async () => {
    const { withoutTime } = await deliver(entry('one\rtwo\0three\u2028four\u2029five'));
    expect(withoutTime).toEqual([
      '#logs-all [INFO] evil: one',
      '#logs-all [INFO] evil: twothree',
      '#logs-all [INFO] evil: four',
      '#logs-all [INFO] evil: five',
    ]);
  });

  it('cannot send CTCP requests or formatting codes to the watchers', async () => {
    const { withoutTime } = await deliver(entry('\x01VERSION\x01 \x02bold\x02 \x0304,01red\x0F \x1Ditalic\x1D auth'));
    expect(withoutTime).toEqual(['#logs-all [INFO] evil: VERSION bold red italic auth', '#logs-security [INFO] evil: VERSION bold red italic auth']);
  });

  it('splits long messages at UTF-8 boundaries into lines within 512 bytes, losing nothing', async () => {
    const long = `${'é'.repeat(700)}${'😀'.repeat(300)}`;
    const { withoutTime, withTime } = await deliver(entry(long));
    expect(withoutTime.length).toBeGreaterThan(3);
    const prefix = '#logs-all [INFO] evil: ';
    expect(withoutTime.map((line) => line.slice(prefix.length)).join('')).toBe(long);
    expect(withTime).toEqual(withoutTime);
  });

  it('gets the same treatment through the JSON Lines port', async () => {
    const port = server.ingestPort ?? 0;
    const producer = connect({ host: '127.0.0.1', port });
    producer.on('error', () => undefined);
    const before = plain.lines.length;
    producer.write(`${JSON.stringify({ level: 'error', service: 'evil', message: 'x\r\nQUIT :pwned\r\n\x01DCC SEND x\x01' })}\n`);
    await until(() => plain.lines.length >= before + 3, 5000, 'the three lines');
    producer.destroy();
    expect(checkLogLines(await plain.barrier(), false).slice(-3)).toEqual([
      '#logs-all [ERROR] evil: x',
      '#logs-all [ERROR] evil: QUIT :pwned',
      '#logs-all [ERROR] evil: DCC SEND x',
    ]);
    await tagged.barrier();
  });
});

describe('text from IRC clients', () => {
  it('is sanitised before it is shown to others (realname, quit reason), while chat keeps its CTCP and formatting', async () => {
    const evil = await RawClient.connect(server.ircPort);
    evil.send('NICK mallory', 'USER m 0 * :\x01VERSION\x01 \x02Mal\x00lory', 'JOIN #logs-all');
    await evil.waitFor(/ 366 mallory /);
    evil.send('PRIVMSG #logs-all :\x01PING 123\x01hi\x03\x00', 'QUIT :\x02bye\x01');
    await evil.closed;
    const lines = await plain.barrier();
    expect(lines).toEqual([
      ':mallory!~m@127.0.0.1 JOIN #logs-all',
      // User-to-user text is relayed as sent (CTCP passes through, issue 14); NUL is removed.
      ':mallory!~m@127.0.0.1 PRIVMSG #logs-all :\x01PING 123\x01hi\x03',
      ':mallory!~m@127.0.0.1 QUIT :Quit: bye',
    ]);
    plain.send('WHO #logs-all');
    for (const line of await plain.barrier()) expect(line).not.toMatch(CONTROL); // WHO shows the sanitised realname
    await tagged.barrier();
  });
});
