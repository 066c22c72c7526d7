/**
 * How a `NatsBridge` knows its interest has reached the whole cluster, not just its own
 * server.
 *
 * A NATS server tells the others of a new subscription over its routes (RS+), and a
 * subscribe + flush only proves that the node's own server has it. But a route carries
 * everything in order: a message this node publishes after subscribing reaches another
 * server *after* that server has heard of the subscription. So a request that a node on
 * server S answers proves S has this node's interest; and its answer, which comes back over
 * S's route, proves this node's server has every interest S knew of before answering.
 *
 * The protocol, on control subjects under `_logcaster.<prefix>`:
 *
 * - `reflect.<server id>`: every node subscribes, in queue group `reflect`, under the id of
 *   the server it is connected to; it answers with that id. A node confirms a server by a
 *   request there answered from that server; "no responders" means no node is left there.
 * - `hello`: every node announces the server it is on: at start, after each failover, a
 *   few times in the first seconds and then every 10 s; a node that hears of a server it
 *   did not know announces itself back at once. Nodes that start within one route delay of
 *   each other cannot hear each other's first announcements (neither server knows the
 *   other node yet): the repeats heal that within about 100 ms.
 * - `who`: in queue group `who`, a node answers with every server it knows. A node asks
 *   once after each (re)connection, before it joins the group itself: one answer is enough,
 *   and "no responders" means it is the first node.
 *
 * One round: flush (our server has our subscriptions), ask `who` if not done since the last
 * connection, then a `reflect` request to every other known server, in parallel.
 *
 * @module
 */
import type { NatsClient, NatsMessage, NatsSubscription } from './client.js';

/** What a control message carries. */
interface ControlBody {
  server?: string;
  servers?: string[];
}

/** The root of the control subjects for `prefix`. */
export const controlRoot = (prefix: string): string => `_logcaster.${prefix}`;

const decoder = new TextDecoder();

/** Reads a control message, or returns `{}` for anything else. */
function read(message: NatsMessage): ControlBody {
  try {
    const body: unknown = JSON.parse(decoder.decode(message.data));
    return typeof body === 'object' && body !== null ? (body as ControlBody) : {};
  } catch {
    return {};
  }
}

/** Whether `error`, or an error in its chain of causes, has one of `names` (nats.js's error classes). */
function causedBy(error: unknown, names: readonly string[]): boolean {
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    if (names.includes(cause.name)) return true;
  }
  return false;
}

/** A request failed because nobody subscribes to its subject (the server answered 503). */
const noResponders = (error: unknown): boolean => causedBy(error, ['NoResponders', 'NoRespondersError']);
/**
 * A request got no answer: in time, or before the connection dropped (the client rejects
 * what is pending when it loses its server). Either way: ask again.
 */
const unanswered = (error: unknown): boolean =>
  causedBy(error, ['TimeoutError']) || (error instanceof Error && /disconnected/i.test(error.message));

/** Waits `ms` without keeping the process alive. */
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

/** Pause before asking a server again when the answer came from elsewhere (a node failing over). */
const AGAIN_MS = 25;
/** When a node announces its server again after the first time, in ms; then every {@link ANNOUNCE_EVERY_MS}. */
const ANNOUNCE_AFTER_MS = [100, 300, 1000, 3000];
const ANNOUNCE_EVERY_MS = 10_000;

/** The cluster-wide half of `NatsBridge.ready()`. */
export class ClusterProbe {
  private readonly root: string;
  /** Servers known to host nodes (ours included, once announced). */
  private readonly servers = new Set<string>();
  /** The server this node is connected to. */
  private server: string | undefined = undefined;
  private readonly subscriptions: NatsSubscription[] = [];
  private reflecting: NatsSubscription | undefined = undefined;
  private answering: NatsSubscription | undefined = undefined;
  /** Whether `who` was asked since the last (re)connection. */
  private discovered = false;
  /** Servers the running round still waits for, for `ready()`'s timeout message. */
  private readonly waitingFor = new Set<string>();
  private stopped = false;
  private announcements = 0;
  private announceTimer: NodeJS.Timeout | undefined = undefined;

  constructor(
    private readonly connection: NatsClient,
    prefix: string,
    private readonly timeoutMs: number,
    private readonly failed: (error: unknown) => void,
  ) {
    this.root = controlRoot(prefix);
  }

  /** Subscribes to the control subjects and announces this node's server. */
  start(): void {
    this.subscriptions.push(
      this.connection.subscribe(`${this.root}.hello`, {
        callback: (error, message) => {
          if (error !== null) this.failed(error);
          // A server we did not know of: tell its nodes of ours at once (they may not know it either).
          else if (this.learn(read(message))) this.announce();
        },
      }),
    );
    this.follow();
    this.schedule();
  }

