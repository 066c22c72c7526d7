/**
 * Topics ↔ NATS subjects. A topic's levels become a subject's tokens under a prefix
 * (`logs/api/ERROR` → `logcaster.logs.api.ERROR`); a pattern's wildcards become NATS's
 * (`*` → `*`, a trailing `#` → `>` plus its parent subject, since `>` needs at least one
 * token and `#` matches zero levels too). What NATS reserves is escaped, so every topic has a
 * subject and back.
 *
 * @module
 */
import { parsePattern, type TopicSyntax } from 'logcaster/adapter';
import { invalidArgType } from '../internal/coded-errors.js';

/** The character that starts an escape (`%` and two hex digits), itself escaped. */
const ESCAPE = 0x25;
/** A lone `%`: the token of an empty level (NATS tokens cannot be empty). */
const EMPTY_LEVEL = '%';

/** Whether a character must be escaped in a token: `%`, `.`, `*`, `>`, space, controls, DEL. */
function reserved(code: number): boolean {
  return code <= 0x20 || code === 0x7f || code === ESCAPE || code === 0x2e || code === 0x2a || code === 0x3e;
}

const HEX = '0123456789ABCDEF';

/** The subject token of one topic level. */
export function escapeLevel(level: string): string {
  if (level.length === 0) return EMPTY_LEVEL;
  let out: string | undefined;
  let from = 0;
  for (let i = 0; i < level.length; i++) {
    const code = level.charCodeAt(i);
    if (!reserved(code)) continue;
    out = (out ?? '') + level.slice(from, i) + '%' + HEX[code >> 4] + HEX[code & 15];
    from = i + 1;
  }
  return out === undefined ? level : out + level.slice(from);
}

/** The topic level of one subject token (the inverse of {@link escapeLevel}). */
export function unescapeToken(token: string): string {
  if (token === EMPTY_LEVEL) return '';
  if (!token.includes('%')) return token;
  return token.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** Checks a subject prefix: dot-separated tokens, none empty, no wildcard, no whitespace. */
function checkPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || prefix.length === 0) {
    throw invalidArgType(`prefix must be a non-empty string (got ${JSON.stringify(prefix)})`);
  }
  for (const token of prefix.split('.')) {
    if (token.length === 0 || token === '*' || token === '>' || /\s/.test(token)) {
      throw invalidArgType(
        `prefix must be NATS subject tokens joined by '.', with no wildcard, empty token or whitespace (got ${JSON.stringify(prefix)})`,
      );
    }
  }
  if (prefix === '_logcaster' || prefix.startsWith('_logcaster.')) {
    throw invalidArgType(`prefix must not start with '_logcaster': the bridges' control subjects live there (got ${JSON.stringify(prefix)})`);
  }
  return prefix;
}

/**
 * Maps topics to subjects and patterns to the subjects to subscribe to, with one topic
 * syntax (the broker's).
 *
 * @example
 * ```ts
 * const map = new SubjectMap('logcaster', broker.syntax);
 * map.subjectOf('logs/api/ERROR'); // 'logcaster.logs.api.ERROR'
 * map.subjectOf('v1.2/a b');       // 'logcaster.v1%2E2.a%20b'
 * map.subjectsOf('logs/#');        // ['logcaster.logs.>', 'logcaster.logs']
 * ```
 */
export class SubjectMap {
  /** The subject prefix, without its trailing dot. */
  readonly prefix: string;
  /** The topic syntax. */
  readonly syntax: Readonly<TopicSyntax>;
  private readonly head: string;

  /** @throws TypeError (`ERR_INVALID_ARG_TYPE`) for a prefix that is not plain subject tokens. */
  constructor(prefix: string, syntax: Readonly<TopicSyntax>) {
    this.prefix = checkPrefix(prefix);
    this.syntax = syntax;
    this.head = `${prefix}.`;
  }

  /** The subject a topic is published on. The topic must be valid (the broker checked it). */
  subjectOf(topic: string): string {
    const separator = this.syntax.separator;
    let out = this.head;
    let from = 0;
    for (;;) {
      const at = topic.indexOf(separator, from);
      const level = at === -1 ? topic.slice(from) : topic.slice(from, at);
      out += escapeLevel(level);
      if (at === -1) return out;
      out += '.';
      from = at + separator.length;
    }
  }

  /** The topic of a subject {@link SubjectMap.subjectOf} made, or undefined for another subject. */
  topicOf(subject: string): string | undefined {
    if (!subject.startsWith(this.head)) return undefined;
    return subject.slice(this.head.length).split('.').map(unescapeToken).join(this.syntax.separator);
  }

  /**
   * The subjects a subscriber to `pattern` needs: one, or two for a trailing multi-level
   * wildcard (`a/#` → `a.>` and `a`; `#` alone → `>`).
   *
   * @throws `TopicError` for an invalid pattern.
   */
  subjectsOf(pattern: string): string[] {
    const { singleLevelWildcard, multiLevelWildcard } = this.syntax;
    const levels = parsePattern(pattern, this.syntax as TopicSyntax);
    const tokens = levels.map((level) => (level === singleLevelWildcard ? '*' : escapeLevel(level)));
    if (levels[levels.length - 1] !== multiLevelWildcard) return [this.head + tokens.join('.')];
    tokens.pop();
    const parent = tokens.join('.');
    return tokens.length === 0 ? [`${this.head}>`] : [`${this.head}${parent}.>`, this.head + parent];
  }
}

/** A NATS queue subscription a queue group needs: the subject and the queue name. */
export interface QueueSubject {
  readonly subject: string;
  readonly queue: string;
}

/**
 * The suffix of the queue name on the parent subject of a `#` pattern (`a/#` → `a`): a topic
 * `a` must reach group g on `a/#` and group g on `a` (two groups for the broker) and both
 * subscribe to subject `a`, so their queue names differ. `%` followed by a letter that is not
 * a hex digit never comes out of {@link escapeLevel}, so no group name can make it.
 */
const PARENT_QUEUE_SUFFIX = '%parent';

/**
 * The queue subscriptions a member of queue group `group` on `pattern` needs: one per
 * subject of the pattern, each with a queue name made of the group's name escaped as a
 * subject token is (no whitespace, `.`, `*` or `>`, which NATS reserves).
 *
 * @throws `TopicError` for an invalid pattern.
 */
export function queueSubjectsOf(map: SubjectMap, group: string, pattern: string): QueueSubject[] {
  const queue = escapeLevel(group);
  return map.subjectsOf(pattern).map((subject, index) => ({ subject, queue: index === 0 ? queue : queue + PARENT_QUEUE_SUFFIX }));
}

/** Whether NATS subject pattern `pattern` matches subject `subject` (`*` one token, `>` one or more at the end). */
export function subjectMatches(pattern: string, subject: string): boolean {
  const want = pattern.split('.');
  const have = subject.split('.');
  for (let i = 0; i < want.length; i++) {
    if (want[i] === '>') return have.length > i;
    if (i >= have.length) return false;
    if (want[i] !== '*' && want[i] !== have[i]) return false;
  }
  return want.length === have.length;
}

/** Whether every subject `inner` matches is matched by `outer` too (both NATS subject patterns). */
export function subjectCovers(outer: string, inner: string): boolean {
  const a = outer.split('.');
  const b = inner.split('.');
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '>') return b.length > i;
    if (i >= b.length || b[i] === '>') return false;
    if (a[i] !== '*' && a[i] !== b[i]) return false;
  }
  return a.length === b.length;
}
