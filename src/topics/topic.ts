/**
 * Topic syntax: the separator, the two wildcards, the limits, and the checks that
 * every pattern and every published topic pass before anything changes.
 *
 * @module
 */

import { TopicError } from '../errors.js';
import { invalidArgType, invalidArgValue } from '../internal/coded-errors.js';
import { COUNT_FROM_1, mustBe, requireNumber } from '../internal/checks.js';
import { checkOptions, optionKeys } from '../internal/options.js';

/**
 * A named topic syntax:
 *
 * - `'default'`: `/` between levels, `*` for one level, `#` for the rest (RabbitMQ topic
 *   exchanges, with `/` instead of `.`).
 * - `'mqtt'`: `/`, `+` and `#`, as in MQTT.
 * - `'nats'`: `.`, `*` and `>`, as in NATS subjects.
 */
export type TopicSyntaxPreset = 'default' | 'mqtt' | 'nats';

/** A custom syntax: a preset to start from and the tokens to change. */
export interface TopicSyntaxOptions {
  /**
   * The preset the other fields override.
   * @default 'default'
   */
  preset?: TopicSyntaxPreset;
  /** Level separator. */
  separator?: string;
  /** The one-level wildcard: matches exactly one level, which may be empty. */
  singleLevelWildcard?: string;
  /**
   * The multi-level wildcard. Only allowed as the last level; matches zero or more levels
   * (`a/#` matches `a`, `a/b` and `a/b/c`).
   */
  multiLevelWildcard?: string;
  /**
   * Accept pattern levels that are another preset's wildcard (`+` or `>` under the default
   * syntax) as plain text. Off by default because `logs/+/ERROR` under the default syntax is
   * almost always an MQTT habit that would silently match nothing.
   * @default false
   */
  allowForeignWildcards?: boolean;
}

