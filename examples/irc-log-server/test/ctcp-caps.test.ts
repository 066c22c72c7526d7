/**
 * CTCP and IRCv3 capabilities with irc-framework clients: CTCP passes between users as sent,
 * the bot answers CTCP CLIENTINFO, PING, TIME and VERSION; multi-prefix, userhost-in-names,
 * echo-message, message-tags (client tags relayed, TAGMSG), away-notify and server-time.
 */
import { describe, expect, it } from 'vitest';
import { summary } from './irc-user.js';
import { ircNetwork } from './irc-network.js';
import { RawClient } from './raw-client.js';

const { start, user } = ircNetwork();

/** The line without its `@tags` prefix. */
const untagged = (line: string): string => line.replace(/^@\S+ /, '');

describe('CTCP', () => {
  it('passes CTCP between users untouched, both ways', async () => {
    const server = await start();
    const alice = await user(server, 'alice');
    const bob = await user(server, 'bob');
    alice.send('PRIVMSG bob :\x01VERSION\x01', 'PRIVMSG bob :\x01PING 12345\x01', 'PRIVMSG bob :\x02bold\x02 and \x0304red\x03');
    await alice.barrier();
    expect((await bob.barrier()).map(untagged)).toEqual([
      ':alice!~alice@127.0.0.1 PRIVMSG bob :\x01VERSION\x01',
      ':alice!~alice@127.0.0.1 PRIVMSG bob :\x01PING 12345\x01',
      ':alice!~alice@127.0.0.1 PRIVMSG bob :\x02bold\x02 and \x0304red\x03',
    ]);
    // irc-framework answers CTCP VERSION itself: the reply comes back as a CTCP NOTICE.
    expect(untagged(await alice.waitFor(/NOTICE alice :\x01VERSION /))).toMatch(/^:bob!~bob@127\.0\.0\.1 NOTICE alice :\x01VERSION .+\x01$/);
  });

  it('gets CTCP VERSION, PING and TIME answered by the bot (a VERSION round trip)', async () => {
    const server = await start();
    const alice = await user(server, 'alice');
    const version = new Promise<string>((resolve) => {
      alice.irc.on('ctcp response' as 'notice', (event) => resolve((event as unknown as { message: string }).message));
    });
    alice.irc.raw('PRIVMSG logcaster :\x01VERSION\x01');
    expect(await version).toBe('VERSION logcaster-0.1.0 (logcaster IRC log server)');
    alice.send('PRIVMSG logcaster :\x01PING 1764450000123\x01', 'PRIVMSG logcaster :\x01TIME\x01', 'PRIVMSG logcaster :\x01FINGER\x01');
    const lines = (await alice.barrier()).map(untagged).filter((line) => !line.includes('VERSION'));
    expect(lines[0]).toBe(':logcaster!logcaster@test.local NOTICE alice :\x01PING 1764450000123\x01');
    expect(lines[1]).toMatch(/^:logcaster!logcaster@test\.local NOTICE alice :\x01TIME \w{3}, \d\d \w{3} \d{4} [\d:]{8} GMT\x01$/);
    expect(lines).toHaveLength(2); // an unknown CTCP gets no answer
  });

  it('answers CTCP CLIENTINFO with every CTCP the bot answers, each of which it does answer', async () => {
    const server = await start();
    const alice = await user(server, 'alice');
    alice.send('PRIVMSG logcaster :\x01CLIENTINFO\x01');
    const [answer] = (await alice.barrier()).map(untagged);
    expect(answer).toBe(':logcaster!logcaster@test.local NOTICE alice :\x01CLIENTINFO CLIENTINFO PING TIME VERSION\x01');
    const listed = answer.slice(answer.indexOf('\x01CLIENTINFO ') + 12, -1).split(' ');
    alice.send(...listed.map((command) => `PRIVMSG logcaster :\x01${command} x\x01`));
    const answers = (await alice.barrier()).map(untagged);
    expect(answers.map((line) => /NOTICE alice :\x01(\S+)/.exec(line)?.[1])).toEqual(listed);
  });
});

