/**
 * Ordinary channels with real clients (irc-framework): made by the first JOIN, run by their
 * operators, gone with the last member. Numerics as RFC 2812 / Modern IRC name them:
 * 331/332/333 TOPIC, 353/366 NAMES, 324/329 MODE, 367/368 ban list, 341 INVITE, 403 442 441
 * 443 467 471 473 474 475 476 482.
 */
import { describe, expect, it } from 'vitest';
import { summary } from './irc-user.js';
import { ircNetwork } from './irc-network.js';

const { start, user } = ircNetwork();

describe('ordinary channels', () => {
  it('creates a channel on first JOIN, makes its creator operator, and forgets it when empty', async () => {
    const server = await start();
    const alice = await user(server, 'alice');
    alice.send('JOIN #ops');
    // No topic yet: no 331 on JOIN (Modern IRC), then NAMES with the creator as @
    // (irc-framework asks for userhost-in-names, so NAMES shows nick!user@host).
    expect(summary(await alice.barrier())).toEqual(['JOIN #ops', '353 alice = #ops @alice!~alice@127.0.0.1', '366 alice #ops End of /NAMES list.']);
    alice.send('TOPIC #ops', 'MODE #ops');
    const replies = summary(await alice.barrier());
    expect(replies[0]).toBe('331 alice #ops No topic is set');
    expect(replies[1]).toBe('324 alice #ops +nt');
    expect(replies[2]).toMatch(/^329 alice #ops \d+$/);
    alice.send('PART #ops :bye', 'LIST #ops', 'PART #ops');
    expect(summary(await alice.barrier())).toEqual([
      'PART #ops bye',
      '321 alice Channel Users  Name',
      '323 alice End of /LIST',
      // The last member left: the channel is gone.
      '403 alice #ops No such channel',
    ]);
  });

  it('lets two users chat in an ad-hoc channel, with topic, modes and a KICK', async () => {
    const server = await start();
    const alice = await user(server, 'alice');
    const bob = await user(server, 'bob');
    alice.send('JOIN #team');
    await alice.barrier();
    bob.send('JOIN #team');
    expect(summary(await bob.barrier())).toEqual(['JOIN #team', '353 bob = #team @alice!~alice@127.0.0.1 bob!~bob@127.0.0.1', '366 bob #team End of /NAMES list.']);
    expect(summary(await alice.barrier())).toEqual(['JOIN #team']);

    bob.send('PRIVMSG #team :hi alice');
    await bob.barrier();
    expect(await alice.barrier()).toEqual([expect.stringMatching(/^@time=\S+;msgid=\S+ :bob!~bob@127\.0\.0\.1 PRIVMSG #team :hi alice$/)]);

    // +t: only operators set the topic; 332/333 show it and who set it.
    bob.send('TOPIC #team :mine now');
    expect(summary(await bob.barrier())).toEqual(["482 bob #team You're not channel operator"]);
    alice.send('TOPIC #team :incident 42');
    await alice.barrier();
    bob.send('TOPIC #team');
    const topic = summary(await bob.barrier());
    expect(topic[0]).toBe('TOPIC #team incident 42');
    expect(topic[1]).toBe('332 bob #team incident 42');
    expect(topic[2]).toMatch(/^333 bob #team alice!~alice@127\.0\.0\.1 \d+$/);

    // +m: bob cannot speak until voiced; one MODE line announces what was applied.
    alice.send('MODE #team +m');
    await alice.barrier();
    bob.send('PRIVMSG #team :can I?');
    expect(summary(await bob.barrier())).toEqual(['MODE #team +m', '404 bob #team Cannot send to channel (+m)']);
    alice.send('MODE #team +v bob');
    await alice.barrier();
    bob.send('PRIVMSG #team :thanks');
    expect(summary(await bob.barrier())).toEqual(['MODE #team +v bob']);
    expect(summary(await alice.barrier())).toEqual(['PRIVMSG #team thanks']);

    // Non-operators cannot change modes or kick.
    bob.send('MODE #team +i', 'KICK #team alice');
    expect(summary(await bob.barrier())).toEqual([
      "482 bob #team You're not channel operator",
      "482 bob #team You're not channel operator",
    ]);

    alice.send('KICK #team bob :enough', 'KICK #team bob', 'KICK #team nobody');
    expect(summary(await alice.barrier())).toEqual([
      'KICK #team bob enough',
      "441 alice bob #team They aren't on that channel",
      '401 alice nobody No such nick/channel',
    ]);
    expect(summary(await bob.barrier())).toEqual(['KICK #team bob enough']);
    bob.send('PRIVMSG #team :let me back', 'NAMES #team');
    expect(summary(await bob.barrier())).toEqual([
      '404 bob #team Cannot send to channel (no external messages)',
      '353 bob = #team @alice!~alice@127.0.0.1',
      '366 bob #team End of /NAMES list.',
    ]);
  });

  it('checks +i, +k, +l and +b on JOIN (473, 475, 471, 474), and INVITE lets one in (341)', async () => {
    const server = await start();
    const alice = await user(server, 'alice');
    const bob = await user(server, 'bob');
    const carol = await user(server, 'carol');
    alice.send('JOIN #locked', 'MODE #locked +ik sesame', 'MODE #locked +k other', 'MODE #locked');
    const set = summary(await alice.barrier());
    expect(set).toContain('MODE #locked +ik sesame');
    expect(set).toContain('467 alice #locked Channel key already set');
    expect(set).toContain('324 alice #locked +intk sesame');

    bob.send('JOIN #locked sesame');
    expect(summary(await bob.barrier())).toEqual(['473 bob #locked Cannot join channel (+i)']);
    bob.send('INVITE carol #locked');
    expect(summary(await bob.barrier())).toEqual(["442 bob #locked You're not on that channel"]);
    alice.send('INVITE bob #locked', 'INVITE alice #locked', 'INVITE ghost #locked');
    expect(summary(await alice.barrier())).toEqual([
      '341 alice bob #locked',
      '443 alice alice #locked is already on channel',
      '401 alice ghost No such nick/channel',
    ]);
    expect(await bob.barrier()).toEqual([':alice!~alice@127.0.0.1 INVITE bob :#locked']);
    // Invited, but the key still applies; with it, in. Outsiders see the key as *.
    bob.send('JOIN #locked wrong', 'JOIN #locked sesame');
    expect(summary(await bob.barrier()).slice(0, 2)).toEqual(['475 bob #locked Cannot join channel (+k)', 'JOIN #locked']);
    carol.send('MODE #locked');
    expect(summary(await carol.barrier())[0]).toBe('324 carol #locked +intk *');

    alice.send('MODE #locked -ik *', 'MODE #locked +l 2');
    await alice.barrier();
    carol.send('JOIN #locked');
    expect(summary(await carol.barrier())).toEqual(['471 carol #locked Cannot join channel (+l)']);

    alice.send('MODE #locked -l', 'MODE #locked +b carol', 'MODE #locked +b');
    const bans = summary(await alice.barrier());
    expect(bans).toContain('MODE #locked +b carol!*@*');
    expect(bans.find((line) => line.startsWith('367'))).toMatch(/^367 alice #locked carol!\*@\* alice!~alice@127\.0\.0\.1 \d+$/);
    expect(bans.at(-1)).toBe('368 alice #locked End of channel ban list');
    carol.send('JOIN #locked');
    expect(summary(await carol.barrier())).toEqual(['474 carol #locked Cannot join channel (+b)']);
  });

  it('refuses invalid keys and limits with 696, repeating the parameter only when it is one short word', async () => {
    const server = await start();
    const alice = await user(server, 'alice');
    alice.send('JOIN #keys');
    await alice.barrier();
    const longKey = 'k'.repeat(492); // MODE #keys +k :<492 bytes> is a full 510-byte line
    alice.send('MODE #keys +k :passphrase with spaces', `MODE #keys +k :${longKey}`, 'MODE #keys +k a,b', 'MODE #keys +l none', 'MODE #keys +l');
    const lines = await alice.barrier();
    expect(summary(lines)).toEqual([
      '696 alice #keys k * Invalid key: 1-23 printable characters, no comma',
      '696 alice #keys k * Invalid key: 1-23 printable characters, no comma',
      '696 alice #keys k a,b Invalid key: 1-23 printable characters, no comma',
      '696 alice #keys l none Invalid limit: a whole number from 1',
      '696 alice #keys l * Invalid limit: a whole number from 1',
    ]);
    for (const line of lines) expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(510);
    alice.send('MODE #keys');
    expect(summary(await alice.barrier())[0]).toBe('324 alice #keys +nt');
  });

  it('tells members with invite-notify about invitations (only the operators while +i)', async () => {
    const server = await start();
    const alice = await user(server, 'alice');
    const bob = await user(server, 'bob');
    await user(server, 'carol');
    await user(server, 'dave');
    alice.send('JOIN #inv');
    await alice.barrier();
    bob.send('JOIN #inv');
    await bob.barrier();
    await alice.barrier();
    bob.send('INVITE carol #inv');
    expect(summary(await bob.barrier())).toEqual(['341 bob carol #inv']);
    expect(await alice.barrier()).toEqual([':bob!~bob@127.0.0.1 INVITE carol :#inv']);
    alice.send('MODE #inv +i', 'INVITE dave #inv');
    await alice.barrier();
    expect(summary(await bob.barrier())).toEqual(['MODE #inv +i']);
  });

  it('matches JOIN keys to channels by position, and JOIN 0 leaves every channel', async () => {
    const server = await start();
    const alice = await user(server, 'alice');
    const bob = await user(server, 'bob');
    alice.send('JOIN #k1,#k2', 'MODE #k1 +k one', 'MODE #k2 +k two');
    await alice.barrier();
    bob.send('JOIN #k1,#k2,#k3 two,one');
    expect(summary(await bob.barrier()).filter((line) => !/^(353|366)/.test(line))).toEqual([
      '475 bob #k1 Cannot join channel (+k)',
      '475 bob #k2 Cannot join channel (+k)',
      'JOIN #k3',
    ]);
    bob.send('JOIN #k1,#k2 one,two');
    expect(summary(await bob.barrier()).filter((line) => line.startsWith('JOIN'))).toEqual(['JOIN #k1', 'JOIN #k2']);
    bob.send('JOIN 0');
    expect(summary(await bob.barrier())).toEqual(['PART #k3 Left all channels', 'PART #k1 Left all channels', 'PART #k2 Left all channels']);
    alice.send('LIST');
    expect(summary(await alice.barrier()).filter((line) => line.startsWith('322 alice #k'))).toEqual([
      '322 alice #k1 1 [+ntk *]',
      '322 alice #k2 1 [+ntk *]',
    ]);
  });

  it('answers bad names and unknown modes: 476, 403, 472, 441', async () => {
    const server = await start();
    const alice = await user(server, 'alice');
    alice.send('JOIN #ok,#bad\x07name,#\x02ok,nochan', 'MODE #ok +x', 'MODE #ok +o ghost', 'TOPIC #nowhere');
    expect(summary(await alice.barrier()).filter((line) => !/^(353|366)/.test(line))).toEqual([
      'JOIN #ok',
      '476 alice #badname Bad Channel Mask',
      '476 alice #ok Bad Channel Mask',
      '403 alice nochan No such channel',
      '472 alice x is unknown mode char to me',
      '401 alice ghost No such nick/channel',
      '403 alice #nowhere No such channel',
    ]);
  });

  it('hides +s channels from outsiders in LIST, NAMES and WHOIS', async () => {
    const server = await start();
    const alice = await user(server, 'alice');
    const bob = await user(server, 'bob');
    alice.send('JOIN #secret,#open', 'MODE #secret +s');
    await alice.barrier();
    bob.send('LIST', 'NAMES #secret', 'WHOIS alice');
    const seen = summary(await bob.barrier());
    expect(seen.filter((line) => line.startsWith('322')).map((line) => line.split(' ')[2])).toEqual([
      '#logs-all',
      '#logs-error',
      '#logs-warning',
      '#logs-database',
      '#logs-security',
      '#open',
    ]);
    expect(seen).toContain('366 bob #secret End of /NAMES list.');
    expect(seen).toContain('319 bob alice @#open');
  });

  it('keeps log channels server-owned while answering with the same numerics', async () => {
    const server = await start();
    const alice = await user(server, 'alice');
    alice.send('JOIN #logs-all', 'TOPIC #logs-all :mine', 'MODE #logs-all +m', 'KICK #logs-all logcaster', 'MODE #logs-all', 'INVITE alice #logs-all');
    const lines = summary(await alice.barrier()).filter((line) => !/^(JOIN|332|333|353|366)/.test(line));
    expect(lines[0]).toBe("482 alice #logs-all You're not channel operator: topics say what a channel carries");
    expect(lines[1]).toBe("482 alice #logs-all You're not channel operator");
    expect(lines[2]).toBe("482 alice #logs-all You're not channel operator");
    expect(lines[3]).toBe('324 alice #logs-all +nt');
    expect(lines[4]).toMatch(/^329 alice #logs-all \d+$/);
    expect(lines[5]).toBe('443 alice alice #logs-all is already on channel');
  });
});
