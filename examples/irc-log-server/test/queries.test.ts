/**
 * What users ask the server about each other, with irc-framework clients: WHO (352/315) with
 * masks and `0`, WHOIS (311 319 312 301 317 318), WHOWAS (314 312 369, 406), LUSERS
 * (251 254 255 265 266), USERHOST (302) and ISON (303) agreeing about the bot, TIME (391),
 * LIST masks and `>n`/`<n` (321 322 323), OPER (491).
 */
import { describe, expect, it } from 'vitest';
import { summary } from './irc-user.js';
import { ircNetwork } from './irc-network.js';

const { start, user } = ircNetwork();

const who352 = (lines: string[]): string[] => summary(lines).filter((line) => line.startsWith('352')).map((line) => line.split(' ')[6]);

describe('user queries', () => {
  it('answers WHO with masks and 0, leaving out +i users the asker shares no channel with', async () => {
    const server = await start();
    const alice = await user(server, 'alice');
    const alan = await user(server, 'alan');
    await user(server, 'bob');
    alan.send('MODE alan +i');
    await alan.barrier();
    alice.send('WHO ali*', 'WHO 0', 'WHO *', 'WHO b*', 'WHO 127.0.0.*');
    const lines = await alice.barrier();
    const ends = summary(lines).filter((line) => line.startsWith('315'));
    expect(ends).toEqual([
      '315 alice ali* End of /WHO list.',
      '315 alice 0 End of /WHO list.',
      '315 alice * End of /WHO list.',
      '315 alice b* End of /WHO list.',
      '315 alice 127.0.0.* End of /WHO list.',
    ]);
    // One batch per query, in order: split at each 315.
    const batches: string[][] = [[]];
    for (const line of lines) {
      if (/ 315 /.test(line)) batches.push([]);
      else batches[batches.length - 1].push(line);
    }
    expect(who352(batches[0])).toEqual(['alice']);
    expect(who352(batches[1])).toEqual(['logcaster', 'alice', 'bob']);
    expect(who352(batches[2])).toEqual(['logcaster', 'alice', 'bob']);
    expect(who352(batches[3])).toEqual(['bob']);
    expect(who352(batches[4])).toEqual(['alice', 'bob']);
    // 352 <client> <channel> <user> <host> <server> <nick> <flags> :<hopcount> <realname>
    expect(batches[0]).toEqual([':test.local 352 alice * ~alice 127.0.0.1 test.local alice H :0 Test alice']);
    // Sharing a channel makes a +i user visible.
    alice.send('JOIN #x');
    alan.send('JOIN #x');
    await alan.barrier();
    await alice.barrier();
    alice.send('WHO ala*', 'WHO #x');
    expect(who352(await alice.barrier())).toEqual(['alan', 'alice', 'alan']);
  });

  it('answers WHO for a +i user asked for by exact nick, in any case, but not for a mask', async () => {
    const server = await start();
    const alice = await user(server, 'alice');
    const evan = await user(server, 'evan');
    evan.send('MODE evan +i');
    await evan.barrier();
    alice.send('WHO eva*');
    expect(who352(await alice.barrier())).toEqual([]);
    alice.send('WHO evan', 'WHO EVAN');
    const lines = await alice.barrier();
    expect(who352(lines)).toEqual(['evan', 'evan']);
    expect(summary(lines)[0]).toBe('352 alice * ~evan 127.0.0.1 test.local evan H 0 Test evan');
  });

  it('answers WHOIS with channels (319), idle and signon (317) and away (301)', async () => {
    let now = Date.UTC(2026, 10, 29, 12, 0, 0);
    const server = await start(() => now);
    const alice = await user(server, 'alice');
    const bob = await user(server, 'bob');
    bob.send('JOIN #ops,#logs-all', 'AWAY :lunch');
    await bob.barrier();
    now += 42_000;
    alice.send('WHOIS bob', 'WHOIS nobody', 'WHOIS logcaster');
    expect(summary(await alice.barrier())).toEqual([
      '311 alice bob ~bob 127.0.0.1 * Test bob',
      '319 alice bob @#ops #logs-all',
      '312 alice bob test.local logcaster',
      '301 alice bob lunch',
      `317 alice bob 42 ${Date.UTC(2026, 10, 29, 12, 0, 0) / 1000} seconds idle, signon time`,
      '318 alice bob End of /WHOIS list.',
      '401 alice nobody No such nick/channel',
      '318 alice nobody End of /WHOIS list.',
      '311 alice logcaster logcaster test.local * logcaster log bot: /msg logcaster help',
      '312 alice logcaster test.local logcaster',
      '318 alice logcaster End of /WHOIS list.',
    ]);
    // Speaking resets the idle time.
    bob.send('PRIVMSG alice :hi');
    await bob.barrier();
    now += 5_000;
    alice.send('WHOIS bob');
    expect(summary(await alice.barrier()).find((line) => line.startsWith('317'))).toMatch(/^317 alice bob 5 /);
  });

  it('remembers nicks that left or changed for WHOWAS (314, 312, 369; 406 when none)', async () => {
    const server = await start();
    const alice = await user(server, 'alice');
    const bob = await user(server, 'bob');
    bob.send('NICK robert');
    await bob.barrier();
    await bob.quit();
    alice.send('WHOWAS bob', 'WHOWAS robert 1', 'WHOWAS ghost');
    const lines = summary(await alice.barrier());
    expect(lines[0]).toBe('314 alice bob ~bob 127.0.0.1 * Test bob');
    expect(lines[1]).toMatch(/^312 alice bob test\.local \w{3}, /);
    expect(lines[2]).toBe('369 alice bob End of WHOWAS');
    expect(lines[3]).toBe('314 alice robert ~bob 127.0.0.1 * Test bob');
    expect(lines[5]).toBe('369 alice robert End of WHOWAS');
    expect(lines.slice(6)).toEqual(['406 alice ghost There was no such nickname', '369 alice ghost End of WHOWAS']);
  });

  it('counts users, invisible users and channels in LUSERS, with 265 and 266', async () => {
    const server = await start();
    const alice = await user(server, 'alice');
    const bob = await user(server, 'bob');
    bob.send('MODE bob +i', 'JOIN #a');
    await bob.barrier();
    alice.send('LUSERS');
    expect(summary(await alice.barrier())).toEqual([
      '251 alice There are 2 users and 1 invisible on 1 servers',
      '254 alice 1 channels formed',
      '255 alice I have 3 clients and 0 servers',
      '265 alice 3 3 Current local users 3, max 3',
      '266 alice 3 3 Current global users 3, max 3',
    ]);
  });

  it('agrees about who is online in USERHOST and ISON, the bot included', async () => {
    const server = await start();
    const alice = await user(server, 'alice');
    const bob = await user(server, 'bob');
    bob.send('AWAY :out');
    await bob.barrier();
    alice.send('USERHOST alice bob logcaster ghost', 'ISON alice bob logcaster ghost');
    expect(summary(await alice.barrier())).toEqual([
      '302 alice alice=+~alice@127.0.0.1 bob=-~bob@127.0.0.1 logcaster=+logcaster@test.local',
      '303 alice alice bob logcaster',
    ]);
  });

  it('answers TIME (391) and OPER (491: no operators here)', async () => {
    const server = await start(() => Date.UTC(2026, 10, 29, 21, 0, 0));
    const alice = await user(server, 'alice');
    alice.send('TIME', 'OPER root secret');
    expect(summary(await alice.barrier())).toEqual([
      '391 alice test.local Sun, 29 Nov 2026 21:00:00 GMT',
      '491 alice No O-lines for your host',
    ]);
  });

  it('filters LIST by name masks and by user count (>n, <n)', async () => {
    const server = await start();
    const alice = await user(server, 'alice');
    const bob = await user(server, 'bob');
    // LIST shows channels in creation order: alice creates all three before bob joins one (two
    // connections' lines are not ordered between them otherwise).
    alice.send('JOIN #dev,#devops,#ops');
    await alice.barrier();
    bob.send('JOIN #devops');
    await bob.barrier();
    const listed = async (query: string): Promise<string[]> => {
      alice.send(query);
      return summary(await alice.barrier())
        .filter((line) => line.startsWith('322'))
        .map((line) => `${line.split(' ')[2]}:${line.split(' ')[3]}`);
    };
    expect(await listed('LIST #dev*')).toEqual(['#dev:1', '#devops:2']);
    expect(await listed('LIST *ops')).toEqual(['#devops:2', '#ops:1']);
    expect(await listed('LIST >1')).toEqual(['#devops:2']);
    // The log channels count their bot.
    expect(await listed('LIST <2')).toEqual(['#logs-all:1', '#logs-error:1', '#logs-warning:1', '#logs-database:1', '#logs-security:1', '#dev:1', '#ops:1']);
  });
});
