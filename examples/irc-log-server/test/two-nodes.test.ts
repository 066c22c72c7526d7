import { connect } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithRedis, startRedisServer, type RedisServer } from '../../../test/helpers/redis-server.js';
import { allOutput, killNodesAfterEach, startNode } from './node-process.js';
import { RawClient, until } from './raw-client.js';

killNodesAfterEach();

function sendEntry(port: number, entry: object): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(`${JSON.stringify(entry)}\n`));
    socket.once('error', reject);
    socket.once('close', () => resolve());
  });
}

describeWithRedis('the IRC log server on two nodes sharing one Redis', (binary) => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer(binary);
  });
  afterAll(async () => {
    await redis.close();
  });

  it('shows a log sent to node A to an IRC client connected to node B', async () => {
    const common = ['--http-port', 'off', '--irc-port', '0', '--ingest-port', '0', '--no-demo', '--redis', redis.url];
    const [nodeA, nodeB] = await Promise.all([startNode('a.test', common), startNode('b.test', common)]);
    const [a, b] = [nodeA.ready, nodeB.ready];
    expect(a.ingestPort).not.toBeNull();

    const client = await RawClient.connect(b.ircPort);
    await client.register('watcher');
    client.send('JOIN #logs-error,#logs/payments/*');
    await client.barrier();

    // Node B's bridge subscribes to Redis after the JOIN, asynchronously (Pub/Sub is
    // at-most-once: an entry sent before that is lost by design). The bot answers `stats`
    // once the bridge's ready() resolved: from then on, entries from node A reach B.
    client.send('PRIVMSG logcaster :stats');
    await client.waitFor(/NOTICE watcher :redis: sent \d+/, 10_000);
    await sendEntry(a.ingestPort ?? 0, { level: 'ERROR', service: 'payments', category: 'HTTP', message: 'card declined on node A' });
    const wanted = /PRIVMSG #logs-error :.*card declined on node A/;
    const seen = await client.waitFor(wanted, 10_000).catch(() => undefined);
    if (seen === undefined) console.error(allOutput());
    expect(seen).toMatch(/^:logcaster!logcaster@b\.test PRIVMSG #logs-error :.*\[ERROR\].* payments\/HTTP: card declined on node A$/);
    // The pattern channel got it too (possibly before #logs-error, so search every line).
    await until(() => client.lines.some((line) => /PRIVMSG #logs\/payments\/\* :.*card declined on node A/.test(line)));
    // Exactly once per channel: no echo doubling through Redis.
    const copies = client.lines.filter((line) => line.includes(seen?.split(' :').at(-1) ?? '') && line.includes('#logs-error'));
    expect(copies).toHaveLength(1);
    await client.close();
  }, 40_000);
});
