import fc from 'fast-check';
import { TopicTrie } from 'logcaster';
import { parsePattern, parseTopic, resolveTopicSyntax } from 'logcaster/adapter';
import { SubjectMap } from 'logcaster/nats';
import { describe, expect, it } from 'vitest';
import { escapeLevel, queueSubjectsOf, subjectCovers, subjectMatches, unescapeToken } from '../../src/nats/subject-map.js';

/** NATS's matching rule written plainly: `*` is one token, `>` one or more at the end. */
function natsMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  const walk = (i: number): boolean => {
    if (i === p.length) return i === s.length;
    if (p[i] === '>') return s.length > i;
    if (i === s.length) return false;
    return (p[i] === '*' || p[i] === s[i]) && walk(i + 1);
  };
  return walk(0);
}

/** What NATS accepts as a literal subject: non-empty tokens, no whitespace, no wildcard. */
function validLiteralSubject(subject: string): boolean {
  return subject.split('.').every((token) => token.length > 0 && !/[\s*>]/.test(token) && !/[\u0000-\u001f\u007f]/.test(token));
}

// Levels full of what NATS reserves: dots, wildcards, spaces, the escape itself, empty.
const level = fc.oneof(
  fc.constantFrom('a', 'b', 'logs', 'api', '', '.', '..', '*x', 'a>b', '>', 'x y', '%', '%2E', '%%', '\t', 'é', '日本', '😀', '$sys', 'v1.2'),
  fc.string({ unit: fc.constantFrom('a', '.', '%', ' ', '*', '>', 'é', '\u0000', '\u007f'), maxLength: 4 }),
);
// A topic is never empty (one empty level); several empty levels make a valid topic.
const topic = fc
  .array(level, { minLength: 1, maxLength: 5 })
  .map((levels) => levels.join('/'))
  .filter((t) => t !== '');
const patternLevel = fc.oneof({ weight: 3, arbitrary: level.filter((l) => l !== '*' && l !== '#') }, { weight: 1, arbitrary: fc.constant('*') });
const pattern = fc
  .tuple(fc.array(patternLevel, { minLength: 0, maxLength: 4 }), fc.boolean())
  .filter(([levels, hash]) => levels.length > 0 || hash)
  .map(([levels, hash]) => [...levels, ...(hash ? ['#'] : [])].join('/'))
  .filter((p) => p !== '');

/** Whether `check` passes without throwing. */
function valid(check: () => unknown): boolean {
  try {
    check();
    return true;
  } catch {
    return false;
  }
}