  /** The servers known to host nodes, this node's own included. */
  known(): string[] {
    return [...this.servers];
  }

  /**
   * Follows the server the connection is on now (after a failover): answers `reflect` under
   * its id, announces it, and asks `who` again at the next round.
   */
  follow(): void {
    if (this.stopped) return;
    const server = this.connection.info?.server_id;
    if (server === this.server && this.reflecting !== undefined) return;
    this.reflecting?.unsubscribe();
    this.reflecting = undefined;
    this.server = server;
    this.discovered = false;
    if (server === undefined) return;
    this.servers.add(server);
    this.reflecting = this.connection.subscribe(`${this.root}.reflect.${server}`, {
      queue: 'reflect',
      callback: (error, message) => {
        if (error !== null) this.failed(error);
        else message.respond(JSON.stringify({ server: this.server }));
      },
    });
    this.announce();
  }

  private announce(): void {
    if (this.stopped || this.server === undefined) return;
    try {
      this.connection.publish(`${this.root}.hello`, JSON.stringify({ server: this.server }));
    } catch (error) {
      // A closed connection: the bridge hears of it through its status.
      this.failed(error);
    }
  }

  private schedule(): void {
    const delay = ANNOUNCE_AFTER_MS[this.announcements] ?? ANNOUNCE_EVERY_MS;
    this.announcements++;
    this.announceTimer = setTimeout(() => {
      this.announce();
      this.schedule();
    }, delay);
    this.announceTimer.unref();
  }

  /** One round; resolves once every known server with nodes has answered. */
  async confirm(current: () => boolean): Promise<void> {
    await this.connection.flush();
    if (!this.discovered) {
      await this.discover();
      if (!current()) return;
      this.discovered = true;
    }
    // Servers learned of while the round runs join it.
    const asked = new Set<string | undefined>([this.server]);
    try {
      for (;;) {
        const targets = [...this.servers].filter((server) => !asked.has(server));
        if (targets.length === 0 || !current()) break;
        for (const server of targets) {
          asked.add(server);
          this.waitingFor.add(server);
        }
        await Promise.all(targets.map((server) => this.reach(server, current)));
      }
    } finally {
      this.waitingFor.clear();
    }
  }

  /** What the running round waits for. */
  describe(): string {
    if (!this.discovered) return 'an answer from the other nodes (who)';
    if (this.waitingFor.size === 0) return 'our server to process the subscriptions (flush)';
    return `an answer through server(s) ${[...this.waitingFor].join(', ')}`;
  }

  /** Lets go of the control subjects. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.announceTimer);
    for (const sub of this.subscriptions.splice(0)) sub.unsubscribe();
    this.reflecting?.unsubscribe();
    this.answering?.unsubscribe();
    this.reflecting = undefined;
    this.answering = undefined;
  }

  /** Asks `who` (not being in the group ourselves), then joins the group. */
  private async discover(): Promise<void> {
    this.answering?.unsubscribe();
    this.answering = undefined;
    for (;;) {
      try {
        const answer = await this.connection.request(`${this.root}.who`, JSON.stringify({ server: this.server }), {
          timeout: this.timeoutMs,
        });
        this.learn(read(answer));
        break;
      } catch (error) {
        if (noResponders(error)) break;
        if (this.stopped) return;
        // No answer (a failover under way): ask again, after a pause.
        if (!unanswered(error)) throw error;
        await pause(AGAIN_MS);
      }
    }
    if (this.stopped) return;
    this.answering = this.connection.subscribe(`${this.root}.who`, {
      queue: 'who',
      callback: (error, message) => {
        if (error !== null) this.failed(error);
        else message.respond(JSON.stringify({ server: this.server, servers: [...this.servers] }));
      },
    });
  }

  /** Asks `server` until a node connected to it answers, or none is left there. */
  private async reach(server: string, current: () => boolean): Promise<void> {
    while (current() && !this.stopped) {
      try {
        const answer = await this.connection.request(`${this.root}.reflect.${server}`, '', { timeout: this.timeoutMs });
        if (read(answer).server === server) break;
        // Answered by a node that has just failed over from there: ask again.
        await pause(AGAIN_MS);
      } catch (error) {
        if (noResponders(error)) {
          this.servers.delete(server);
          break;
        }
        if (!unanswered(error)) throw error;
        await pause(AGAIN_MS);
      }
    }
    this.waitingFor.delete(server);
  }

  /** Adds the servers a control message names; true when one was new. */
  private learn(body: ControlBody): boolean {
    const before = this.servers.size;
    if (typeof body.server === 'string') this.servers.add(body.server);
    if (Array.isArray(body.servers)) {
      for (const server of body.servers) if (typeof server === 'string') this.servers.add(server);
    }
    return this.servers.size > before;
  }
}