describe('IRCv3 capabilities', () => {
  it('offers and acknowledges every capability irc-framework asks for', async () => {
    const server = await start();
    const alice = await user(server, 'alice', { enable_echomessage: true });
    expect([...alice.irc.network.cap.enabled].sort()).toEqual([
      'away-notify',
      'batch',
      'echo-message',
      'invite-notify',
      'message-tags',
      'multi-prefix',
      'server-time',
      'userhost-in-names',
    ]);
  });

  it('shows every prefix with multi-prefix and only the highest without it', async () => {
    const server = await start();
    const alice = await user(server, 'alice');
    const raw = await RawClient.connect(server.ircPort);
    try {
      await raw.register('plain');
      alice.send('JOIN #p');
      await alice.barrier();
      raw.send('JOIN #p');
      await raw.barrier();
      alice.send('MODE #p +v alice', 'NAMES #p', 'WHO #p');
      const lines = summary(await alice.barrier());
      expect(lines).toContain('353 alice = #p @+alice!~alice@127.0.0.1 plain!~plain@127.0.0.1');
      expect(lines).toContain('352 alice #p ~alice 127.0.0.1 test.local alice H@+ 0 Test alice');
      raw.send('NAMES #p');
      expect(await raw.barrier()).toContain(':test.local 353 plain = #p :@alice plain');
    } finally {
      raw.send('QUIT');
      await raw.closed;
    }
  });

  it('echoes a message to its sender with echo-message, tags and time included', async () => {
    const server = await start();
    const alice = await user(server, 'alice', { enable_echomessage: true });
    const bob = await user(server, 'bob');
    alice.send('JOIN #e');
    bob.send('JOIN #e');
    await bob.barrier();
    await alice.barrier();
    alice.send('@+draft/reply=abc;+example.com/x=a\\sb PRIVMSG #e :hello', 'PRIVMSG bob :direct', 'TAGMSG #e');
    const echoed = await alice.barrier();
    expect(echoed[0]).toMatch(/^@time=\S+;msgid=\S+;\+draft\/reply=abc;\+example\.com\/x=a\\sb :alice!~alice@127\.0\.0\.1 PRIVMSG #e :hello$/);
    expect(untagged(echoed[1])).toBe(':alice!~alice@127.0.0.1 PRIVMSG bob :direct');
    expect(untagged(echoed[2])).toBe(':alice!~alice@127.0.0.1 TAGMSG #e');
    const got = await bob.barrier();
    // Client tags relayed to a message-tags client, server tags never taken from clients.
    expect(got[0]).toMatch(/^@time=\S+;msgid=\S+;\+draft\/reply=abc;\+example\.com\/x=a\\sb :alice!~alice@127\.0\.0\.1 PRIVMSG #e :hello$/);
    expect(untagged(got[1])).toBe(':alice!~alice@127.0.0.1 PRIVMSG bob :direct');
    expect(untagged(got[2])).toBe(':alice!~alice@127.0.0.1 TAGMSG #e');
    expect(got).toHaveLength(3);
  });

  it('strips client tags and TAGMSG for clients without message-tags, and never echoes without echo-message', async () => {
    const server = await start();
    const alice = await user(server, 'alice');
    const raw = await RawClient.connect(server.ircPort);
    try {
      await raw.register('plain');
      alice.send('@+draft/reply=abc PRIVMSG plain :hi', 'TAGMSG plain', '@time=2000-01-01T00:00:00.000Z PRIVMSG plain :forged?');
      expect(await alice.barrier()).toEqual([]);
      expect(await raw.barrier()).toEqual([':alice!~alice@127.0.0.1 PRIVMSG plain :hi', ':alice!~alice@127.0.0.1 PRIVMSG plain :forged?']);
    } finally {
      raw.send('QUIT');
      await raw.closed;
    }
  });

  it('tells channel members with away-notify when someone goes away or comes back, and answers 301', async () => {
    const server = await start();
    const alice = await user(server, 'alice');
    const bob = await user(server, 'bob');
    alice.send('JOIN #a');
    bob.send('JOIN #a');
    await bob.barrier();
    await alice.barrier();
    bob.send('AWAY :coffee');
    expect(summary(await bob.barrier())).toEqual(['306 bob You have been marked as being away']);
    expect(await alice.barrier()).toEqual([':bob!~bob@127.0.0.1 AWAY :coffee']);
    alice.send('PRIVMSG bob :there?');
    expect(summary(await alice.barrier())).toEqual(['301 alice bob coffee']);
    bob.send('AWAY');
    await bob.barrier();
    expect((await alice.barrier()).filter((line) => line.includes('AWAY'))).toEqual([':bob!~bob@127.0.0.1 AWAY']);
  });

  it('gives each message a msgid: the same in the echo and for every recipient, only to message-tags clients', async () => {
    const server = await start();
    const raws = await Promise.all([0, 1, 2, 3].map(() => RawClient.connect(server.ircPort)));
    const [alice, bob, carol, dave] = raws;
    const msgid = (line: string | undefined): string | undefined => RawClient.parse(line ?? '').tags.get('msgid');
    try {
      await alice.register('alice', { caps: ['message-tags', 'echo-message'] });
      await bob.register('bob', { caps: ['message-tags'] });
      await carol.register('carol', { caps: ['server-time'] });
      await dave.register('dave');
      for (const raw of raws) raw.send('JOIN #m');
      for (const raw of raws) await raw.barrier();
      alice.send('@+draft/react=x PRIVMSG #m :one', 'PRIVMSG #m :two', 'TAGMSG #m', 'PRIVMSG bob :direct');
      const echoed = await alice.barrier();
      const got = await bob.barrier();
      expect(got.map((line) => RawClient.parse(line).command)).toEqual(['PRIVMSG', 'PRIVMSG', 'TAGMSG', 'PRIVMSG']);
      const ids = got.map(msgid);
      expect(echoed.map(msgid)).toEqual(ids);
      expect(new Set(ids).size).toBe(4); // one per message, none missing
      for (const id of ids) expect(id).toMatch(/^[\w-]{8,}$/);
      expect(got[0]).toMatch(/^@msgid=\S+;\+draft\/react=x :alice!~alice@127\.0\.0\.1 PRIVMSG #m :one$/);
      // Without message-tags: no msgid (server-time alone gets only @time=), and no TAGMSG.
      expect((await carol.barrier()).map((line) => line.replace(/^@time=\S+ /, ''))).toEqual([
        ':alice!~alice@127.0.0.1 PRIVMSG #m :one',
        ':alice!~alice@127.0.0.1 PRIVMSG #m :two',
      ]);
      expect(await dave.barrier()).toEqual([':alice!~alice@127.0.0.1 PRIVMSG #m :one', ':alice!~alice@127.0.0.1 PRIVMSG #m :two']);
      // The bot's CTCP answers are messages too.
      bob.send('PRIVMSG logcaster :\x01PING 1\x01');
      expect(msgid((await bob.barrier())[0])).toMatch(/^[\w-]{8,}$/);
    } finally {
      for (const raw of raws) raw.send('QUIT');
      await Promise.all(raws.map((raw) => raw.closed));
    }
  });

  it('relays client tags that fill the whole 4,094-byte client budget, and answers 417 one byte past it', async () => {
    const server = await start();
    const alice = await RawClient.connect(server.ircPort);
    const bob = await RawClient.connect(server.ircPort);
    try {
      await alice.register('alice', { caps: ['message-tags', 'echo-message', 'server-time'] });
      await bob.register('bob', { caps: ['message-tags'] });
      alice.send('JOIN #big');
      bob.send('JOIN #big');
      await alice.barrier();
      await bob.barrier();
      // Tag data (between `@` and the space) of exactly 4,094 bytes, 8 of them a server tag the
      // server drops; then a full 510-byte rest of line.
      const full = `@foo=bar;+baz=${'a'.repeat(4081)}`;
      expect(full.length).toBe(4095);
      alice.send(`${full} TAGMSG #big`, `${full} PRIVMSG #big ${'b'.repeat(496)}`);
      const echoed = (await alice.barrier()).map((line) => RawClient.parse(line));
      const got = (await bob.barrier()).map((line) => RawClient.parse(line));
      expect(got.map((m) => m.command)).toEqual(['TAGMSG', 'PRIVMSG']);
      for (const [i, message] of [...echoed, ...got].entries()) {
        expect(message.tags.get('+baz')).toBe('a'.repeat(4081));
        expect(message.tags.has('foo')).toBe(false);
        expect(message.tags.get('msgid')).toMatch(/^[\w-]{8,}$/);
        expect(message.tags.get('msgid')).toBe((i < 2 ? got : echoed)[i % 2].tags.get('msgid'));
      }
      expect(echoed[0].tags.has('time')).toBe(true); // the server's tags come on top of the client's
      expect(got[1].params[1]).toMatch(/^b{400,496}$/);
      // One byte more of tag data: refused whole, never relayed cut.
      alice.send(`@foo=bar;+baz=${'a'.repeat(4082)} TAGMSG #big`);
      expect(RawClient.parse((await alice.barrier())[0]).command).toBe('417');
      expect(await bob.barrier()).toEqual([]);
    } finally {
      alice.send('QUIT');
      bob.send('QUIT');
      await Promise.all([alice.closed, bob.closed]);
    }
  });

  it('stamps chat with @time for server-time clients only', async () => {
    const server = await start();
    const alice = await user(server, 'alice');
    const bob = await user(server, 'bob');
    const raw = await RawClient.connect(server.ircPort);
    try {
      await raw.register('plain');
      alice.send('JOIN #t');
      bob.send('JOIN #t');
      raw.send('JOIN #t');
      await raw.barrier();
      await bob.barrier();
      await alice.barrier();
      alice.send('PRIVMSG #t :stamped?');
      await alice.barrier();
      expect((await bob.barrier()).at(-1)).toMatch(/^@time=\d{4}-\d\d-\d\dT[\d:.]+Z;msgid=\S+ :alice!~alice@127\.0\.0\.1 PRIVMSG #t :stamped\?$/);
      expect((await raw.barrier()).at(-1)).toBe(':alice!~alice@127.0.0.1 PRIVMSG #t :stamped?');
    } finally {
      raw.send('QUIT');
      await raw.closed;
    }
  });
});
