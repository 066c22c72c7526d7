/**
 * One IRC network across two real node processes sharing a real redis-server: users on
 * different nodes chat in a channel and by PRIVMSG/NOTICE, a nick held on one node is refused
 * on the other (433), and a dead node's nicks free themselves once their claim expires.
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeWithRedis, startRedisServer, type RedisServer } from '../../../test/helpers/redis-server.js';
import { IrcUser } from './irc-user.js';
import { allOutput, killNodesAfterEach, startNode } from './node-process.js';
import { RawClient } from './raw-client.js';

const CLAIM_TTL_MS = 1500;

const users: IrcUser[] = [];
const raws: RawClient[] = [];

killNodesAfterEach();
afterEach(async () => {
  for (const raw of raws.splice(0)) await raw.close();
  await Promise.all(users.splice(0).map((user) => user.quit()));
});

/** main.ts as a real process (it exits when this process goes: IPC disconnect). */
function node(name: string, redisUrl: string) {
  return startNode(name, ['--irc-port', '0', '--ingest-port', 'off', '--http-port', 'off', '--no-demo', '--redis', redisUrl, '--nick-claim-ttl-ms', String(CLAIM_TTL_MS)]);
}

const untagged = (line: string): string => line.replace(/^@\S+ /, '');

describeWithRedis('one IRC network on two nodes sharing one Redis', (binary) => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer(binary);
  });
  afterAll(async () => {
    await redis.close();
  });

  it('lets users on different nodes chat in a channel and privately, and keeps nicks unique across nodes', async () => {
    const [a, b] = await Promise.all([node('a.test', redis.url), node('b.test', redis.url)]);
    try {
      const alice = await IrcUser.connect(a.ready.ircPort, 'alice');
      users.push(alice);
      const bob = await IrcUser.connect(b.ready.ircPort, 'bob');
      users.push(bob);

      // One channel across both nodes: the messages cross.
      alice.send('JOIN #team');
      bob.send('JOIN #team');
      await alice.barrier();
      await bob.barrier();
      const cora = await IrcUser.connect(a.ready.ircPort, 'cora');
      users.push(cora);
      cora.send('JOIN #team');
      await cora.barrier();
      alice.send('PRIVMSG #team :hello from node A');
      const onB = await bob.waitFor(/PRIVMSG #team :hello from node A/);
      expect(untagged(onB)).toBe(':alice!~alice@127.0.0.1 PRIVMSG #team :hello from node A');
      // One msgid for the message, on both nodes.
      const msgid = (line: string): string | undefined => /[@;]msgid=([^; ]+)/.exec(line)?.[1];
      expect(msgid(onB)).toMatch(/^[\w-]{8,}$/);
      expect(msgid(await cora.waitFor(/PRIVMSG #team :hello from node A/))).toBe(msgid(onB));
      bob.send('NOTICE #team :hello from node B');
      expect(untagged(await alice.waitFor(/NOTICE #team :hello from node B/))).toBe(':bob!~bob@127.0.0.1 NOTICE #team :hello from node B');

      // A log channel is a channel too.
      alice.send('JOIN #logs-all');
      bob.send('JOIN #logs-all');
      await alice.barrier();
      await bob.barrier();
      bob.send('PRIVMSG #logs-all :who is on the payments errors?');
      expect(untagged(await alice.waitFor(/PRIVMSG #logs-all :who is on/))).toBe(':bob!~bob@127.0.0.1 PRIVMSG #logs-all :who is on the payments errors?');

      // Private messages to a nick on the other node; 401 for a nick no node has.
      alice.send('PRIVMSG bob :psst, bob', 'PRIVMSG nobody :hello?');
      expect(untagged(await bob.waitFor(/PRIVMSG bob :psst/))).toBe(':alice!~alice@127.0.0.1 PRIVMSG bob :psst, bob');
      expect(await alice.waitFor(/ 401 alice nobody /)).toBe(':a.test 401 alice nobody :No such nick/channel');
      bob.send('PRIVMSG alice :\x01VERSION\x01');
      expect(untagged(await alice.waitFor(/PRIVMSG alice :\x01VERSION\x01/))).toBe(':bob!~bob@127.0.0.1 PRIVMSG alice :\x01VERSION\x01');

      // Each message arrived once: no echo doubling through Redis.
      expect(bob.lines.filter((line) => line.includes('hello from node A'))).toHaveLength(1);
      expect(alice.lines.filter((line) => line.includes('hello from node B'))).toHaveLength(1);
      expect(alice.lines.filter((line) => line.includes('hello from node B') || line.includes('hello from node A'))).toHaveLength(1);

      // alice is taken on A: refused on B, in any case.
      const copycat = await RawClient.connect(b.ready.ircPort);
      raws.push(copycat);
      copycat.send('NICK ALICE', 'USER c 0 * :copycat');
      expect(await copycat.waitFor(/ 433 /)).toBe(':b.test 433 * ALICE :Nickname is already in use');
      copycat.send('NICK carol');
      await copycat.waitFor(/ 001 carol /);
      copycat.send('NICK bob');
      expect(await copycat.waitFor(/ 433 carol /)).toBe(':b.test 433 carol bob :Nickname is already in use');

      // Node A dies without a word: nobody releases its claims, they expire, and alice is
      // free on B (asked again until then; refused meanwhile).
      a.child.kill('SIGKILL');
      let answer = '';
      for (let attempt = 0; attempt < 50 && !answer.includes(' NICK '); attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 200));
        copycat.send('NICK alice');
        answer = await copycat.waitFor(/ 433 carol alice | NICK :?alice$/, 5000);
      }
      expect(answer).toBe(':carol!~c@127.0.0.1 NICK :alice');
    } catch (error) {
      console.error(allOutput());
      throw error;
    }
  }, 30_000);
});
