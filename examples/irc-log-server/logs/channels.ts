/**
 * The log channels, as data: which channels exist and which entries each carries.
 *
 * Two kinds, both fed by the broker:
 * - **filtered channels** (`#logs-all`, `#logs-error`, …) are `Router` rules — data, below in
 *   {@link FILTERED_CHANNELS}. The server routes each entry and publishes it on the rule's
 *   destination topic `channels/<name>`; the channel subscribes to that topic.
 * - **pattern channels** `#logs/<pattern>` subscribe to `logs/<pattern>` directly: every entry is
 *   also published on `logs/<service>/<LEVEL>` (service in lower case, see {@link entryTopic}),
 *   so `#logs/payments/#`, `#logs/api/ERROR` or (with `*` as the service) every ERROR work as MQTT-style filters.
 *
 * How members join them and how entries reach members is in `channel-directory.ts`.
 *
 * @module
 */
import { Router, type RouteRule } from 'logcaster';
import { foldCase } from '../irc/names.js';
import type { LogEntry } from './entry.js';
import { levelRank } from './level.js';

/** A filtered channel: its name, its topic, and the routing rule that feeds it. */
export interface FilteredChannelDefinition {
  /** Channel name, `#` included. */
  readonly name: string;
  /** Topic (332): what the channel carries. */
  readonly topic: string;
  /** The rule; its destination is the topic the channel subscribes to. */
  readonly rule: RouteRule<LogEntry>;
}

const ERROR_RANK = levelRank('ERROR');
const WARNING_RANK = levelRank('WARNING');

/** The filtered channels, as routing rules. */
export const FILTERED_CHANNELS: readonly FilteredChannelDefinition[] = [
  {
    name: '#logs-all',
    topic: 'Every log entry, all services and levels',
    rule: { name: 'logs-all', to: 'channels/logs-all' },
  },
  {
    name: '#logs-error',
    topic: 'ERROR, CRITICAL and FATAL entries',
    rule: { name: 'logs-error', when: (e) => levelRank(e.level) >= ERROR_RANK, to: 'channels/logs-error' },
  },
  {
    name: '#logs-warning',
    topic: 'WARNING and above',
    rule: { name: 'logs-warning', when: (e) => levelRank(e.level) >= WARNING_RANK, to: 'channels/logs-warning' },
  },
  {
    name: '#logs-database',
    topic: 'Entries that mention database or sql',
    rule: { name: 'logs-database', match: /database|sql/i, field: 'message', to: 'channels/logs-database' },
  },
  {
    name: '#logs-security',
    topic: 'Category SECURITY, or entries that mention auth or permission',
    rule: {
      name: 'logs-security',
      when: (e) => e.category === 'SECURITY' || /auth|permission/i.test(e.message),
      to: 'channels/logs-security',
    },
  },
];

/** Prefix of pattern channels. */
export const PATTERN_PREFIX = '#logs/';
/** Longest channel name (`CHANNELLEN`). */
export const CHANNEL_LENGTH = 50;

/**
 * The topic an entry is published on for pattern channels: `logs/<service>/<LEVEL>`. The
 * service is lower-cased because IRC channel names are case-insensitive: `#logs/Payments/*`
 * and `#logs/payments/*` are one channel, so they must see the same entries.
 *
 * @example
 * ```ts
 * entryTopic({ service: 'Payments', level: 'ERROR', … }); // 'logs/payments/ERROR'
 * ```
 */
export function entryTopic(entry: LogEntry): string {
  return `logs/${foldCase(entry.service)}/${entry.level}`;
}

/** A router with the rules of `definitions`. */
export function createRouter(definitions: readonly FilteredChannelDefinition[] = FILTERED_CHANNELS): Router<LogEntry> {
  return new Router<LogEntry>(definitions.map((definition) => definition.rule));
}
