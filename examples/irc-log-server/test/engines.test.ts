/**
 * One IRC network on two real node processes, on each engine `--redis` has beside it: a Redis
 * Cluster of three masters (`--redis-cluster`) and a nats-server with JetStream (`--nats`).
 * On each, as on one Redis (cluster-chat.test.ts, two-nodes.test.ts): users on the two nodes
 * chat in a channel and privately, a log line sent to one node reaches a client on the other,
 * a nick held on one node is refused on the other (433), a channel's topic set on one node is
 * seen on the other, and a node started later shows on join what the others logged.
 */
import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeWithNats, startNatsCluster, type NatsCluster } from '../../../test/helpers/nats-server.js';
import { startRedisCluster, type RedisCluster } from '../../../test/helpers/redis-cluster.js';
import { describeWithRedis, freePort } from '../../../test/helpers/redis-server.js';
import { IrcUser } from './irc-user.js';
import { allOutput, killNodesAfterEach, startNode, type NodeProcess } from './node-process.js';
import { until } from './raw-client.js';

const users: IrcUser[] = [];

killNodesAfterEach();
afterEach(async () => {
  await Promise.all(users.splice(0).map((user) => user.quit()));
});

/** Sends one JSON Lines entry to a node's ingest port. */
function sendEntry(port: number, entry: object): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(`${JSON.stringify(entry)}\n`));
    socket.once('error', reject);
    socket.once('close', () => resolve());
  });
}

async function user(node: NodeProcess, nick: string): Promise<IrcUser> {
  const made = await IrcUser.connect(node.ready.ircPort, nick);
  users.push(made);
  return made;
}

const untagged = (line: string): string => line.replace(/^@\S+ /, '');

/** Asks `NAMES channel` until the nicks listed are `names` (space-separated, in this order). */
async function namesAre(who: IrcUser, channel: string, names: string): Promise<void> {
  let last = '';
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    who.send(`NAMES ${channel}`);
    const listed = IrcUser.only(await who.barrier(), '353').flatMap((message) => (message.params.at(-1) ?? '').split(' '));
    last = listed.map((entry) => entry.replace(/!.*$/, '')).join(' ');
    if (last === names) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`NAMES ${channel}: wanted ${names}, got ${last}`);
}

