import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTopic, resolveTopicSyntax, type TopicOptions } from '../src/adapter.js';
import { TopicError, TopicTrie } from '../src/index.js';

/**
 * The split-based checks published topics went through before the one-pass scanner: the
 * reference the scanner must agree with, errors included (reason, message, precedence).
 */
function referenceParse(topic: string, options: TopicOptions): string[] {
  const syntax = resolveTopicSyntax(options);
  if (topic.length === 0) throw new TopicError('EMPTY', topic, 'topic must not be empty');
  if (topic.length > syntax.maxLength) {
    throw new TopicError('TOO_LONG', topic, `topic is ${topic.length} characters long; maxLength is ${syntax.maxLength}`);
  }
  const levels = topic.split(syntax.separator);
  if (levels.length > syntax.maxLevels) {
    throw new TopicError('TOO_MANY_LEVELS', topic, `topic has ${levels.length} levels; maxLevels is ${syntax.maxLevels}`);
  }
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

function outcome(run: () => string[]): { levels: string[] } | { reason: string; message: string } {
  try {
    return { levels: run() };
  } catch (error) {
    if (!(error instanceof TopicError)) throw error;
    return { reason: error.reason, message: error.message };
  }
}

const optionsArb = fc.record({
  syntax: fc.constantFrom<TopicOptions['syntax']>('default', 'mqtt', 'nats', { separator: '::', singleLevelWildcard: '?', multiLevelWildcard: '**' }),
  maxLevels: fc.integer({ min: 1, max: 6 }),
  maxLength: fc.integer({ min: 1, max: 14 }),
});
const topicArb = fc
  .array(fc.constantFrom('a', 'b', '$', '/', '.', ':', '*', '#', '+', '>', '?', 'é'), { maxLength: 16 })
  .map((chars) => chars.join(''));

describe('checking a published topic in one pass', () => {
  it('gives the same levels or the same TopicError as the split-based checks, for any topic and syntax', () => {
    fc.assert(
      fc.property(topicArb, optionsArb, (topic, options) => {
        const syntax = resolveTopicSyntax(options);
        expect(outcome(() => parseTopic(topic, syntax))).toEqual(outcome(() => referenceParse(topic, options)));
      }),
      { numRuns: 3000 },
    );
  });

  it('reports too many levels before a wildcard character, as before', () => {
    const trie = new TopicTrie<number>({ maxLevels: 2 });
    expect(() => trie.match('a/b/*')).toThrowError(expect.objectContaining({ reason: 'TOO_MANY_LEVELS' }));
    expect(() => trie.match('*/b')).toThrowError(expect.objectContaining({ reason: 'WILDCARD_IN_TOPIC' }));
    expect(trie.match('a/b')).toEqual([]);
  });

  it('matches a short topic correctly right after a deeper one (the reused levels never leak)', () => {
    const trie = new TopicTrie<string>({ cacheSize: 0 });
    trie.add('a/b', 'ab');
    trie.add('a/b/c/d', 'abcd');
    expect(trie.match('a/b/c/d')).toEqual(['abcd']);
    expect(trie.match('a/b')).toEqual(['ab']);
    expect(trie.match('a')).toEqual([]);
    expect(trie.hasMatch('a/b/c')).toBe(false);
  });

  it('returns a fresh array the caller may change when nothing matches', () => {
    const trie = new TopicTrie<number>({ cacheSize: 0 });
    const first = trie.match('x/y');
    first.push(1);
    expect(trie.match('x/y')).toEqual([]);
  });
});