/** Syntax and limits shared by {@link TopicTrie} and {@link PubSubBroker}. */
export interface TopicOptions {
  /**
   * The separator and wildcards: a preset name or a {@link TopicSyntaxOptions} object.
   * @default 'default' (`/`, `*`, `#`)
   */
  syntax?: TopicSyntaxPreset | TopicSyntaxOptions;
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

/** The keys of {@link TopicOptions}, for the check of unknown keys (the broker's and the trie's options hold these and more). */
export const TOPIC_OPTION_KEYS = /* @__PURE__ */ optionKeys<TopicOptions>({ syntax: true, maxLevels: true, maxLength: true });

/** The keys of {@link TopicSyntaxOptions}. */
export const SYNTAX_OPTION_KEYS = /* @__PURE__ */ optionKeys<TopicSyntaxOptions>({
  preset: true,
  separator: true,
  singleLevelWildcard: true,
  multiLevelWildcard: true,
  allowForeignWildcards: true,
});

/** {@link TopicOptions} with every default filled in: what `broker.syntax` returns. */
export interface TopicSyntax {
  /** The preset it was built from. */
  readonly preset: TopicSyntaxPreset;
  readonly separator: string;
  readonly singleLevelWildcard: string;
  readonly multiLevelWildcard: string;
  /** Whether pattern levels equal to another preset's wildcard are accepted as text. */
  readonly allowForeignWildcards: boolean;
  readonly maxLevels: number;
  readonly maxLength: number;
}

const PRESETS: Readonly<Record<TopicSyntaxPreset, Pick<TopicSyntax, 'separator' | 'singleLevelWildcard' | 'multiLevelWildcard'>>> =
  Object.freeze({
    default: Object.freeze({ separator: '/', singleLevelWildcard: '*', multiLevelWildcard: '#' }),
    mqtt: Object.freeze({ separator: '/', singleLevelWildcard: '+', multiLevelWildcard: '#' }),
    nats: Object.freeze({ separator: '.', singleLevelWildcard: '*', multiLevelWildcard: '>' }),
  });

/** The defaults of {@link TopicOptions}. */
export const DEFAULT_TOPIC_SYNTAX: TopicSyntax = Object.freeze({
  preset: 'default',
  ...PRESETS.default,
  allowForeignWildcards: false,
  maxLevels: 128,
  maxLength: 65_535,
});

/** For each wildcard token of any preset, the presets where it is one. */
function presetsUsing(token: string): TopicSyntaxPreset[] {
  const out: TopicSyntaxPreset[] = [];
  for (const name of Object.keys(PRESETS) as TopicSyntaxPreset[]) {
    const preset = PRESETS[name];
    if (preset.singleLevelWildcard === token || preset.multiLevelWildcard === token) out.push(name);
  }
  return out;
}

/** Every token that is a wildcard in some preset. */
const ALL_WILDCARDS: readonly string[] = [...new Set(Object.values(PRESETS).flatMap((p) => [p.singleLevelWildcard, p.multiLevelWildcard]))];

/**
 * Fills in defaults and validates the options once.
 *
 * @throws TypeError (`ERR_UNKNOWN_OPTION`) for a key that is not one of {@link TopicOptions}
 *   or, in a `syntax` object, of {@link TopicSyntaxOptions}; (`ERR_INVALID_ARG_TYPE`) for a
 *   value of the wrong type.
 * @throws RangeError when a limit is not a positive integer (`ERR_OUT_OF_RANGE`), the preset is
 *   unknown, a token is empty, or two tokens collide, for example a wildcard that contains the
 *   separator (`ERR_INVALID_ARG_VALUE`).
 */
export function resolveTopicSyntax(options: TopicOptions = {}): TopicSyntax {
  checkOptions('resolveTopicSyntax', options, TOPIC_OPTION_KEYS);
  return buildTopicSyntax(options);
}

/**
 * {@link resolveTopicSyntax} for a caller that has checked the keys of its own options (which
 * hold the {@link TopicOptions} and more): checks the values, and the keys of a `syntax` object.
 *
 * @internal
 */
export function buildTopicSyntax(options: TopicOptions): TopicSyntax {
  const given = options.syntax ?? 'default';
  const custom: TopicSyntaxOptions = typeof given === 'string' ? { preset: given } : given;
  if (custom === null || typeof custom !== 'object' || Array.isArray(custom)) {
    throw invalidArgType(mustBe('syntax', "'default', 'mqtt', 'nats' or an object", given));
  }
  checkOptions('', custom, SYNTAX_OPTION_KEYS, 'syntax');
  const presetName = custom.preset ?? 'default';
  const preset = Object.hasOwn(PRESETS, presetName) ? PRESETS[presetName] : undefined;
  if (preset === undefined) {
    throw invalidArgValue(mustBe('syntax preset', "'default', 'mqtt' or 'nats'", presetName), 'range');
  }
  const syntax: TopicSyntax = {
    preset: presetName,
    separator: custom.separator ?? preset.separator,
    singleLevelWildcard: custom.singleLevelWildcard ?? preset.singleLevelWildcard,
    multiLevelWildcard: custom.multiLevelWildcard ?? preset.multiLevelWildcard,
    allowForeignWildcards: custom.allowForeignWildcards ?? false,
    maxLevels: options.maxLevels ?? DEFAULT_TOPIC_SYNTAX.maxLevels,
    maxLength: options.maxLength ?? DEFAULT_TOPIC_SYNTAX.maxLength,
  };
  if (typeof syntax.allowForeignWildcards !== 'boolean') {
    throw invalidArgType(mustBe('syntax.allowForeignWildcards', 'a boolean', syntax.allowForeignWildcards));
  }
  for (const key of ['separator', 'singleLevelWildcard', 'multiLevelWildcard'] as const) {
    const value: unknown = syntax[key];
    if (typeof value !== 'string') throw invalidArgType(mustBe(`syntax.${key}`, 'a non-empty string', value));
    if (value.length === 0) throw invalidArgValue(mustBe(`syntax.${key}`, 'a non-empty string', value), 'range');
  }
  requireNumber('maxLevels', syntax.maxLevels, COUNT_FROM_1);
  requireNumber('maxLength', syntax.maxLength, COUNT_FROM_1);
  const { separator: sep, singleLevelWildcard: one, multiLevelWildcard: many } = syntax;
  if (one === many) {
    throw invalidArgValue(`singleLevelWildcard and multiLevelWildcard must differ (both ${JSON.stringify(one)})`, 'range');
  }
  for (const wildcard of [one, many]) {
    if (wildcard.includes(sep) || sep.includes(wildcard)) {
      throw invalidArgValue(
        `a wildcard and the separator must not contain each other (wildcard ${JSON.stringify(wildcard)}, separator ${JSON.stringify(sep)})`,
        'range',
      );
    }
  }
  return Object.freeze(syntax);
}

function checkCommon(value: unknown, syntax: TopicSyntax, what: string): string[] {
  if (typeof value !== 'string') {
    throw new TopicError('NOT_A_STRING', String(value), mustBe(what, 'a string', value));
  }
  if (value.length === 0) {
    throw new TopicError('EMPTY', value, `${what} must not be empty`);
  }
  if (value.length > syntax.maxLength) {
    throw new TopicError(
      'TOO_LONG',
      value,
      `${what} is ${value.length} characters long; maxLength is ${syntax.maxLength}`,
    );
  }
  const levels = value.split(syntax.separator);
  if (levels.length > syntax.maxLevels) {
    throw new TopicError(
      'TOO_MANY_LEVELS',
      value,
      `${what} has ${levels.length} levels; maxLevels is ${syntax.maxLevels}`,
    );
  }
  return levels;
}

/**
 * Splits a subscription pattern into levels after checking it.
 *
 * @throws {@link TopicError} when the pattern is empty, too long, too deep, has a wildcard
 *   that is not a whole level, a multi-level wildcard that is not the last level, or a level
 *   that is another preset's wildcard (unless `allowForeignWildcards`).
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
    if (!syntax.allowForeignWildcards && ALL_WILDCARDS.includes(level)) refuseForeign(pattern, level, i, syntax);
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
  const levels: string[] = [];
  scanTopic(topic, syntax, levels);
  return levels;
}

/**
 * Whether a published `topic` matches a subscription `pattern` under `syntax`: the answer a
 * `TopicTrie` holding only that pattern gives (one-level and multi-level wildcards, and
 * MQTT's rule that a wildcard first level does not match a topic starting with `$`).
 *
 * @example
 * ```ts
 * topicMatches('logs/*\/ERROR', 'logs/api/ERROR'); // true
 * topicMatches('logs/#', 'logs');                  // true: '#' matches zero levels too
 * ```
 * @throws {@link TopicError} when the pattern or the topic is invalid.
 */
export function topicMatches(pattern: string, topic: string, syntax: TopicSyntax = DEFAULT_TOPIC_SYNTAX): boolean {
  const levels = parsePattern(pattern, syntax);
  scanTopic(topic, syntax, []);
  return matchesLevels(levels, topic, syntax);
}

/**
 * Whether `topic` matches the pattern split into `levels`, without splitting the topic (the
 * scan that invalidates cached topics runs this once per cached topic, so the pattern is
 * split once for all of them).
 *
 * @internal
 */
export function matchesLevels(levels: readonly string[], topic: string, syntax: TopicSyntax): boolean {
  const { separator, singleLevelWildcard: one, multiLevelWildcard: many } = syntax;
  const first = levels[0];
  // MQTT: wildcards at the first level do not reach `$`-topics.
  if ((first === one || first === many) && topic.charCodeAt(0) === 36) return false;
  let pos = 0; // start of the next topic level; -1 once every level was consumed
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    if (level === many) return true;
    if (pos < 0) return false;
    const end = topic.indexOf(separator, pos);
    const stop = end < 0 ? topic.length : end;
    if (level !== one && (stop - pos !== level.length || !topic.startsWith(level, pos))) return false;
    pos = end < 0 ? -1 : end + separator.length;
  }
  return pos < 0;
}

