/**
 * Every drop visible: one producer floods one ingest connection; whatever was not accepted is
 * counted by reason, in the source's counters, in /metrics, in the bot's stats, and in the
 * summary line the producer reads when it finishes.
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../server.js';
import { RawClient, until } from './raw-client.js';

const running: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

interface Summary {
  ok: boolean;
  summary: { lines: number; accepted: number; rateLimited: number; rejected: number; unauthorised: number };
}

/** Sends `payload` on one connection, half-closes, and resolves with every reply line. */
function produce(port: number, payload: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(received.split('\n').filter((line) => line !== '')));
    socket.end(payload);
  });
}

describe('a flooded ingest connection', () => {
  it('accounts for every line: accepted plus the drops by reason equals what was sent, everywhere', async ({ annotate }) => {
    const server = await startServer({ serverName: 'test.local', ircPort: 0, ingestPort: 0, metricsPort: 0, demo: false, history: 0 });
    running.push(server);
    const sent = 60_000;
    const lines: string[] = [];
    for (let i = 0; i < sent; i++) {
      // One line in a hundred is unreadable (some fall within the burst the limit lets through).
      lines.push(i % 100 === 50 ? `{"level":"info","service":"flood","message":"broken ${i}"` : JSON.stringify({ level: 'info', service: 'flood', message: `line ${i}` }));
    }
    const replies = await produce(server.ingestPort ?? 0, `${lines.join('\n')}\n`);

    const summary = JSON.parse(replies.at(-1) ?? '{}') as Summary;
    const s = summary.summary;
    expect(summary.ok).toBe(false);
    expect(s.lines).toBe(sent);
    expect(s.accepted + s.rateLimited + s.rejected + s.unauthorised).toBe(sent);
    expect(s.rateLimited).toBeGreaterThan(0);
    expect(s.rejected).toBeGreaterThan(0);

    const tcp = server.stats().ingest.find((source) => source.source === 'tcp');
    expect(tcp).toMatchObject({ accepted: s.accepted, rateLimited: s.rateLimited, rejected: s.rejected, unauthorised: 0, entries: s.accepted });
    expect(server.stats().linesIn).toBe(s.accepted);
    // The error replies before the summary only sample the drops (at most one per second).
    const limited = replies.slice(0, -1).map((line) => JSON.parse(line) as { error: string; dropped?: number }).filter((r) => r.error === 'rate limited');
    expect(limited.reduce((sum, r) => sum + (r.dropped ?? 0), 0)).toBeLessThanOrEqual(s.rateLimited);

    const metrics = await (await fetch(`http://127.0.0.1:${server.metricsPort ?? 0}/metrics`)).text();
    const sample = (name: string, labels: string): number => Number(new RegExp(`^${name}\\{${labels}\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? Number.NaN);
    let dropped = 0;
    for (const reason of ['rate_limited', 'rejected', 'unauthorised', 'refused_connection']) {
      dropped += sample('logcaster_ingest_lines_dropped_total', `source="tcp",reason="${reason}"`);
    }
    expect(sample('logcaster_ingest_lines_accepted_total', 'source="tcp"')).toBe(s.accepted);
    expect(dropped).toBe(sent - s.accepted);
    await annotate(`flood: sent ${sent}, accepted ${s.accepted}, rate-limited ${s.rateLimited}, rejected ${s.rejected}; /metrics drops ${dropped}`);

    const watcher = await RawClient.connect(server.ircPort);
    await watcher.register('ops');
    watcher.send('PRIVMSG logcaster :stats');
    // The bot answers stats after a promise (a barrier's PONG may come first): wait for the line.
    const answer = await watcher.waitFor(/ :ingest tcp: accepted /);
    expect(answer).toContain(`ingest tcp: accepted ${s.accepted} lines`);
    expect(answer).toContain(`rate-limited ${s.rateLimited}, rejected ${s.rejected}`);
    await watcher.close();
  });

  it('counts the lines of an unauthenticated connection and of refused connections', async () => {
    const server = await startServer({ serverName: 'test.local', ircPort: 0, ingestPort: 0, demo: false, producerToken: 's3cret', ingestMaxPerAddress: 1 });
    running.push(server);
    const port = server.ingestPort ?? 0;
    const entry = JSON.stringify({ level: 'info', service: 'x', message: 'm' });
    // No token: the first line fails authentication, it and the next two are lost.
    const refusedAuth = await produce(port, `${entry}\n${entry}\n${entry}\n`);
    expect(JSON.parse(refusedAuth[0])).toMatchObject({ ok: false, error: expect.stringContaining('authentication') as unknown as string });
    await until(() => server.stats().ingest[0].unauthorised === 3, 5000, 'three unauthorised lines');
    // One connection holds the only slot of 127.0.0.1; a second one is refused with its lines.
    const holder = connect({ host: '127.0.0.1', port });
    holder.on('error', () => undefined);
    await until(() => server.stats().ingest[0].connections === 1, 5000, 'the holder');
    const refused = await produce(port, `${entry}\n${entry}\n`);
    expect(JSON.parse(refused[0])).toMatchObject({ ok: false, error: 'too many connections from your address (max 1)' });
    await until(() => server.stats().ingest[0].refusedLines === 2, 5000, 'two lines on the refused connection');
    expect(server.stats().ingest[0]).toMatchObject({ refusedConnections: 1, authFailures: 1, accepted: 0 });
    holder.destroy();
  });
});