/** Two nodes joined by `engine` (`['--nats', url]`, …) behave as one network; `label` is the engine in B's metrics. */
async function twoNodesAsOne(engine: string[], label: string): Promise<void> {
  const args = ['--irc-port', '0', '--ingest-port', '0', '--http-port', 'off', '--no-demo', '--no-colour', '--history', '5', '--nick-claim-ttl-ms', '3000', ...engine];
  const metricsPort = await freePort();
  const [a, b] = await Promise.all([startNode('a.test', args), startNode('b.test', [...args, '--metrics-port', String(metricsPort)])]);
  try {
    const alice = await user(a, 'alice');
    const bob = await user(b, 'bob');

    // Chat in a channel across the nodes, both ways, each message once. alice makes #team on
    // A (its operator); B learns of it before bob joins (else both nodes make it, as in a
    // netsplit, and the later state wins whole: cluster-state.test.ts).
    alice.send('JOIN #team');
    await alice.barrier();
    await namesAre(bob, '#team', '@alice');
    bob.send('JOIN #team');
    await alice.waitFor(/:bob!\S+ JOIN #team/);
    alice.send('PRIVMSG #team :hello from node A');
    expect(untagged(await bob.waitFor(/PRIVMSG #team :hello from node A/))).toBe(':alice!~alice@127.0.0.1 PRIVMSG #team :hello from node A');
    bob.send('PRIVMSG #team :hello from node B');
    expect(untagged(await alice.waitFor(/PRIVMSG #team :hello from node B/))).toBe(':bob!~bob@127.0.0.1 PRIVMSG #team :hello from node B');
    alice.send('PRIVMSG bob :psst, bob');
    expect(untagged(await bob.waitFor(/PRIVMSG bob :psst/))).toBe(':alice!~alice@127.0.0.1 PRIVMSG bob :psst, bob');

    // Channel state is shared: a topic set on A is the topic on B.
    alice.send('TOPIC #team :shipping on Friday');
    await bob.waitFor(/TOPIC #team :shipping on Friday/);
    bob.send('TOPIC #team');
    expect(await bob.waitFor(/ 332 bob #team /)).toBe(':b.test 332 bob #team :shipping on Friday');

    // A log line sent to A reaches a client on B, once.
    bob.send('JOIN #logs-error');
    await bob.barrier();
    // The bot answers once the link has acknowledged B's subscriptions (the new channel's too).
    bob.send('PRIVMSG logcaster :stats');
    await bob.waitFor(/NOTICE bob :(?:redis cluster|nats): sent \d+/, 10_000);
    await sendEntry(a.ready.ingestPort ?? 0, { level: 'ERROR', service: 'payments', category: 'HTTP', message: 'card declined on node A' });
    const logged = await bob.waitFor(/PRIVMSG #logs-error :.*card declined on node A/, 10_000);
    expect(untagged(logged)).toBe(':logcaster!logcaster@b.test PRIVMSG #logs-error :[ERROR] payments/HTTP: card declined on node A');
    expect(bob.lines.filter((line) => line.includes('card declined on node A'))).toHaveLength(1);

    // The join backlog is shared: a node started after the line was logged shows it on join
    // (its own history never saw it: only the engine's store did).
    const c = await startNode('c.test', args);
    const cora = await user(c, 'cora');
    cora.send('JOIN #logs-error');
    // (irc-framework takes server-time and batch, so the replay is a chathistory batch.)
    const replayed = await cora.waitFor(/PRIVMSG #logs-error :.*card declined on node A/, 5000);
    expect(replayed).toMatch(/^@batch=\S+ :logcaster!logcaster@c\.test PRIVMSG #logs-error :\[ERROR\] payments\/HTTP: card declined on node A$/);

    // Nicks are unique across the nodes, in any case.
    bob.send('NICK ALICE');
    expect(await bob.waitFor(/ 433 bob ALICE /)).toBe(':b.test 433 bob ALICE :Nickname is already in use');
    alice.send('NICK Bob');
    expect(await alice.waitFor(/ 433 alice Bob /)).toBe(':a.test 433 alice Bob :Nickname is already in use');
    // A nick given back on one node can be taken on the other. (The release travels apart
    // from the NICK line that says it: through NATS, JetStream may store it a moment after B
    // heard of the change, and B says 433 until then; asked again meanwhile.)
    alice.send('NICK alicia');
    await bob.waitFor(/:alice!\S+ NICK :?alicia$/);
    const reply = / 433 bob alice :Nickname is already in use$|:bob!\S+ NICK :?alice$/;
    let answer = '';
    for (let attempt = 0; attempt < 20 && !answer.includes(' NICK '); attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      const from = bob.lines.length;
      bob.send('NICK alice');
      await until(() => bob.lines.slice(from).some((line) => reply.test(line)), 5000, 'an answer to NICK alice');
      answer = bob.lines.slice(from).find((line) => reply.test(line)) ?? '';
    }
    expect(untagged(answer)).toBe(':bob!~bob@127.0.0.1 NICK :alice');

    // B's metrics count what crossed, under names that do not say redis on another engine.
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const delivered = new RegExp(`^logcaster_cluster_delivered_total\\{engine="${label}"\\} (\\d+)$`, 'm').exec(metrics);
    expect(Number(delivered?.[1])).toBeGreaterThan(0);
    expect(metrics).not.toMatch(/^logcaster_redis_/m);
  } catch (error) {
    console.error(allOutput());
    throw error;
  }
}

describeWithRedis('two nodes on a Redis Cluster (--redis-cluster)', (binary) => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster(binary, 3);
  }, 30_000);
  afterAll(async () => {
    await cluster?.close();
  });

  it('are one network: chat, log lines, channel state, the join backlog and unique nicks', async () => {
    await twoNodesAsOne(['--redis-cluster', cluster.startupNodes.map(({ host, port }) => `${host}:${port}`).join(',')], 'redis_cluster');
  }, 40_000);
});

describeWithNats('two nodes on NATS with JetStream (--nats)', (binary) => {
  let nats: NatsCluster;
  beforeAll(async () => {
    nats = await startNatsCluster(binary, { jetstream: true });
  });
  afterAll(async () => {
    await nats?.close();
  });

  it('are one network: chat, log lines, channel state, the join backlog and unique nicks', async () => {
    await twoNodesAsOne(['--nats', nats.urls[0]], 'nats');
  }, 40_000);

  it('refuses to start, saying why, when NATS cannot be reached or has JetStream off', async () => {
    const args = ['--irc-port', '0', '--ingest-port', 'off', '--http-port', 'off', '--no-demo'];
    const nowhere = `nats://127.0.0.1:${await freePort()}`;
    await expect(startNode('a.test', [...args, '--nats', nowhere])).rejects.toThrow(
      new RegExp(`exited with 1: .*irc-log-server: cannot start: nats: cannot reach ${nowhere.replace(/[.]/g, '\\.')} `, 's'),
    );
    const plain = await startNatsCluster(binary);
    try {
      await expect(startNode('b.test', [...args, '--nats', plain.urls[0]])).rejects.toThrow(/exited with 1: .*cannot start: nats: \S+ has no JetStream .*start nats-server with -js/s);
    } finally {
      await plain.close();
    }
  }, 40_000);
});
