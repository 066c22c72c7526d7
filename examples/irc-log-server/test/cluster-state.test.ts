/**
 * Two real nodes on one real redis-server are one IRC network: NAMES, TOPIC, channel modes,
 * operators, KICK and WHOIS agree on both, a node started later learns what the other has,
 * and the users of a node that dies quit on the other once the node timeout is up.
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeWithRedis, startRedisServer, type RedisServer } from '../../../test/helpers/redis-server.js';
import { IrcUser } from './irc-user.js';
import { allOutput, killNodesAfterEach, startNode, type NodeProcess } from './node-process.js';

const NODE_TIMEOUT_MS = 1500;

const users: IrcUser[] = [];
killNodesAfterEach();
afterEach(async () => {
  await Promise.all(users.splice(0).map((user) => user.quit()));
});

const untagged = (line: string): string => line.replace(/^@\S+ /, '');

/** A node on `redis`: no web viewer, no demo, no ingest; a short node timeout. */
function node(name: string, redis: RedisServer): Promise<NodeProcess> {
  return startNode(name, ['--irc-port', '0', '--ingest-port', 'off', '--http-port', 'off', '--no-demo', '--redis', redis.url, '--nick-claim-ttl-ms', String(NODE_TIMEOUT_MS)]);
}

async function user(at: NodeProcess, nick: string): Promise<IrcUser> {
  const made = await IrcUser.connect(at.ready.ircPort, nick);
  users.push(made);
  return made;
}

/** Asks `NAMES channel` until the answer lists exactly `names` (in any order): the nodes agree. */
async function namesAgree(who: IrcUser, channel: string, names: string[], timeoutMs = 5000): Promise<void> {
  const wanted = [...names].sort().join(' ');
  let last = '';
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    who.send(`NAMES ${channel}`);
    const lines = await who.barrier();
    // Entries as irc-framework asks for them (multi-prefix, userhost-in-names): `@nick!user@host`.
    last = IrcUser.only(lines, '353')
      .flatMap((message) => (message.params.at(-1) ?? '').split(' '))
      .map((entry) => entry.replace(/!.*$/, ''))
      .sort()
      .join(' ');
    if (last === wanted) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`NAMES ${channel}: wanted ${wanted}, got ${last}`);
}

/** Every line of `who` since its last barrier, after a barrier now. */
async function linesOf(who: IrcUser): Promise<string[]> {
  return (await who.barrier()).map(untagged);
}

