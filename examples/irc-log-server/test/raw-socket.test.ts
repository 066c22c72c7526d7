import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServerConfig } from '../config.js';
import { startServer, type RunningServer } from '../server.js';
import { RawClient } from './raw-client.js';

const BASE: Partial<ServerConfig> = {
  serverName: 'test.local',
  ircPort: 0,
  ingestPort: null,
  demo: false,
  floodLines: 1000,
  floodPerSecond: 1000,
};

let server: RunningServer;
const open: RawClient[] = [];
const extraServers: RunningServer[] = [];

async function client(on: RunningServer = server): Promise<RawClient> {
  const c = await RawClient.connect(on.ircPort);
  open.push(c);
  return c;
}

async function registered(nick: string, caps?: string[]): Promise<RawClient> {
  const c = await client();
  await c.register(nick, caps === undefined ? {} : { caps });
  return c;
}

async function extraServer(config: Partial<ServerConfig>): Promise<RunningServer> {
  const s = await startServer({ ...BASE, ...config });
  extraServers.push(s);
  return s;
}

/** The numeric (or command) of each line. */
const commands = (lines: string[]): string[] => lines.map((line) => RawClient.parse(line).command);

beforeAll(async () => {
  server = await startServer(BASE);
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
  await Promise.all(extraServers.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await server.close();
});

describe('registration', () => {
  it('answers NICK/USER with 001-004, 005 and the MOTD, in that order', async () => {
    const c = await client();
    const lines = await c.register('ann');
    const numerics = commands(lines);
    expect(numerics.slice(0, 4)).toEqual(['001', '002', '003', '004']);
    const isupport = numerics.filter((n) => n === '005').length;
    expect(isupport).toBeGreaterThanOrEqual(1);
    expect(numerics.slice(4, 4 + isupport).every((n) => n === '005')).toBe(true);
    const motd = numerics.slice(4 + isupport);
    expect(motd[0]).toBe('375');
    expect(motd.at(-1)).toBe('376');
    expect(motd.slice(1, -1).every((n) => n === '372')).toBe(true);

    expect(lines[0]).toBe(':test.local 001 ann :Welcome to the logcaster IRC network ann!~ann@127.0.0.1');
    expect(RawClient.parse(lines[3]).params).toEqual(['ann', 'test.local', 'logcaster-0.1.0', 'i', 'biklmnostv', 'bklov']);
    for (const line of lines.filter((l) => RawClient.parse(l).command === '005')) {
      const params = RawClient.parse(line).params;
      const tokens = params.slice(1, -1);
      expect(tokens.length).toBeGreaterThanOrEqual(1);
      expect(tokens.length).toBeLessThanOrEqual(13);
      expect(params.at(-1)).toBe('are supported by this server');
    }
    expect(lines.join('\n')).toMatch(/CASEMAPPING=ascii/);
  });

  it('sends 422 instead of a MOTD when there is none', async () => {
    const s = await extraServer({ motd: [] });
    const c = await client(s);
    const lines = await c.register('bob');
    expect(commands(lines).slice(-1)).toEqual(['422']);
    expect(commands(lines)).not.toContain('375');
  });

  it('answers 451 to other commands before registration, without disconnecting', async () => {
    const c = await client();
    c.send('JOIN #logs-all', 'PRIVMSG #logs-all :hi', 'LIST');
    const before = await c.barrier();
    expect(before).toEqual([
      ':test.local 451 * :You have not registered',
      ':test.local 451 * :You have not registered',
      ':test.local 451 * :You have not registered',
    ]);
    const lines = await c.register('carol');
    expect(commands(lines)[0]).toBe('001');
  });

  it('suspends registration during CAP negotiation and acknowledges server-time', async () => {
    const c = await client();
    c.send('CAP LS 302', 'NICK dave', 'USER dave 0 * :Dave');
    const early = await c.barrier();
    expect(early).toEqual([':test.local CAP * LS :away-notify batch echo-message invite-notify message-tags multi-prefix server-time userhost-in-names']);
    c.send('CAP REQ :server-time bogus-cap', 'CAP REQ :server-time', 'CAP LIST');
    // The nick is known now, so it is the target.
    expect(await c.barrier()).toEqual([
      ':test.local CAP dave NAK :server-time bogus-cap',
      ':test.local CAP dave ACK :server-time',
      ':test.local CAP dave LIST :server-time',
    ]);
    c.send('CAP END');
    await c.waitFor(/ 001 dave /);
    await c.waitFor(/ 376 dave /);
    c.send('CAP LIST', 'CAP FOO');
    expect(await c.barrier()).toEqual([':test.local CAP dave LIST :server-time', ':test.local 410 dave FOO :Invalid CAP command']);
  });

  it('answers CAP LIST with an empty trailing parameter when nothing is enabled', async () => {
    const c = await client();
    c.send('CAP LIST');
    expect(await c.barrier()).toEqual([':test.local CAP * LIST :']);
  });

  it('requires the right PASS before the later of NICK/USER: 464, ERROR, close', async () => {
    const s = await extraServer({ password: 's3cret' });
    const wrong = await client(s);
    wrong.send('PASS nope', 'NICK erin', 'USER erin 0 * :Erin');
    await wrong.closed;
    expect(wrong.lines).toEqual([':test.local 464 erin :Password incorrect', 'ERROR :Closing Link: 127.0.0.1 (Bad password)']);

    const missing = await client(s);
    missing.send('NICK erin', 'USER erin 0 * :Erin');
    await missing.closed;
    expect(missing.lines[0]).toBe(':test.local 464 erin :Password incorrect');

    const right = await client(s);
    const lines = await right.register('erin', { pass: 's3cret' });
    expect(commands(lines)[0]).toBe('001');
    right.send('PASS again');
    expect(await right.barrier()).toEqual([':test.local 462 erin :You may not reregister']);
  });

  it('rejects USER with missing parameters or an empty realname (461) and a second USER (462)', async () => {
    const c = await client();
    c.send('USER u * *', 'USER u * * :', 'USER u * * :   ');
    expect(await c.barrier()).toEqual([
      ':test.local 461 * USER :Not enough parameters',
      ':test.local 461 * USER :Not enough parameters',
      ':test.local 461 * USER :Not enough parameters',
    ]);
    await c.register('frank');
    c.send('USER again 0 * :Again');
    expect(await c.barrier()).toEqual([':test.local 462 frank :You may not reregister']);
  });
});

describe('nicks', () => {
  it('answers 431 to an empty NICK and 432 to invalid ones', async () => {
    const c = await client();
    c.send('NICK', 'NICK :', 'NICK *', 'NICK 1abc', `NICK ${'x'.repeat(31)}`, 'NICK a,b');
    expect(await c.barrier()).toEqual([
      ':test.local 431 * :No nickname given',
      ':test.local 431 * :No nickname given',
      ':test.local 432 * * :Erroneous nickname',
      ':test.local 432 * 1abc :Erroneous nickname',
      `:test.local 432 * ${'x'.repeat(31)} :Erroneous nickname`,
      ':test.local 432 * a,b :Erroneous nickname',
    ]);
  });

  it('reserves a nick at NICK time: a second client asking for it (in any case) gets 433', async () => {
    const first = await client();
    first.send('NICK gina');
    await first.barrier();
    const second = await client();
    second.send('NICK GINA', 'NICK logcaster', 'NICK LogCaster');
    expect(await second.barrier()).toEqual([
      ':test.local 433 * GINA :Nickname is already in use',
      ':test.local 433 * logcaster :Nickname is already in use',
      ':test.local 433 * LogCaster :Nickname is already in use',
    ]);
    // Released when the first client goes.
    await first.close();
    // The server sees the close a moment later: retry until the nick is free (no answer).
    for (let attempt = 0; ; attempt++) {
      second.send('NICK gina');
      const answer = await second.barrier();
      if (answer.length === 0) break;
      expect(answer).toEqual([':test.local 433 * gina :Nickname is already in use']);
      if (attempt > 100) throw new Error('the nick was never released');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    second.send('USER g 0 * :G');
    await second.waitFor(/ 001 gina /);
  });

  it('allows a case-only nick change and tells the client', async () => {
    const c = await registered('hank');
    c.send('NICK HANK');
    expect(await c.barrier()).toEqual([':hank!~hank@127.0.0.1 NICK :HANK']);
    c.send('NICK HANK');
    expect(await c.barrier()).toEqual([]);
  });
});

describe('framing and errors', () => {
  it('answers 417 to a line over 512 bytes and keeps the connection', async () => {
    const c = await registered('ivy');
    c.send(`PRIVMSG #logs-all :${'x'.repeat(600)}`);
    expect(await c.barrier()).toEqual([':test.local 417 ivy :Input line was too long']);
    c.write(`PRIVMSG #logs-all :${'y'.repeat(20_000)}`);
    c.write(`${'y'.repeat(20_000)}\r\n`);
    expect(await c.barrier()).toEqual([':test.local 417 ivy :Input line was too long']);
  });

  it('accepts a lone LF, ignores empty lines and survives invalid UTF-8', async () => {
    const c = await client();
    c.write('NICK jack\n\r\n\n');
    c.write(Buffer.concat([Buffer.from('USER jack 0 * :J\xff'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('\n')]));
    await c.waitFor(/ 376 jack /);
    c.send('WHOIS jack');
    const lines = await c.barrier();
    const whois = RawClient.parse(lines[0]);
    expect(whois.command).toBe('311');
    expect(whois.params.slice(0, 5)).toEqual(['jack', 'jack', '~jack', '127.0.0.1', '*']);
    expect(whois.params[5]).toBe('J\u00ff\uFFFD\uFFFD\uFFFD');
  });

  it('answers 421 to unknown commands and 461 to missing parameters', async () => {
    const c = await registered('kim');
    c.send('FOO bar', 'JOIN', 'PART', 'TOPIC', 'MODE', 'WHOIS', '!!!');
    expect(await c.barrier()).toEqual([
      ':test.local 421 kim FOO :Unknown command',
      ':test.local 461 kim JOIN :Not enough parameters',
      ':test.local 461 kim PART :Not enough parameters',
      ':test.local 461 kim TOPIC :Not enough parameters',
      ':test.local 461 kim MODE :Not enough parameters',
      ':test.local 461 kim WHOIS :Not enough parameters',
      ':test.local 421 kim !!! :Unknown command',
    ]);
  });

  it('answers PING in order with the other output (a barrier) and 409 without a token', async () => {
    const c = await registered('lee');
    c.send('PING', 'PING :two words', 'PING a', 'PING b');
    expect(await c.barrier()).toEqual([
      ':test.local 409 lee :No origin specified',
      ':test.local PONG test.local :two words',
      ':test.local PONG test.local :a',
      ':test.local PONG test.local :b',
    ]);
  });
});

describe('channels', () => {
  it('sends the JOIN burst: JOIN, 332, 333, 353, 366', async () => {
    const c = await registered('mia');
    c.send('JOIN #logs-error');
    const lines = await c.barrier();
    expect(commands(lines)).toEqual(['JOIN', '332', '333', '353', '366']);
    expect(lines[0]).toBe(':mia!~mia@127.0.0.1 JOIN #logs-error');
    expect(lines[1]).toBe(':test.local 332 mia #logs-error :ERROR, CRITICAL and FATAL entries');
    expect(lines[2]).toMatch(/^:test.local 333 mia #logs-error logcaster!logcaster@test.local \d+$/);
    expect(lines[3]).toBe(':test.local 353 mia = #logs-error :@logcaster mia');
    expect(lines[4]).toBe(':test.local 366 mia #logs-error :End of /NAMES list.');
  });

  it('handles each name of a comma list on its own: 403 and 476 for the bad ones only', async () => {
    const c = await registered('ned');
    c.send('JOIN #logs-all,#logs-nope,#logs/*/error,#logs/a/#/b,#logs/a*b,nochan,#logs//x');
    const lines = await c.barrier();
    const summary = lines
      .map((line) => RawClient.parse(line))
      .filter((m) => ['JOIN', '403', '476'].includes(m.command))
      .map((m) => `${m.command} ${m.command === 'JOIN' ? m.params[0] : m.params[1]}`);
    expect(summary).toEqual([
      'JOIN #logs-all',
      '403 #logs-nope',
      'JOIN #logs/*/ERROR',
      '476 #logs/a/#/b',
      '476 #logs/a*b',
      '403 nochan',
      '476 #logs//x',
    ]);
    // Still connected and on the channels that worked.
    c.send('NAMES #logs/*/ERROR');
    expect(await c.barrier()).toEqual([
      ':test.local 353 ned = #logs/*/ERROR :@logcaster ned',
      ':test.local 366 ned #logs/*/ERROR :End of /NAMES list.',
    ]);
  });

  it('limits channels per client with 405', async () => {
    const s = await extraServer({ maxChannelsPerClient: 2 });
    const c = await client(s);
    await c.register('olga');
    c.send('JOIN #logs-all,#logs-error,#logs-warning');
    const lines = await c.barrier();
    expect(lines.filter((l) => / 405 /.test(l))).toEqual([
      ':test.local 405 olga #logs-warning :You have joined too many channels (limit 2)',
    ]);
  });

  it('limits pattern channels server-wide and forgets a pattern channel with its last member', async () => {
    const s = await extraServer({ maxPatternChannels: 1 });
    const c = await client(s);
    await c.register('pat');
    c.send('JOIN #logs/a/*', 'JOIN #logs/b/*');
    const lines = await c.barrier();
    expect(lines.filter((l) => / 403 /.test(l))).toEqual([
      ':test.local 403 pat #logs/b/* :Too many pattern channels exist (limit 1); join an existing one',
    ]);
    expect(s.stats().patternChannels).toBe(1);
    c.send('PART #logs/a/*', 'JOIN #logs/b/*');
    await c.barrier();
    expect(s.stats().patternChannels).toBe(1);
    c.send('LIST');
    const list = (await c.barrier()).filter((l) => / 322 /.test(l)).map((l) => RawClient.parse(l).params[1]);
    expect(list).toEqual(['#logs-all', '#logs-error', '#logs-warning', '#logs-database', '#logs-security', '#logs/b/*']);
  });

  it('answers NAMES, WHO, LIST, TOPIC and MODE queries', async () => {
    const c = await registered('quinn');
    c.send('JOIN #logs-all');
    await c.barrier();
    c.send('NAMES #missing', 'NAMES', 'WHO #logs-all', 'WHO nobody', 'TOPIC #logs-all', 'TOPIC #nope', 'TOPIC #logs-all :mine');
    expect(await c.barrier()).toEqual([
      ':test.local 366 quinn #missing :End of /NAMES list.',
      ':test.local 366 quinn * :End of /NAMES list.',
      ':test.local 352 quinn #logs-all logcaster test.local test.local logcaster H@ :0 logcaster log bot',
      ':test.local 352 quinn #logs-all ~quinn 127.0.0.1 test.local quinn H :0 Test quinn',
      ':test.local 315 quinn #logs-all :End of /WHO list.',
      ':test.local 315 quinn nobody :End of /WHO list.',
      ':test.local 332 quinn #logs-all :Every log entry, all services and levels',
      expect.stringMatching(/^:test.local 333 quinn #logs-all logcaster!logcaster@test.local \d+$/),
      ':test.local 403 quinn #nope :No such channel',
      ":test.local 482 quinn #logs-all :You're not channel operator: topics say what a channel carries",
    ]);
    c.send('LIST');
    const list = await c.barrier();
    expect(commands(list)[0]).toBe('321');
    expect(commands(list).at(-1)).toBe('323');
    expect(list).toContain(':test.local 322 quinn #logs-all 2 :[+nt] Every log entry, all services and levels');
    c.send('MODE #logs-all', 'MODE #logs-all b', 'MODE #logs-all +m', 'MODE quinn', 'MODE quinn +i', 'MODE quinn +x', 'MODE logcaster', 'MODE #zzz');
    expect(await c.barrier()).toEqual([
      ':test.local 324 quinn #logs-all +nt',
      expect.stringMatching(/^:test.local 329 quinn #logs-all \d+$/),
      ':test.local 368 quinn #logs-all :End of channel ban list',
      ":test.local 482 quinn #logs-all :You're not channel operator",
      ':test.local 221 quinn +',
      ':quinn!~quinn@127.0.0.1 MODE quinn :+i',
      ':test.local 501 quinn :Unknown MODE flag',
      ":test.local 502 quinn :Can't change mode for other users",
      ':test.local 403 quinn #zzz :No such channel',
    ]);
  });

  it('answers PART for a channel the client is not on with 442', async () => {
    const c = await registered('rita');
    c.send('PART #logs-all', 'PART #nope', 'JOIN #logs-all', 'PART #logs-all :bye now');
    const lines = await c.barrier();
    expect(lines[0]).toBe(":test.local 442 rita #logs-all :You're not on that channel");
    expect(lines[1]).toBe(':test.local 403 rita #nope :No such channel');
    expect(lines.at(-1)).toBe(':rita!~rita@127.0.0.1 PART #logs-all :bye now');
  });

  it('shows joins, parts and chat to the other members, never echoing chat to its sender', async () => {
    const a = await registered('sam');
    const b = await registered('tess');
    a.send('JOIN #logs-all');
    await a.barrier();
    b.send('JOIN #logs-all');
    expect((await b.barrier()).find((l) => / 353 /.test(l))).toBe(':test.local 353 tess = #logs-all :@logcaster sam tess');
    expect(await a.barrier()).toEqual([':tess!~tess@127.0.0.1 JOIN #logs-all']);
    b.send('PRIVMSG #logs-all :hello there', 'PRIVMSG #logs-all :\x01ACTION waves\x01', 'NOTICE #logs-all :psst');
    expect(await b.barrier()).toEqual([]);
    expect(await a.barrier()).toEqual([
      ':tess!~tess@127.0.0.1 PRIVMSG #logs-all :hello there',
      ':tess!~tess@127.0.0.1 PRIVMSG #logs-all :\x01ACTION waves\x01',
      ':tess!~tess@127.0.0.1 NOTICE #logs-all :psst',
    ]);
    b.send('PRIVMSG sam :direct', 'QUIT :gone');
    await b.closed;
    expect(b.lines.at(-1)).toBe('ERROR :Closing Link: 127.0.0.1 (Quit: gone)');
    expect(await a.barrier()).toEqual([':tess!~tess@127.0.0.1 PRIVMSG sam :direct', ':tess!~tess@127.0.0.1 QUIT :Quit: gone']);
  });

  it('answers message errors for PRIVMSG (401, 403, 404, 411, 412) and never for NOTICE', async () => {
    const c = await registered('uma');
    c.send('PRIVMSG nobody :hi', 'PRIVMSG #nope :hi', 'PRIVMSG #logs-all :hi', 'PRIVMSG', 'PRIVMSG uma', 'PRIVMSG uma :');
    expect(await c.barrier()).toEqual([
      ':test.local 401 uma nobody :No such nick/channel',
      ':test.local 403 uma #nope :No such channel',
      ':test.local 404 uma #logs-all :Cannot send to channel (no external messages)',
      ':test.local 411 uma :No recipient given (PRIVMSG)',
      ':test.local 412 uma :No text to send',
      ':test.local 412 uma :No text to send',
    ]);
    c.send('NOTICE nobody :hi', 'NOTICE #nope :hi', 'NOTICE #logs-all :hi', 'NOTICE', 'NOTICE uma');
    expect(await c.barrier()).toEqual([]);
  });

  it('lets nobody pose as the bot, which answers stats with NOTICEs', async () => {
    const c = await registered('vic');
    const start = c.lines.length;
    c.send('PRIVMSG logcaster :stats');
    // The bot answers stats after a promise, so a PING sent behind it can be answered first:
    // wait for its last line, not for a barrier.
    await c.waitFor(/ NOTICE vic :memory rss /);
    const lines = c.lines.slice(start);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) expect(line).toMatch(/^:logcaster!logcaster@test.local NOTICE vic :/);
    expect(lines.join('\n')).toMatch(/clients \d+/);
    c.send('PRIVMSG logcaster :help');
    expect((await c.barrier()).join('\n')).toMatch(/#logs-error/);
  });
});

describe('limits and timeouts', () => {
  it('disconnects a client that floods past its RecvQ with Excess Flood', async () => {
    const s = await extraServer({ floodLines: 5, floodPerSecond: 1, recvQBytes: 1024 });
    const c = await client(s);
    await c.register('wes');
    c.write('PING flood\r\n'.repeat(300));
    await c.closed;
    expect(c.lines.at(-1)).toBe('ERROR :Closing Link: 127.0.0.1 (Excess Flood)');
    expect(s.stats().floodDisconnects).toBe(1);
  });

  it('slows a fast client down (fake lag) instead of dropping it when its RecvQ holds', async () => {
    const s = await extraServer({ floodLines: 3, floodPerSecond: 50 });
    const c = await client(s);
    c.send('NICK xena', 'USER x 0 * :X');
    await c.waitFor(/ 376 /);
    for (let i = 0; i < 10; i++) c.send(`PING n${i}`);
    await c.waitFor(/PONG test.local :n9$/);
    expect(c.lines.filter((l) => / PONG /.test(l))).toHaveLength(10);
    expect(c.isClosed).toBe(false);
  });

  it('PINGs an idle client and drops it when it does not answer', async () => {
    const s = await extraServer({ pingIntervalMs: 40, idleTimeoutMs: 120 });
    const c = await client(s);
    await c.register('yan');
    await c.waitFor(/^PING :test.local$/);
    await c.closed;
    expect(c.lines.at(-1)).toMatch(/^ERROR :Closing Link: 127.0.0.1 \(Ping timeout: \d+ seconds\)$/);
    expect(s.stats().pingTimeouts).toBe(1);
  });

  it('refuses connections over the per-address limit with an ERROR', async () => {
    const s = await extraServer({ maxClientsPerIp: 1 });
    const first = await client(s);
    await first.register('zed');
    const second = await client(s);
    await second.closed;
    expect(second.lines).toEqual(['ERROR :Closing Link: 127.0.0.1 (Too many connections from your address)']);
    expect(s.stats().refusedConnections).toBe(1);
  });
});
