/**
 * A {@link ClusterLink} from its parts, the same for every engine: a bridge on the broker, a
 * {@link Reachability} over the engine's connections, nick claims and a shared backlog made on
 * first use, and a shutdown that lets go within about a second and says what was not sent.
 * Each engine's file (redis-link.ts, redis-cluster-link.ts, nats-link.ts) makes the parts.
 *
 * @module
 */
import type { BridgeBase, BridgeStats, ReadyOptions } from 'logcaster/redis';
import type { SharedHistory } from '../logs/stream-history.js';
import type { ClusterLink, LinkNickClaims } from './link.js';
import { Reachability, type ReachabilityOptions } from './reachability.js';

/** What the link needs of a bridge (every bridge of the library has it). */
export interface LinkBridge {
  ready(options?: ReadyOptions): Promise<void>;
  stats(): BridgeStats;
  /** Stops bridging; drops what waits in the outbox. */
  close(): Promise<void>;
}

/** The parts of a link, made by an engine's file. */
export interface LinkParts {
  /** The engine's name as users read it (`Redis`, `Redis Cluster`, `NATS`); lower-cased at the start of the lines it logs. */
  readonly engine: string;
  /** Where the engine is, as the operator gave it. */
  readonly where: string;
  readonly bridge: LinkBridge;
  /** Started by the caller once the start has waited for the engine. */
  readonly reach: Reachability;
  readonly log: (line: string) => void;
  /** Makes the nick claims (called once, on first use). */
  readonly claims: (node: string, ttlMs: number) => LinkNickClaims;
  /** Makes the shared backlog (called once, on first use). */
  readonly history: (perChannel: number) => SharedHistory;
  /** Lets go of the engine's connections: at once when it is away, else politely, bounded. */
  readonly letGo: () => Promise<void>;
}

/** Describes `count` of `what` (`1 message`, `2 messages`). */
export const plural = (count: number, one: string, many: string): string => `${count} ${count === 1 ? one : many}`;

/** What waits for the engine, for the `still unreachable` line. */
export function outboxWaiting(bridge: LinkBridge): string {
  const { outboxPending, outboxDropped } = bridge.stats();
  return `${plural(outboxPending, 'message', 'messages')} for the other nodes wait${outboxPending === 1 ? 's' : ''} in the outbox (${outboxDropped} dropped)`;
}

/**
 * The engine's {@link Reachability} (what waits meanwhile is the bridge's outbox), and the
 * bridge's trouble said on the log: a gap always, an error only while the engine is up (while
 * it is away, its errors are the outage, already said). Made before the start waits for the
 * engine, so that no error of the bridge goes unheard meanwhile.
 */
export function watchEngine<T, R>(bridge: BridgeBase<T, R>, options: Omit<ReachabilityOptions, 'waiting'>): Reachability {
  const { engine, log } = options;
  const reach = new Reachability({ ...options, waiting: () => outboxWaiting(bridge) });
  bridge.on('gap', ({ origin, missing }) => log(`${engine}: lost ${missing} messages from node ${origin}`));
  bridge.on('error', (error) => {
    if (reach.up) log(`${engine}: ${error instanceof Error ? error.message : String(error)}`);
  });
  return reach;
}

/** Assembles the link. */
export function bridgedLink(parts: LinkParts): ClusterLink {
  const { engine, where, bridge, reach, log } = parts;
  const prefix = engine.toLowerCase();
  let claims: LinkNickClaims | undefined;
  let history: SharedHistory | undefined;
  return {
    engine,
    ready: (timeoutMs = 3000) =>
      bridge.ready({ timeoutMs }).then(
        () => true,
        () => false,
      ),
    get connected() {
      return reach.up;
    },
    onReconnect: (listener) => reach.onBack(listener),
    nickClaims: (node, ttlMs) => (claims ??= parts.claims(node, ttlMs)),
    sharedHistory: (perChannel) => (history ??= parts.history(perChannel)),
    stats: () => {
      const { gaps, missing, outboxPending, outboxDropped, reconnects, published, delivered } = bridge.stats();
      return { gaps, missing, outboxPending, outboxDropped, reconnects, published, delivered };
    },
    close: async () => {
      const away = reach.stop();
      await claims?.close();
      const before = bridge.stats();
      await bridge.close(); // drops what waits in the outbox
      const historyUnsent = (await history?.close())?.unsent ?? 0;
      await parts.letGo();
      // Sends the engine never answered fail when their connection is dropped: counted as send errors.
      await new Promise((resolve) => setImmediate(resolve));
      const unsent = before.outboxPending + (bridge.stats().sendErrors - before.sendErrors);
      if (away || unsent > 0 || historyUnsent > 0) {
        log(
          `${prefix}: ${away ? `${where} unreachable at shutdown` : 'closing'}: ${plural(unsent, 'message', 'messages')} for the other nodes (log entries, chat, network state) ` +
            `and ${plural(historyUnsent, 'shared-history entry', 'shared-history entries')} were not sent`,
        );
      }
    },
  };
}
