/**
 * Several nodes, one NATS (a server or a cluster of them): with `--nats nats://host:port`, a
 * `NatsBridge` is attached to the broker, so every message a node publishes (log entries,
 * chat, network state) reaches the other nodes that want it. NATS core keeps nothing, so
 * `--nats` needs JetStream (`nats-server -js`) for what must be kept: the nick claims are keys
 * of the bucket `logcaster-nicks` (kv-nick-claims.ts) and the shared join backlog is the
 * stream `logcaster-history` (logs/jetstream-history.ts).
 *
 * NATS must be reachable when the node starts (a node that cannot check JetStream cannot
 * promise unique nicks); later outages are as with Redis: the client reconnects forever, the
 * node serves its own clients meanwhile and says so once, then every `noticeMs`.
 *
 * @module
 */
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { EventEmitter } from 'eventemitter3';
import type { PubSubBroker } from 'logcaster';
import { NatsBridge } from 'logcaster/nats';
import type { LogEntry } from '../logs/entry.js';
import { connectJetStreamHistory } from '../logs/jetstream-history.js';
import type { SharedHistory } from '../logs/stream-history.js';
import { bridgedLink, watchEngine } from './bridged-link.js';
import { KvNickClaims } from './kv-nick-claims.js';
import type { ClusterLink } from './link.js';
import { noticeMsOf, type RedisLinkOptions } from './redis-link.js';

/** Options of {@link connectNats}. */
export interface NatsLinkOptions extends RedisLinkOptions {
  /** The nick claims' ttl, ms: the bucket's, when this node makes it. Minimum: 100. @default 30000 */
  readonly claimTtlMs?: number;
  /** Entries a join shows from the shared backlog: the stream keeps as many per channel; 0 makes none. @default 20 */
  readonly historyPerChannel?: number;
}

/** The bucket of the nick claims. */
export const NICKS_BUCKET = 'logcaster-nicks';

/** How long a drain may take on shutdown before the connection is closed. */
const DRAIN_TIMEOUT_MS = 500;

/** A NATS connection's state as {@link Reachability} reads a client's: `status`, `ready`, `close`, `error`. */
class NatsConnectionState extends EventEmitter<{ ready: []; close: []; error: [Error] }> {
  status: 'ready' | 'reconnecting' | 'closed' = 'ready';

  constructor(connection: NatsConnection) {
    super();
    void (async () => {
      for await (const status of connection.status()) {
        if (status.type === 'disconnect') this.set('reconnecting');
        else if (status.type === 'reconnect') this.set('ready');
        else if (status.type === 'error') this.emit('error', status.error);
      }
    })();
    void connection.closed().then(() => this.set('closed'));
  }

  private set(status: 'ready' | 'reconnecting' | 'closed'): void {
    if (this.status === status) return;
    this.status = status;
    this.emit(status === 'ready' ? 'ready' : 'close');
  }
}

/** The JetStream manager, or a clear error when the server has JetStream off. */
async function requireJetStream(connection: NatsConnection, url: string): Promise<JetStreamManager> {
  try {
    return await jetstreamManager(connection);
  } catch (error) {
    throw new Error(`nats: ${url} has no JetStream (${error instanceof Error ? error.message : String(error)}); --nats needs it for nick claims and the shared backlog: start nats-server with -js`, { cause: error });
  }
}

/**
 * The nick claims' bucket, made with `ttlMs` if it does not exist yet. One made by a node with
 * another `--nick-claim-ttl-ms` is used as it is (its ttl wins), and said.
 */
async function openNicksBucket(kvm: Kvm, ttlMs: number, log: (line: string) => void): Promise<KV> {
  try {
    return await kvm.create(NICKS_BUCKET, { ttl: ttlMs, history: 1 });
  } catch (error) {
    const kv = await kvm.open(NICKS_BUCKET).catch(() => {
      throw error;
    });
    const ttl = (await kv.status()).ttl;
    log(`nats: bucket ${NICKS_BUCKET} exists with a claim ttl of ${ttl} ms (this node asks for ${ttlMs}); using it as it is`);
    return kv;
  }
}

/**
 * Connects to NATS at `url` (several comma-separated URLs for a cluster), checks JetStream,
 * and bridges `broker` through NATS core (at most once). Resolves once the servers have
 * acknowledged the subscriptions the broker has.
 *
 * @throws Error when NATS cannot be reached within `startTimeoutMs`, or has JetStream off.
 */
export async function connectNats(url: string, broker: PubSubBroker<LogEntry>, options: NatsLinkOptions = {}): Promise<ClusterLink> {
  const log = options.log ?? (() => undefined);
  const noticeMs = noticeMsOf(options);
  const servers = url.split(',').map((server) => server.trim());
  let connection: NatsConnection;
  try {
    connection = await connect({ servers, maxReconnectAttempts: -1, reconnectTimeWait: 250, timeout: options.startTimeoutMs ?? 3000, name: 'logcaster-irc' });
  } catch (error) {
    throw new Error(`nats: cannot reach ${url} (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
  // The bucket and the stream are made (or found) before the bridge is attached, so a
  // failure leaves nothing on the broker. The bucket's ttl is set by the node that makes it
  // and kept by the others; so are the stream's limits.
  const claimTtlMs = options.claimTtlMs ?? 30_000;
  const perChannel = options.historyPerChannel ?? 20;
  const js = jetstream(connection);
  let kv: KV;
  let history: SharedHistory | undefined;
  try {
    const jsm = await requireJetStream(connection, url);
    kv = await openNicksBucket(new Kvm(js), claimTtlMs, log);
    if (perChannel > 0) history = await connectJetStreamHistory(js, jsm, perChannel, log);
  } catch (error) {
    await connection.close();
    throw error instanceof Error && error.message.startsWith('nats:') ? error : new Error(`nats: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const state = new NatsConnectionState(connection);
  const bridge = new NatsBridge(broker, { connection });
  const reach = watchEngine(bridge, { engine: 'nats', where: url, connections: [state], noticeMs, log });
  reach.start();
  const connected = (): boolean => state.status === 'ready';
  return bridgedLink({
    engine: 'NATS',
    where: url,
    bridge,
    reach,
    log,
    claims: (node, ttlMs) => new KvNickClaims({ kv, node, ttlMs, connected }),
    history: () => {
      if (history === undefined) throw new Error('nats: the shared backlog was not made (historyPerChannel 0)');
      return history;
    },
    letGo: async () => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([connection.drain().catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, DRAIN_TIMEOUT_MS)))]);
      clearTimeout(timer);
      if (!connection.isClosed()) await connection.close();
    },
  });
}
