/**
 * Rule-based routing: which topics a message goes to, as data rather than code.
 *
 * @module
 */
import { parseTopic, type TopicSyntax } from '../topics/topic.js';
import type { PubSubBroker } from './broker.js';

/**
 * One routing rule: when the message matches (and the optional condition holds), it goes to
 * the rule's destination topics.
 *
 * @example
 * ```ts
 * const errors: RouteRule<LogEntry> = { name: 'errors', when: (e) => e.level >= 40, to: 'channels/logs-error' };
 * const database: RouteRule<LogEntry> = { match: /database|sql/i, field: 'message', to: 'channels/logs-database' };
 * ```
 */
export interface RouteRule<T> {
  /** A label for {@link Router.remove} and diagnostics. */
  name?: string;
  /**
   * A RegExp tested against {@link RouteRule.field} (or against the message itself when the
   * message is a string), or a predicate on the message. Omitted: every message matches.
   */
  match?: RegExp | ((message: T) => boolean);
  /**
   * The message field a RegExp `match` is tested against. Non-string values are converted
   * with `String()`; a missing field never matches.
   */
  field?: string;
  /** An extra condition that must also hold. */
  when?: (message: T) => boolean;
  /** Destination topic or topics. */
  to: string | readonly string[];
}

/** A rule after validation, with its destinations as an array. */
interface CompiledRule<T> {
  readonly rule: RouteRule<T>;
  readonly to: readonly string[];
}

/**
 * Maps messages to topics by rules, so channel filters such as "errors go to `#logs-error`"
 * are configuration. Rules are evaluated in order; a message goes to the union of the
 * destinations of every rule it matches, each topic once, in first-match order.
 *
 * @typeParam T - the message type.
 * @example
 * ```ts
 * const router = new Router<LogEntry>([
 *   { to: 'channels/logs-all' },
 *   { when: (e) => e.level === 'ERROR', to: 'channels/logs-error' },
 *   { match: /database|sql/i, field: 'message', to: 'channels/logs-database' },
 * ]);
 * router.route({ level: 'ERROR', message: 'sql timeout' });
 * // ['channels/logs-all', 'channels/logs-error', 'channels/logs-database']
 * router.publish(broker, entry); // publishes on each destination
 * ```
 */
export class Router<T> {
  private rules: CompiledRule<T>[] = [];
  /** The syntax every destination was last checked against (see `publish`). */
  private checkedFor: TopicSyntax | undefined = undefined;

  /**
   * @throws TypeError when a rule has no destination or a malformed `match`.
   */
  constructor(rules: readonly RouteRule<T>[] = []) {
    for (const rule of rules) this.add(rule);
  }

  /** Number of rules. */
  get size(): number {
    return this.rules.length;
  }

  /**
   * Appends a rule.
   *
   * @throws TypeError when the rule has no destination or a malformed `match`/`when`.
   */
  add(rule: RouteRule<T>): this {
    const to = typeof rule.to === 'string' ? [rule.to] : [...rule.to];
    if (to.length === 0 || to.some((topic) => typeof topic !== 'string' || topic.length === 0)) {
      throw new TypeError(`rule ${rule.name ?? ''} needs at least one non-empty destination topic (got ${JSON.stringify(rule.to)})`);
    }
    if (rule.match !== undefined && !(rule.match instanceof RegExp) && typeof rule.match !== 'function') {
      throw new TypeError(`rule ${rule.name ?? ''}: match must be a RegExp or a function`);
    }
    if (rule.when !== undefined && typeof rule.when !== 'function') {
      throw new TypeError(`rule ${rule.name ?? ''}: when must be a function`);
    }
    if (rule.match instanceof RegExp && (rule.match.global || rule.match.sticky)) {
      // A global or sticky RegExp keeps lastIndex between tests and would skip matches.
      throw new TypeError(`rule ${rule.name ?? ''}: match must not use the g or y flag (got ${String(rule.match)})`);
    }
    this.rules.push({ rule, to });
    this.checkedFor = undefined;
    return this;
  }

  /**
   * Removes every rule with this name.
   *
   * @returns how many rules were removed.
   */
  remove(name: string): number {
    const before = this.rules.length;
    this.rules = this.rules.filter((compiled) => compiled.rule.name !== name);
    return before - this.rules.length;
  }

  /** The destination topics for `message`, each once, in rule order. */
  route(message: T): string[] {
    const out: string[] = [];
    for (const { rule, to } of this.rules) {
      if (!matches(rule, message)) continue;
      for (const topic of to) if (!out.includes(topic)) out.push(topic);
    }
    return out;
  }

  /**
   * Publishes `message` on every destination topic. Every rule's destinations are checked
   * against the broker's syntax before the first publish (and after a rule is added), so a
   * destination that is not a valid topic (`'a/#'`) fails before anything is delivered.
   *
   * @returns the total number of handlers that received it.
   * @throws {@link TopicError} naming the rule and the destination that is not a valid topic.
   */
  publish(broker: PubSubBroker<T>, message: T): number {
    const syntax = broker.syntax;
    if (this.checkedFor !== syntax) {
      for (const { rule, to } of this.rules) {
        for (const topic of to) {
          try {
            parseTopic(topic, syntax);
          } catch (error) {
            if (error instanceof Error) error.message = `rule ${rule.name ?? ''}: destination ${error.message}`;
            throw error;
          }
        }
      }
      this.checkedFor = syntax;
    }
    let delivered = 0;
    for (const topic of this.route(message)) delivered += broker.publish(topic, message);
    return delivered;
  }
}

function matches<T>(rule: RouteRule<T>, message: T): boolean {
  const { match } = rule;
  if (match instanceof RegExp) {
    const subject = subjectOf(message, rule.field);
    if (subject === undefined || !match.test(subject)) return false;
  } else if (match !== undefined && !match(message)) {
    return false;
  }
  return rule.when === undefined || rule.when(message);
}

function subjectOf(message: unknown, field: string | undefined): string | undefined {
  if (field === undefined) return typeof message === 'string' ? message : undefined;
  if (message === null || typeof message !== 'object') return undefined;
  const value: unknown = (message as Record<string, unknown>)[field];
  return value === undefined || value === null ? undefined : String(value);
}
