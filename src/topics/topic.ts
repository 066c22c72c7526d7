/**
 * Topic syntax: the separator, the two wildcards, the limits, and the checks that
 * every pattern and every published topic pass before anything changes.
 *
 * @module
 */

/** Why a topic or pattern was rejected; the `code` of a {@link TopicError}. */
export type TopicErrorCode =
  | 'NOT_A_STRING'
  | 'EMPTY'
  | 'TOO_LONG'
  | 'TOO_MANY_LEVELS'
  | 'WILDCARD_IN_TOPIC'
  | 'WILDCARD_NOT_WHOLE_LEVEL'
  | 'MULTI_WILDCARD_NOT_LAST';

/**
 * A topic or pattern that breaks the syntax rules. Thrown at the call site before any
 * state changes.
 *
 * @example
 * ```ts
 * try { trie.add('logs/#/x', 1); } catch (e) {
 *   if (e instanceof TopicError) console.log(e.code, e.topic); // MULTI_WILDCARD_NOT_LAST logs/#/x
 * }
 * ```
 */
export class TopicError extends Error {
  /** Machine-readable reason. */
  readonly code: TopicErrorCode;
  /** The offending topic or pattern, as given (or its `String()` form if it was not a string). */
  readonly topic: string;

  constructor(code: TopicErrorCode, topic: string, message: string) {
    super(message);
    this.name = 'TopicError';
    this.code = code;
    this.topic = topic;
  }
}

/** Syntax and limits shared by {@link TopicTrie} and {@link PubSubBroker}. */
export interface TopicOptions {
  /**
   * Level separator.
   * @default '/'
   */
  separator?: string;
  /**
   * The one-level wildcard. It matches exactly one level, which may be empty.
   * Use `'+'` for MQTT syntax.
   * @default '*'
   */
  singleLevelWildcard?: string;
  /**
   * The multi-level wildcard. Only allowed as the last level; matches zero or more levels
   * (`a/#` matches `a`, `a/b` and `a/b/c`).
   * @default '#'
   */
  multiLevelWildcard?: string;
  /**
   * Most levels a topic or pattern may have. Minimum: 1.
   * @default 128
   */
  maxLevels?: number;
  /**
   * Longest topic or pattern, in UTF-16 code units. Minimum: 1. (MQTT's limit is 65,535 bytes.)
   * @default 65535
   */
  maxLength?: number;
}

/** {@link TopicOptions} with every default filled in. */
export interface TopicSyntax {
  readonly separator: string;
  readonly singleLevelWildcard: string;
  readonly multiLevelWildcard: string;
  readonly maxLevels: number;
  readonly maxLength: number;
}

/** The defaults of {@link TopicOptions}. */
export const DEFAULT_TOPIC_SYNTAX: TopicSyntax = Object.freeze({
  separator: '/',
  singleLevelWildcard: '*',
  multiLevelWildcard: '#',
  maxLevels: 128,
  maxLength: 65_535,
});

/**
 * Fills in defaults and validates the options once.
 *
 * @throws RangeError when a limit is not a positive integer, a token is empty, or two tokens
 *   collide (for example a wildcard that contains the separator).
 */
export function resolveTopicSyntax(options: TopicOptions = {}): TopicSyntax {
  const syntax: TopicSyntax = {
    separator: options.separator ?? DEFAULT_TOPIC_SYNTAX.separator,
    singleLevelWildcard: options.singleLevelWildcard ?? DEFAULT_TOPIC_SYNTAX.singleLevelWildcard,
    multiLevelWildcard: options.multiLevelWildcard ?? DEFAULT_TOPIC_SYNTAX.multiLevelWildcard,
    maxLevels: options.maxLevels ?? DEFAULT_TOPIC_SYNTAX.maxLevels,
    maxLength: options.maxLength ?? DEFAULT_TOPIC_SYNTAX.maxLength,
  };
  for (const key of ['separator', 'singleLevelWildcard', 'multiLevelWildcard'] as const) {
    const value = syntax[key];
    if (typeof value !== 'string' || value.length === 0) {
      throw new RangeError(`${key} must be a non-empty string (got ${JSON.stringify(value)})`);
    }
  }
  for (const key of ['maxLevels', 'maxLength'] as const) {
    const value = syntax[key];
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`${key} must be an integer >= 1 (got ${String(value)})`);
    }
  }
  const { separator: sep, singleLevelWildcard: one, multiLevelWildcard: many } = syntax;
  if (one === many) {
    throw new RangeError(`singleLevelWildcard and multiLevelWildcard must differ (both ${JSON.stringify(one)})`);
  }
  for (const wildcard of [one, many]) {
    if (wildcard.includes(sep) || sep.includes(wildcard)) {
      throw new RangeError(
        `a wildcard and the separator must not contain each other (wildcard ${JSON.stringify(wildcard)}, separator ${JSON.stringify(sep)})`,
      );
    }
  }
  return Object.freeze(syntax);
}

function checkCommon(value: unknown, syntax: TopicSyntax, what: string): string[] {
  if (typeof value !== 'string') {
    throw new TopicError('NOT_A_STRING', String(value), `${what} must be a string (got ${typeof value})`);
  }
  if (value.length === 0) {
    throw new TopicError('EMPTY', value, `${what} must not be empty`);
  }
  if (value.length > syntax.maxLength) {
    throw new TopicError(
      'TOO_LONG',
      value,
      `${what} is ${value.length} characters long; the limit is ${syntax.maxLength}`,
    );
  }
  const levels = value.split(syntax.separator);
  if (levels.length > syntax.maxLevels) {
    throw new TopicError(
      'TOO_MANY_LEVELS',
      value,
      `${what} has ${levels.length} levels; the limit is ${syntax.maxLevels}`,
    );
  }
  return levels;
}

/**
 * Splits a subscription pattern into levels after checking it.
 *
 * @throws {@link TopicError} when the pattern is empty, too long, too deep, has a wildcard
 *   that is not a whole level, or a multi-level wildcard that is not the last level.
 */
export function parsePattern(pattern: string, syntax: TopicSyntax): string[] {
  const levels = checkCommon(pattern, syntax, 'pattern');
  const { singleLevelWildcard: one, multiLevelWildcard: many } = syntax;
  const last = levels.length - 1;
  for (let i = 0; i <= last; i++) {
    const level = levels[i];
    if (level === one) continue;
    if (level === many) {
      if (i !== last) {
        throw new TopicError(
          'MULTI_WILDCARD_NOT_LAST',
          pattern,
          `'${many}' may only be the last level (pattern ${JSON.stringify(pattern)}, level ${i})`,
        );
      }
      continue;
    }
    if (level.includes(one) || level.includes(many)) {
      throw new TopicError(
        'WILDCARD_NOT_WHOLE_LEVEL',
        pattern,
        `a wildcard must be a whole level (pattern ${JSON.stringify(pattern)}, level ${i}: ${JSON.stringify(level)})`,
      );
    }
  }
  return levels;
}

/**
 * Splits a published topic into levels after checking it.
 *
 * @throws {@link TopicError} when the topic is empty, too long, too deep, or contains a
 *   wildcard character.
 */
export function parseTopic(topic: string, syntax: TopicSyntax): string[] {
  const levels = checkCommon(topic, syntax, 'topic');
  const { singleLevelWildcard: one, multiLevelWildcard: many } = syntax;
  if (topic.includes(one) || topic.includes(many)) {
    throw new TopicError(
      'WILDCARD_IN_TOPIC',
      topic,
      `a published topic may not contain '${one}' or '${many}' (topic ${JSON.stringify(topic)})`,
    );
  }
  return levels;
}
