/**
 * The IRC port: accepts connections within the limits (total and per address), makes each a
 * {@link Client} that hands its messages to the commands, PINGs idle clients and drops silent
 * ones, and on close says goodbye to everyone and waits (bounded) for their queues to flush.
 *
 * It owns no queue and no limiter: the server gives it a SendQ and a flood budget per client.
 *
 * @module
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { BoundedQueue, TokenBucket } from 'logcaster';
import { Client, FlushScheduler, type ClientHooks, type OutLine } from './client.js';
import { dispatch, handleDeparture, TOO_MANY_ATTEMPTS, type IrcSettings, type ServerContext } from './commands/index.js';

/** The connection limits and timers the listener applies (a `ServerConfig` has them all). */
export interface ListenerSettings extends IrcSettings {
  readonly maxClients: number;
  readonly maxClientsPerIp: number;
  readonly recvQBytes: number;
  readonly pingIntervalMs: number;
  readonly idleTimeoutMs: number;
  /** An unregistered connection is dropped after this long. @default idleTimeoutMs */
  readonly registrationTimeoutMs?: number;
  readonly shutdownGraceMs: number;
}

/** Options of {@link startIrcListener}. */
export interface IrcListenerOptions {
  /** Address to bind. */
  host: string;
  /** Port; 0 picks a free one. */
  port: number;
  settings: ListenerSettings;
  /** The commands' view of the server. */
  context: ServerContext;
  /** A new client's SendQ, keyed by the client's id. */
  openSendQ(id: string): BoundedQueue<OutLine>;
  /** Forgets the SendQ of a client that is gone. */
  releaseSendQ(id: string): void;
  /** A new client's inbound flood budget, one token per line. */
  floodBudget(): TokenBucket;
}

/** Counters of disconnects and refusals. */
export interface ListenerCounters {
  /** Clients disconnected with `Excess Flood`. */
  floodDisconnects: number;
  /** Clients disconnected for not answering PING (or not registering) in time. */
  pingTimeouts: number;
  /** Connections refused (server full, too many from one address, shutting down). */
  refusedConnections: number;
}

/** A listening IRC port. */
export interface IrcListener {
  /** The port bound. */
  readonly port: number;
  /** Open connections, registered or not. */
  readonly clients: ReadonlySet<Client>;
  readonly counters: Readonly<ListenerCounters>;
  /** Refuses new connections from now on ('Server shutting down') and stops the PING sweep. Idempotent. */
  stopAccepting(): void;
  /**
   * Stops accepting, sends every client `ERROR :Closing Link: <host> (<reason>)` after its
   * queued lines, waits up to `shutdownGraceMs` for them to flush, then destroys what is left.
   */
  close(reason: string): Promise<void>;
}

/** Address as shown in masks: IPv4-mapped IPv6 unwrapped, and never starting with `:`. */
function displayHost(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown';
  const host = address.startsWith('::ffff:') ? address.slice(7) : address;
  return host.startsWith(':') ? `0${host}` : host;
}

/**
 * The connections of a listener, counted per address, each unregistered one with its deadline:
 * a timer of its own, so it is closed when its time is up (a sweep every few seconds would
 * close it up to a sweep late: at 25 s instead of 20).
 */
class Connections {
  readonly clients = new Set<Client>();
  private readonly perAddress = new Map<string, number>();
  private readonly deadlines = new Map<Client, NodeJS.Timeout>();

  fromAddress(host: string): number {
    return this.perAddress.get(host) ?? 0;
  }

  /** Adds `client`; `expire` runs after `registrationMs` unless the client is gone by then. */
  add(client: Client, registrationMs: number, expire: (client: Client) => void): void {
    this.clients.add(client);
    this.perAddress.set(client.host, this.fromAddress(client.host) + 1);
    const deadline = setTimeout(() => {
      this.deadlines.delete(client);
      expire(client);
    }, registrationMs);
    deadline.unref();
    this.deadlines.set(client, deadline);
  }

  /**
   * Drops `client`'s registration deadline once it has registered: the timer (and its closure)
   * would otherwise stay referenced for the whole registration timeout, ~200 B per client.
   */
  settle(client: Client): void {
    const deadline = this.deadlines.get(client);
    if (deadline === undefined) return;
    clearTimeout(deadline);
    this.deadlines.delete(client);
  }

  delete(client: Client): void {
    this.clients.delete(client);
    clearTimeout(this.deadlines.get(client));
    this.deadlines.delete(client);
    const count = this.fromAddress(client.host) - 1;
    if (count <= 0) this.perAddress.delete(client.host);
    else this.perAddress.set(client.host, count);
  }
}

