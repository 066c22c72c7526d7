/**
 * What a web viewer watches: `?channel=#logs-error` (a filtered channel, or a pattern channel
 * `#logs/<pattern>`) or `?pattern=logs/*\/ERROR`, turned into the broker pattern to subscribe
 * to. The same canonical form as the IRC pattern channels: the service level in lower case,
 * the level level in upper case, so `logs/API/error` and `#logs/api/ERROR` see the same entries.
 * `?pattern=` also takes what an IRC client would JOIN (`#logs/*\/ERROR`, `#logs-error`), so the
 * page's one box accepts both spellings.
 *
 * @module
 */
import { TopicError } from 'logcaster';
import { parsePattern, type TopicSyntax } from 'logcaster/adapter';
import { FILTERED_CHANNELS, PATTERN_PREFIX, type FilteredChannelDefinition } from '../logs/log-channels.js';

/** What a viewer asked for, resolved. */
export interface ViewerTopic {
  /** The broker pattern the viewer's subscription uses. */
  readonly pattern: string;
  /** The channel name when one was asked for (or implied), e.g. `#logs-all`. */
  readonly channel: string | undefined;
}

/** Thrown for a `channel` or `pattern` the viewer cannot watch; the message says why. */
export class ViewerTopicError extends Error {
  /** Stable error code. */
  readonly code = 'ERR_VIEWER_TOPIC' as const;

  constructor(message: string) {
    super(message);
    this.name = 'ViewerTopicError';
  }
}

/** Longest pattern accepted, in characters: a subscription key must stay small. */
export const MAX_PATTERN_LENGTH = 200;

const PATTERN_CHARS = /^[A-Za-z0-9_.*#/-]+$/;

function channelTopic(definition: FilteredChannelDefinition): string {
  return typeof definition.rule.to === 'string' ? definition.rule.to : definition.rule.to[0];
}

/**
 * Checks a `logs/…` pattern (or the IRC channel spelling `#logs/…`) and returns its canonical
 * form.
 *
 * @throws {@link ViewerTopicError} when it does not start with `logs/`, has other characters
 *   than `[A-Za-z0-9_.-]`, `*`, `#` and `/`, has an empty level (`logs//x`, as the IRC side
 *   refuses it), or is not a valid pattern in `syntax`.
 */
export function canonicalPattern(raw: string, syntax: Readonly<TopicSyntax>): string {
  if (raw.length > MAX_PATTERN_LENGTH) throw new ViewerTopicError(`pattern must be at most ${MAX_PATTERN_LENGTH} characters (got ${raw.length})`);
  if (!PATTERN_CHARS.test(raw)) {
    throw new ViewerTopicError(`pattern may only use letters, digits, _ . - and the wildcards * and # between / (got ${JSON.stringify(raw)})`);
  }
  const levels = (raw.toLowerCase().startsWith(PATTERN_PREFIX) ? raw.slice(1) : raw).split('/');
  if (levels[0].toLowerCase() !== 'logs' || levels.length < 2) {
    throw new ViewerTopicError(`pattern must start with logs/ (topics are logs/<service>/<LEVEL>; got ${JSON.stringify(raw)})`);
  }
  if (levels.includes('')) throw new ViewerTopicError(`pattern has an empty level (got ${JSON.stringify(raw)})`);
  for (let i = 0; i < levels.length; i++) levels[i] = i === 2 ? levels[i].toUpperCase() : levels[i].toLowerCase();
  const pattern = levels.join('/');
  try {
    parsePattern(pattern, syntax);
  } catch (error) {
    if (error instanceof TopicError) throw new ViewerTopicError(`bad pattern ${JSON.stringify(raw)}: ${error.message}`);
    throw error;
  }
  return pattern;
}

/**
 * Resolves the query of `/events` (or `/resolve`): `channel` or `pattern`, not both; neither
 * means `#logs-all`. A `pattern` that starts with `#` is a channel name, as an IRC client
 * would JOIN it: `#logs-error`, `#logs/*\/ERROR`.
 *
 * @throws {@link ViewerTopicError} for an unknown channel, a bad pattern, or both given.
 * @example
 * ```ts
 * resolveViewerTopic(new URLSearchParams('channel=%23logs-error'), broker.syntax); // { pattern: 'channels/logs-error', channel: '#logs-error' }
 * resolveViewerTopic(new URLSearchParams('pattern=logs/API/error'), broker.syntax); // { pattern: 'logs/api/ERROR', channel: undefined }
 * resolveViewerTopic(new URLSearchParams('pattern=%23logs/*\/error'), broker.syntax); // { pattern: 'logs/*\/ERROR', channel: '#logs/*\/ERROR' }
 * ```
 */
export function resolveViewerTopic(
  query: URLSearchParams,
  syntax: Readonly<TopicSyntax>,
  channels: readonly FilteredChannelDefinition[] = FILTERED_CHANNELS,
): ViewerTopic {
  const channel = query.get('channel');
  const pattern = query.get('pattern');
  if (channel !== null && pattern !== null) throw new ViewerTopicError('give channel or pattern, not both');
  if (pattern !== null && !pattern.startsWith('#')) return { pattern: canonicalPattern(pattern, syntax), channel: undefined };
  const name = pattern ?? channel ?? channels[0].name;
  const folded = name.toLowerCase();
  for (const definition of channels) {
    if (definition.name.toLowerCase() === folded) return { pattern: channelTopic(definition), channel: definition.name };
  }
  if (folded.startsWith(PATTERN_PREFIX)) {
    const canonical = canonicalPattern(`logs/${name.slice(PATTERN_PREFIX.length)}`, syntax);
    return { pattern: canonical, channel: `#${canonical}` };
  }
  throw new ViewerTopicError(
    `no such channel ${JSON.stringify(name.slice(0, 60))}; try ${channels.map((c) => c.name).join(' ')} or ${PATTERN_PREFIX}<service>/<LEVEL>`,
  );
}