/**
 * Checks a published topic and writes its levels into `levels[0..count)` in one pass over
 * its characters (no `split`, no second scan for wildcards), reusing the caller's array.
 * Slots from `count` on keep whatever they held. For single-character tokens (every preset);
 * other syntaxes, and every invalid topic, go through {@link checkTopic}, so the errors
 * (reason, message, precedence) are exactly those of the split-based checks.
 *
 * @returns the number of levels.
 * @throws {@link TopicError} as {@link parseTopic}.
 * @internal
 */
export function scanTopic(topic: string, syntax: TopicSyntax, levels: string[]): number {
  const { separator, singleLevelWildcard: one, multiLevelWildcard: many, maxLevels } = syntax;
  const length = typeof topic === 'string' ? topic.length : 0;
  if (length !== 0 && length <= syntax.maxLength && separator.length === 1 && one.length === 1 && many.length === 1) {
    const sep = separator.charCodeAt(0);
    const oneCode = one.charCodeAt(0);
    const manyCode = many.charCodeAt(0);
    let count = 0;
    let start = 0;
    let i = 0;
    for (; i < length; i++) {
      const code = topic.charCodeAt(i);
      if (code === sep) {
        if (count + 1 === maxLevels) break; // one more level would be too many
        levels[count++] = topic.slice(start, i);
        start = i + 1;
      } else if (code === oneCode || code === manyCode) {
        break;
      }
    }
    if (i === length) {
      levels[count++] = start === 0 ? topic : topic.slice(start);
      return count;
    }
  }
  const checked = checkTopic(topic, syntax);
  for (let i = 0; i < checked.length; i++) levels[i] = checked[i];
  return checked.length;
}

/** The split-based checks of a published topic: the reference for every error. */
function checkTopic(topic: string, syntax: TopicSyntax): string[] {
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

function refuseForeign(pattern: string, level: string, index: number, syntax: TopicSyntax): never {
  const presets = presetsUsing(level).filter((name) => name !== syntax.preset);
  const hint = presets.length > 0 ? `use the ${presets.map((p) => `'${p}'`).join(' or ')} syntax preset` : 'use a syntax where it is a wildcard';
  throw new TopicError(
    'FOREIGN_WILDCARD',
    pattern,
    `${JSON.stringify(level)} is not a wildcard in the '${syntax.preset}' topic syntax (pattern ${JSON.stringify(pattern)}, level ${index}), so this pattern would only match that character literally: ${hint} (e.g. new PubSubBroker({ syntax: '${presets[0] ?? 'mqtt'}' })), or set syntax.allowForeignWildcards to match it as text`,
  );
}