/** Says goodbye to a connection that is not let in, and makes sure its socket goes. */
function refuse(socket: Socket, host: string, reason: string): void {
  // Already counted as refused; a reset while we say goodbye only needs the socket gone.
  socket.on('error', () => socket.destroy());
  socket.end(`ERROR :Closing Link: ${host} (${reason})\r\n`);
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** PINGs idle registered clients and drops the silent ones: one sweep for all clients, not a timer each. */
function startSweep(clients: ReadonlySet<Client>, config: ListenerSettings, counters: ListenerCounters): NodeJS.Timeout {
  const sweepMs = Math.min(5000, Math.max(25, Math.floor(config.pingIntervalMs / 4)));
  const sweep = setInterval(() => {
    const now = config.now();
    for (const client of clients) {
      if (client.state !== 'open' || !client.registered) continue;
      const idle = now - client.lastActivity;
      if (idle >= config.idleTimeoutMs) {
        counters.pingTimeouts++;
        client.close(`Ping timeout: ${Math.round(idle / 1000)} seconds`);
      } else if (idle >= config.pingIntervalMs && client.pingSentAt === undefined) {
        client.pingSentAt = now;
        client.send({ command: 'PING', params: [config.serverName], colon: true });
      }
    }
  }, sweepMs);
  sweep.unref();
  return sweep;
}

/** Listens on `port` at `host`; rejects with the listen error. */
function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Binds the IRC port.
 *
 * @throws the listen error (rejected promise), e.g. `EADDRINUSE`.
 */
export async function startIrcListener(options: IrcListenerOptions): Promise<IrcListener> {
  const { settings: config, context } = options;
  const counters: ListenerCounters = { floodDisconnects: 0, pingTimeouts: 0, refusedConnections: 0 };
  const connections = new Connections();
  const { clients } = connections;
  const scheduler = new FlushScheduler();
  let nextId = 1;
  let closing = false;
  let whenEmpty: (() => void) | undefined;

  const hooks: ClientHooks = {
    message: (client, message) => {
      dispatch(context, client, message);
      if (client.registered) connections.settle(client);
    },
    left: (client, reason) => {
      if (reason === 'Excess Flood') counters.floodDisconnects++;
      handleDeparture(context, client, reason);
    },
    gone: (client) => {
      connections.delete(client);
      options.releaseSendQ(client.id);
      if (clients.size === 0) whenEmpty?.();
    },
  };

  const expireUnregistered = (client: Client): void => {
    if (client.registered || client.state !== 'open') return;
    counters.pingTimeouts++;
    client.close('Registration timed out');
  };

  // One function for every client (a closure per client would cost ~56 B each).
  const openSendQ = (id: string): BoundedQueue<OutLine> => options.openSendQ(id);

  const server = createServer((socket) => {
    const host = displayHost(socket.remoteAddress);
    const refusal = closing
      ? 'Server shutting down'
      : clients.size >= config.maxClients
        ? 'Server is full'
        : connections.fromAddress(host) >= config.maxClientsPerIp
          ? 'Too many connections from your address'
          : context.passwordGuard?.allows(host) === false
            ? TOO_MANY_ATTEMPTS
            : undefined;
    if (refusal !== undefined) {
      counters.refusedConnections++;
      refuse(socket, host, refusal);
      return;
    }
    // Unique across nodes: the node's id first.
    const id = `${context.node}/${nextId++}`;
    const client = new Client({
      id,
      socket,
      host,
      serverName: config.serverName,
      openSendQ,
      flood: options.floodBudget(),
      recvQBytes: config.recvQBytes,
      closeGraceMs: config.shutdownGraceMs,
      scheduler,
      now: config.now,
      hooks,
    });
    // Unregistered sockets get their own, shorter deadline, so silent ones cannot hold the
    // --max-clients slots for the whole idle timeout.
    connections.add(client, config.registrationTimeoutMs ?? config.idleTimeoutMs, expireUnregistered);
  });
  await listen(server, options.port, options.host);
  server.on('error', (error) => console.error('irc-log-server: IRC listener error:', error));
  const sweep = startSweep(clients, config, counters);

  let listenerClosed: Promise<void> | undefined;
  const stopAccepting = (): void => {
    closing = true;
    clearInterval(sweep);
    listenerClosed ??= new Promise<void>((resolve) => server.close(() => resolve()));
  };

  const close = async (reason: string): Promise<void> => {
    stopAccepting();
    const drained = new Promise<void>((resolve) => {
      whenEmpty = resolve;
      if (clients.size === 0) resolve();
    });
    for (const client of clients) client.close(reason);
    // Each client destroys its own socket after the grace period; this is a backstop.
    let backstop: NodeJS.Timeout | undefined;
    await Promise.race([
      drained,
      new Promise<void>((resolve) => {
        backstop = setTimeout(resolve, config.shutdownGraceMs + 1000);
      }),
    ]);
    clearTimeout(backstop);
    for (const client of clients) client.destroy();
    await listenerClosed;
  };

  return { port: (server.address() as AddressInfo).port, clients, counters, stopAccepting, close };
}
