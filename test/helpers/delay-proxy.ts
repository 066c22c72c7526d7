/**
 * A TCP proxy on 127.0.0.1 that delays every chunk by a fixed time, in both directions and
 * in order: what a real network between two machines does to a NATS route, which on one
 * machine is faster than any real link.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** A running proxy. */
export interface DelayProxy {
  /** The port it listens on. */
  readonly port: number;
  /** Bytes it forwarded, both directions. */
  readonly bytes: number;
  /** Stops listening and cuts every connection. */
  close(): Promise<void>;
}

/** Forwards `from` to `to`, each chunk `delayMs` later (timers with one delay fire in order). */
function pipeDelayed(from: Socket, to: Socket, delayMs: number, count: (bytes: number) => void): void {
  from.on('data', (chunk: Buffer) => {
    count(chunk.byteLength);
    setTimeout(() => {
      if (!to.destroyed) to.write(chunk);
    }, delayMs);
  });
  from.on('end', () => setTimeout(() => to.end(), delayMs));
}

/** Starts a proxy to 127.0.0.1:`targetPort` that delays each direction by `delayMs`. */
export async function startDelayProxy(targetPort: number, delayMs: number): Promise<DelayProxy> {
  const sockets = new Set<Socket>();
  let bytes = 0;
  const count = (n: number): void => {
    bytes += n;
  };
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    pipeDelayed(client, upstream, delayMs, count);
    pipeDelayed(upstream, client, delayMs, count);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    get bytes() {
      return bytes;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