describeWithRedis('two nodes, one IRC network', (binary) => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer(binary);
  });
  afterAll(async () => {
    await redis.close();
  });

  it('agrees on NAMES, TOPIC, modes, operators, KICK and WHOIS', async () => {
    try {
      const [a, b] = await Promise.all([node('a.test', redis), node('b.test', redis)]);
      const alice = await user(a, 'alice');
      const bob = await user(b, 'bob');

      // alice makes #team on A (its operator); B learns of it before bob joins.
      alice.send('JOIN #team');
      await alice.barrier();
      await namesAgree(bob, '#team', ['@alice']);
      bob.send('JOIN #team');
      expect(untagged(await alice.waitFor(/:bob!\S+ JOIN #team$/))).toBe(':bob!~bob@127.0.0.1 JOIN #team');
      await namesAgree(bob, '#team', ['@alice', 'bob']);
      await namesAgree(alice, '#team', ['@alice', 'bob']);

      // A topic set on A is B's topic; a mode set on A is enforced on B.
      alice.send('TOPIC #team :release at five', 'MODE #team +m');
      expect(untagged(await bob.waitFor(/ TOPIC #team /))).toBe(':alice!~alice@127.0.0.1 TOPIC #team :release at five');
      expect(untagged(await bob.waitFor(/ MODE #team \+m/))).toBe(':alice!~alice@127.0.0.1 MODE #team +m');
      bob.send('TOPIC #team', 'PRIVMSG #team :can anyone hear me?');
      const seen = await linesOf(bob);
      expect(seen).toContain(':b.test 332 bob #team :release at five');
      expect(seen.find((line) => / 333 bob #team /.test(line))).toMatch(/^:b\.test 333 bob #team alice!~alice@127\.0\.0\.1 \d+$/);
      expect(seen).toContain(':b.test 404 bob #team :Cannot send to channel (+m)');
      bob.send('MODE #team +o bob');
      expect(await linesOf(bob)).toContain(":b.test 482 bob #team :You're not channel operator");

      // Voice and operator status given on A to a member on B count on B.
      alice.send('MODE #team +v bob');
      await bob.waitFor(/ MODE #team \+v bob/);
      bob.send('PRIVMSG #team :now I can');
      expect(untagged(await alice.waitFor(/PRIVMSG #team :now I can/))).toBe(':bob!~bob@127.0.0.1 PRIVMSG #team :now I can');
      alice.send('MODE #team +o bob');
      await bob.waitFor(/ MODE #team \+o bob/);
      await namesAgree(alice, '#team', ['@alice', '@+bob']);
      await namesAgree(bob, '#team', ['@alice', '@+bob']);
      bob.send('MODE #team -m');
      expect(untagged(await alice.waitFor(/ MODE #team -m/))).toBe(':bob!~bob@127.0.0.1 MODE #team -m');

      // WHOIS of a user on the other node: its channels, its server.
      alice.send('WHOIS bob');
      const whois = await linesOf(alice);
      expect(whois).toContain(':a.test 311 alice bob ~bob 127.0.0.1 * :Test bob');
      expect(whois).toContain(':a.test 319 alice bob @+#team');
      expect(whois).toContain(':a.test 312 alice bob b.test logcaster');
      expect(whois).toContain(':a.test 318 alice bob :End of /WHOIS list.');

      // KICK from B of a member on A: everyone sees it, and both nodes drop the member.
      bob.send('KICK #team alice :over to you');
      expect(untagged(await alice.waitFor(/ KICK #team alice /))).toBe(':bob!~bob@127.0.0.1 KICK #team alice :over to you');
      await namesAgree(bob, '#team', ['@+bob']);
      alice.send('PRIVMSG #team :still here?');
      expect(await linesOf(alice)).toContain(':a.test 404 alice #team :Cannot send to channel (no external messages)');
      await namesAgree(alice, '#team', ['@+bob']);
    } catch (error) {
      console.error(allOutput());
      throw error;
    }
  }, 60_000);

  it('tells a node started later what the other has, and forgets the users of a node that dies', async () => {
    try {
      const a = await node('a.test', redis);
      const alice = await user(a, 'alice');
      alice.send('JOIN #late,#logs-error', 'TOPIC #late :set before B existed', 'MODE #late +s');
      await alice.barrier();

      const b = await node('b.test', redis);
      const bob = await user(b, 'bob');
      await namesAgree(bob, '#logs-error', ['@logcaster', 'alice']);
      bob.send('JOIN #late');
      await bob.barrier();
      await namesAgree(bob, '#late', ['@alice', 'bob']);
      bob.send('TOPIC #late', 'MODE #late');
      const seen = await linesOf(bob);
      expect(seen).toContain(':b.test 332 bob #late :set before B existed');
      expect(seen).toContain(':b.test 324 bob #late +nst');
      bob.send('WHOIS alice');
      expect(await linesOf(bob)).toContain(':b.test 312 bob alice a.test logcaster');

      // A dies without a word: after the node timeout (and at most one heartbeat more), B says
      // alice quit in a netsplit and forgets her.
      const killedAt = Date.now();
      a.child.kill('SIGKILL');
      expect(untagged(await bob.waitFor(/:alice!\S+ QUIT /, NODE_TIMEOUT_MS * 3))).toBe(':alice!~alice@127.0.0.1 QUIT :b.test a.test');
      expect(Date.now() - killedAt).toBeGreaterThanOrEqual(NODE_TIMEOUT_MS - 600);
      await namesAgree(bob, '#late', ['bob']);
      bob.send('WHOIS alice');
      expect(await linesOf(bob)).toContain(':b.test 401 bob alice :No such nick/channel');
    } catch (error) {
      console.error(allOutput());
      throw error;
    }
  }, 60_000);
});

