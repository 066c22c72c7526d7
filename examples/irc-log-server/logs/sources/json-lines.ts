/**
 * TCP ingest: producers connect and write one log entry per line, in any format the server
 * reads (see `logs/formats/`): native JSON Lines
 * `{"level":"ERROR","service":"payments","category":"DATABASE","message":"…","ts":…}`, pino,
 * bunyan, winston, journald export, Docker json-file, logfmt, syslog lines, or plain text
 * (attributed to `defaultService`). Stack-trace lines are joined to their entry.
 *
 * The protocol is fire-and-forget, like irker's: accepted entries get no reply, so a producer
 * can write and disconnect. Problems get one JSON line back, `{"ok":false,"error":"…","line":N}`,
 * and never affect other entries or other connections. When the producer closes its side
 * after losing lines, or the server closes the connection (idle, shutdown), it gets one
 * summary line, `{"ok":false,"summary":{"lines":N,"accepted":A,"rateLimited":R,"rejected":J,"unauthorised":U}}`
 * (with `"closed":"<why>"` when the server closed it), so drops are never reported only in
 * rate-limited error lines. A producer that lost nothing gets no summary: silence means taken.
 *
 * Limits, so no one can lock producers out: a total and a per-address connection cap, a
 * first-byte timeout (a producer connects to send), an idle timeout, and a rate limit (the
 * library's `RateLimiter`) per connection or per address. When `token` is set the first line
 * must authenticate, because an open ingest port becomes a spam relay; with a `guard`, wrong
 * tokens are counted per address and an address out of attempts is refused unheard. Every drop
 * is counted in {@link IngestStats}.
 *
 * The options and their checks are in json-lines-options.ts, one connection's work in
 * producer-connection.ts; `framing: 'syslog'` makes this the syslog TCP port.
 *
 * @module
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { emptyIngestStats } from './ingest-stats.js';
import { resolveSettings, type JsonLinesSource, type JsonLinesSourceOptions } from './json-lines-options.js';
import { ProducerConnection, errorLine, refuse } from './producer-connection.js';

export type { JsonLinesLimit, JsonLinesSource, JsonLinesSourceOptions, JsonLinesStats } from './json-lines-options.js';
export { ProducerConnection } from './producer-connection.js';


/**
 * Starts the TCP JSON Lines ingest.
 *
 * @throws RangeError / TypeError (rejected promise) for invalid options; the listen error
 *   (e.g. `EADDRINUSE`) when the port cannot be bound.
 * @example
 * ```ts
 * const source = await startJsonLinesSource({ port: 5140, sink: (entry) => channels.publish(entry) });
 * // printf '{"level":"error","service":"payments","message":"card declined"}\n' | nc 127.0.0.1 5140
 * await source.close();
 * ```
 */
export async function startJsonLinesSource(options: JsonLinesSourceOptions): Promise<JsonLinesSource> {
  const settings = resolveSettings(options);
  const { maxConnections, maxPerAddress } = settings;
  const stats = emptyIngestStats(settings.sourceName);
  const connections = new Map<Socket, ProducerConnection>();
  const refused = new Set<Socket>(); // given their error line, waiting to close
  const perAddress = new Map<string, number>();
  let nextId = 0;

  function onConnection(socket: Socket): void {
    // Sudden disconnects (ECONNRESET, EPIPE) are normal for producers; 'close' follows and
    // cleans up, there is nothing else to do about them.
    socket.on('error', () => undefined);
    const address = socket.remoteAddress ?? 'unknown';
    const fromHere = perAddress.get(address) ?? 0;
    const why =
      connections.size >= maxConnections
        ? `too many connections (max ${maxConnections})`
        : fromHere >= maxPerAddress
          ? `too many connections from your address (max ${maxPerAddress})`
          : undefined;
    if (why !== undefined) {
      stats.refusedConnections += 1;
      refused.add(socket);
      socket.once('close', () => refused.delete(socket));
      // Read and discard, so the peer's writes do not turn into an RST; those lines are lost too.
      socket.on('data', (chunk: Buffer) => {
        for (let lf = chunk.indexOf(0x0a); lf !== -1; lf = chunk.indexOf(0x0a, lf + 1)) stats.refusedLines += 1;
      });
      refuse(socket, errorLine({ error: why, line: 0 }));
      return;
    }
    perAddress.set(address, fromHere + 1);
    const key = settings.scope === 'address' ? `addr-${address}` : `conn-${++nextId}`;
    const connection = new ProducerConnection(socket, key, settings, stats);
    connections.set(socket, connection);
    stats.connections = connections.size;
    socket.on('close', () => {
      connection.closed();
      connections.delete(socket);
      const count = (perAddress.get(address) ?? 1) - 1;
      if (count === 0) perAddress.delete(address);
      else perAddress.set(address, count);
      stats.connections = connections.size;
      if (settings.scope === 'connection') settings.limiter.delete(key);
    });
  }

  // allowHalfOpen: a producer that has finished writing can still read its summary.
  const server: Server = createServer({ allowHalfOpen: true }, onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // After startup an error on the listening socket is rare (e.g. EMFILE on accept); report it.
  server.on('error', (error) => console.error('ingest: server error:', error));
  const address = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    port: address.port,
    host: settings.host,
    stats: () => ({ ...stats }),
    close(): Promise<void> {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const connection of connections.values()) connection.finish('server shutting down');
        // Each finished connection is destroyed after its grace period; do not wait for it.
        for (const socket of connections.keys()) socket.destroy();
        for (const socket of refused) socket.destroy();
      });
      return closed;
    },
  };
}
