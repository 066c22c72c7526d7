/**
 * Rule-based routing: which topics a message goes to, as data rather than code.
 *
 * @module
 */
import { mustBe } from '../internal/checks.js';
import { invalidArgType, invalidArgValue } from '../internal/coded-errors.js';
import { checkOptions, optionKeys } from '../internal/options.js';
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

/** The keys of {@link RouteRule}, for the check of unknown keys. */
export const ROUTE_RULE_KEYS = /* @__PURE__ */ optionKeys<RouteRule<unknown>>({ name: true, match: true, field: true, when: true, to: true });

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
   * @throws TypeError when a rule is not an object or has a key that is not a rule field
   *   (`ERR_UNKNOWN_OPTION`, naming the nearest one), no destination or a malformed
   *   `match`/`when` (`ERR_INVALID_ARG_TYPE`), or a RegExp with the g or y flag
   *   (`ERR_INVALID_ARG_VALUE`).
   */
  constructor(rules: readonly RouteRule<T>[] = []) {
    if (!Array.isArray(rules)) throw invalidArgType(mustBe('rules', 'an array of rules', rules));
    for (const rule of rules) this.push(compile(rule, 'new Router'));
  }

  /** Number of rules. */
  get size(): number {
    return this.rules.length;
  }

  /**
   * Appends a rule.
   *
   * @throws TypeError as the constructor does for a bad rule.
   */
  add(rule: RouteRule<T>): this {
    this.push(compile(rule, 'Router.add'));
    return this;
  }

  private push(compiled: CompiledRule<T>): void {
    this.rules.push(compiled);
    this.checkedFor = undefined;
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

/** Checks a rule (`where` names the call, for the messages) and makes its destinations an array. */
function compile<T>(rule: RouteRule<T>, where: string): CompiledRule<T> {
  checkOptions(where, rule, ROUTE_RULE_KEYS, 'rule');
  const label = `${where}: rule${typeof rule.name === 'string' ? ` '${rule.name}'` : ''}`;
  if (rule.name !== undefined && typeof rule.name !== 'string') throw invalidArgType(`${label}: ${mustBe('name', 'a string', rule.name)}`);
  if (rule.field !== undefined && typeof rule.field !== 'string') throw invalidArgType(`${label}: ${mustBe('field', 'a string', rule.field)}`);
  const given: unknown = rule.to;
  const to: unknown[] = typeof given === 'string' ? [given] : Array.isArray(given) ? [...(given as unknown[])] : [];
  if (to.length === 0 || to.some((topic) => typeof topic !== 'string' || topic.length === 0)) {
    throw invalidArgType(`${label}: ${mustBe('to', 'a non-empty topic or a non-empty array of them', given)}`);
  }
  const { match } = rule;
  if (match !== undefined && !(match instanceof RegExp) && typeof match !== 'function') {
    throw invalidArgType(`${label}: ${mustBe('match', 'a RegExp or a function', match)}`);
  }
  if (rule.when !== undefined && typeof rule.when !== 'function') throw invalidArgType(`${label}: ${mustBe('when', 'a function', rule.when)}`);
  if (match instanceof RegExp && (match.global || match.sticky)) {
    // A global or sticky RegExp keeps lastIndex between tests and would skip matches.
    throw invalidArgValue(`${label}: match must not use the g or y flag (got ${String(match)})`);
  }
  return { rule, to: to as string[] };
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
