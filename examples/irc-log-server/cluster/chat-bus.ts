/**
 * Chat across nodes is just more topics on the broker the log entries use:
 *
 *   logs/<service>/<LEVEL>      log entries (pattern channels)
 *   channels/<name>             log entries routed to the filtered channels
 *   chat/channels/<channel>     what users say in a channel      ← this file
 *   chat/users/<nick>           what users say to a user on another node
 *
 * With `--redis`, the `RedisBridge` attached to that broker carries every `broker.publish`
 * to the other nodes, chat included: nothing here knows about Redis. Each node subscribes
 * once to `chat/channels/*` and `chat/users/*` and delivers to its own members; the sender
 * is skipped by its node and connection id. Membership stays per node (NAMES/WHO show this
 * node's members only).
 *
 * @module
 */
import type { PubSubBroker, Subscription } from 'logcaster';
import type { ChatEvent } from '../irc/chat-line.js';
import { foldCase } from '../irc/names.js';
import type { ChatNetwork, NickClaims } from '../irc/network.js';
import type { LogEntry } from '../logs/entry.js';

/** Options of {@link ChatBus}. */
export interface ChatBusOptions {
  /** The broker the log entries go through (and, with `--redis`, its bridge). */
  readonly broker: PubSubBroker<LogEntry>;
  /** Queues an event to this node's recipients (`deliverChat` of the IRC commands). */
  readonly deliver: (event: ChatEvent) => void;
  /** Called with events from other nodes that are not chat events (a bad peer), counted. */
  readonly rejected?: (message: unknown) => void;
  /** Called when the broker refuses a chat message (it is counted either way). */
  readonly failed?: (error: unknown, topic: string) => void;
}

/**
 * The broker under its chat topics. The broker's type parameter names the log entries
 * because the log side reads it; the chat side publishes and subscribes only under `chat/`,
 * a prefix no log subscription matches, and checks every message it receives.
 */
function chatView(broker: PubSubBroker<LogEntry>): PubSubBroker<unknown> {
  return broker as unknown as PubSubBroker<unknown>;
}

/** Whether `value` is a well-formed {@link ChatEvent} (it may come from another node). */
export function isChatEvent(value: unknown): value is ChatEvent {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Record<string, unknown>;
  return (
    e.kind === 'chat' &&
    typeof e.node === 'string' &&
    typeof e.from === 'string' &&
    typeof e.source === 'string' &&
    (e.command === 'PRIVMSG' || e.command === 'NOTICE' || e.command === 'TAGMSG') &&
    typeof e.target === 'string' &&
    e.target !== '' &&
    typeof e.text === 'string' &&
    typeof e.clientTags === 'string' &&
    typeof e.time === 'number'
  );
}

/** Chat between nodes through the broker. */
export class ChatBus implements ChatNetwork {
  /** Network-wide nick claims (with `--redis`); set once the Redis link is up. */
  claims: NickClaims | undefined = undefined;
  /** Messages from the topics that were not chat events. */
  rejected = 0;
  /** Messages the broker refused to publish. */
  failed = 0;
  private readonly onFailure: (error: unknown, topic: string) => void;
  private readonly broker: PubSubBroker<unknown>;
  private readonly subscriptions: Subscription<unknown>[];
  private readonly escapes: string[];

  constructor(options: ChatBusOptions) {
    this.broker = chatView(options.broker);
    this.onFailure = options.failed ?? (() => undefined);
    const { separator, singleLevelWildcard, multiLevelWildcard } = options.broker.syntax;
    this.escapes = [separator, singleLevelWildcard, multiLevelWildcard];
    const one = singleLevelWildcard;
    const receive = (message: unknown): void => {
      if (isChatEvent(message)) options.deliver(message);
      else {
        this.rejected++;
        options.rejected?.(message);
      }
    };
    this.subscriptions = [
      this.broker.subscribe(['chat', 'channels', one].join(separator), receive),
      this.broker.subscribe(['chat', 'users', one].join(separator), receive),
    ];
  }

  toChannel(event: ChatEvent): void {
    this.publish(this.topic('channels', event.target), event);
  }

  toUser(event: ChatEvent): void {
    this.publish(this.topic('users', event.target), event);
  }

  /**
   * Publishes, never throwing into the command that sent it: a message the broker refuses
   * (a closed broker during shutdown, a topic it cannot take) is counted in `failed` and
   * reported through `options.failed`.
   */
  private publish(topic: string, event: ChatEvent): void {
    try {
      this.broker.publish(topic, event);
    } catch (error) {
      this.failed++;
      this.onFailure(error, topic);
    }
  }

  /** Stops listening. */
  close(): void {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
  }

  /**
   * `chat/<kind>/<name>` with the name folded and made one topic level: percent-encoded, and
   * the separator and wildcards (read from the broker's syntax) escaped too.
   */
  private topic(kind: 'channels' | 'users', name: string): string {
    let level = encodeURIComponent(foldCase(name));
    for (const special of this.escapes) {
      const escaped = [...special].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`).join('');
      level = level.split(special).join(escaped);
    }
    return ['chat', kind, level].join(this.broker.syntax.separator);
  }
}