describe('SubjectMap: topics to subjects', () => {
  const syntax = resolveTopicSyntax();
  const map = new SubjectMap('lc.test', syntax);

  it('maps levels to tokens under the prefix, escaping what NATS reserves', () => {
    expect(map.subjectOf('logs/api/ERROR')).toBe('lc.test.logs.api.ERROR');
    expect(map.subjectOf('v1.2/a b//*')).toBe('lc.test.v1%2E2.a%20b.%.%2A');
    expect(map.subjectsOf('logs/#')).toEqual(['lc.test.logs.>', 'lc.test.logs']);
    expect(map.subjectsOf('#')).toEqual(['lc.test.>']);
    expect(map.subjectsOf('logs/*/ERROR')).toEqual(['lc.test.logs.*.ERROR']);
    expect(escapeLevel('100%')).toBe('100%25');
    expect(unescapeToken('100%25')).toBe('100%');
  });

  it('round-trips every topic, and gives NATS only valid literal subjects', () => {
    fc.assert(
      fc.property(topic, (t) => {
        const subject = map.subjectOf(t);
        expect(validLiteralSubject(subject)).toBe(true);
        expect(map.topicOf(subject)).toBe(t);
      }),
      { numRuns: 2000 },
    );
  });

  it("matches on NATS exactly what the trie matches (beyond the trie's $-topic rule, which the broker applies on arrival)", () => {
    fc.assert(
      fc.property(pattern, topic, (p, t) => {
        // Only what the broker accepts: a topic holds no wildcard character, a pattern's are whole levels.
        fc.pre(valid(() => parseTopic(t, syntax)) && valid(() => parsePattern(p, syntax)));
        const trie = new TopicTrie<number>();
        trie.add(p, 1);
        const inTrie = trie.match(t).length > 0;
        const subject = map.subjectOf(t);
        const onNats = map.subjectsOf(p).some((s) => natsMatches(s, subject));
        const dollarRule = t.startsWith('$') && (p.startsWith('*') || p.startsWith('#'));
        if (dollarRule) expect(inTrie).toBe(false);
        else expect(onNats).toBe(inTrie);
        // NATS never holds back what the trie wants: extra copies are filtered on arrival.
        if (inTrie) expect(onNats).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('maps patterns of the mqtt syntax (+ and #) the same way', () => {
    const mqtt = new SubjectMap('logcaster', resolveTopicSyntax({ syntax: 'mqtt' }));
    expect(mqtt.subjectsOf('a/+/c')).toEqual(['logcaster.a.*.c']);
    expect(mqtt.subjectsOf('a/#')).toEqual(['logcaster.a.>', 'logcaster.a']);
    // Under mqtt, '*' is plain text: it must not become a wildcard.
    expect(mqtt.subjectOf('a/*/c')).toBe('logcaster.a.%2A.c');
  });

  it('refuses a prefix NATS cannot take, naming it', () => {
    for (const bad of ['', 'a..b', 'a.*', '>', 'a b', '_logcaster', '_logcaster.x']) {
      expect(() => new SubjectMap(bad, syntax)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    }
  });
});

describe('subject matching and covering', () => {
  const token = fc.constantFrom('a', 'b', '*');
  const subjectPattern = fc
    .tuple(fc.array(token, { minLength: 1, maxLength: 3 }), fc.boolean())
    .map(([tokens, tail]) => [...tokens, ...(tail ? ['>'] : [])].join('.'));
  const literal = fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 1, maxLength: 5 }).map((t) => t.join('.'));

  it('matches as NATS does', () => {
    fc.assert(
      fc.property(subjectPattern, literal, (p, s) => {
        expect(subjectMatches(p, s)).toBe(natsMatches(p, s));
      }),
    );
  });

  it('says a pattern covers another only when it matches every subject the other matches', () => {
    fc.assert(
      fc.property(subjectPattern, subjectPattern, fc.array(literal, { minLength: 20, maxLength: 20 }), (outer, inner, samples) => {
        if (subjectCovers(outer, inner)) {
          for (const s of samples) if (natsMatches(inner, s)) expect(natsMatches(outer, s)).toBe(true);
        }
      }),
    );
    expect(subjectCovers('a.>', 'a.b.*')).toBe(true);
    expect(subjectCovers('a.*', 'a.>')).toBe(false);
    expect(subjectCovers('a.*.c', 'a.b.*')).toBe(false);
  });
});

describe('queue subscriptions of a queue group', () => {
  const map = new SubjectMap('p', resolveTopicSyntax());

  it('names the queue after the group, escaped as a token, and marks the parent subject of a # pattern', () => {
    expect(queueSubjectsOf(map, 'workers', 'jobs/*')).toEqual([{ subject: 'p.jobs.*', queue: 'workers' }]);
    expect(queueSubjectsOf(map, 'work ers.v1', 'jobs/#')).toEqual([
      { subject: 'p.jobs.>', queue: 'work%20ers%2Ev1' },
      { subject: 'p.jobs', queue: 'work%20ers%2Ev1%parent' },
    ]);
  });

  it('never gives two groups (name, pattern) the same queue on the same subject, and no queue has whitespace, ., * or >', () => {
    const group = fc.string({ unit: fc.constantFrom('a', 'b', '%', 'p', '.', ' ', '*', '>', '\t', 'parent'), minLength: 1, maxLength: 6 });
    const pattern = fc.constantFrom('jobs', 'jobs/#', 'jobs/*', 'jobs/x', '#', 'jobs/*/#');
    fc.assert(
      fc.property(group, pattern, group, pattern, (g1, p1, g2, p2) => {
        fc.pre(g1 !== g2 || p1 !== p2);
        const first = queueSubjectsOf(map, g1, p1);
        const second = new Set(queueSubjectsOf(map, g2, p2).map(({ subject, queue }) => `${subject} ${queue}`));
        for (const { subject, queue } of first) {
          expect(queue).not.toMatch(/[\s.*>]/);
          expect(second.has(`${subject} ${queue}`)).toBe(false);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
