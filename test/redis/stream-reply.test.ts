import { RedisReplyError } from 'logcaster/redis';
import { describe, expect, it } from 'vitest';
import { parseEntries, parseXRead } from '../../src/redis/stream-reply.js';

const b = (text: string): Buffer => Buffer.from(text);
const entry = (id: string, value: string): [Buffer, Buffer[]] => [b(id), [b('e'), b(value)]];
const plain = (batches: ReturnType<typeof parseXRead>) =>
  batches.map(({ key, entries }) => [key, entries.map((e) => [e.id, e.fields.map(String)])]);

describe('XREAD replies from both ioredis majors', () => {
  const expected = [
    ['s1', [['1-0', ['e', 'x']], ['2-0', ['e', 'y']]]],
    ['s2', [['3-0', ['e', 'z']]]],
  ];

  it("reads RESP2's [[key, entries], …] (ioredis 5)", () => {
    const reply = [
      [b('s1'), [entry('1-0', 'x'), entry('2-0', 'y')]],
      [b('s2'), [entry('3-0', 'z')]],
    ];
    expect(plain(parseXRead(reply))).toEqual(expected);
    expect(plain(parseXRead([reply[0]]))).toEqual([expected[0]]);
  });

  it("reads RESP3's map as a flat key, entries, … array (ioredis 6), one stream or several", () => {
    const reply = [b('s1'), [entry('1-0', 'x'), entry('2-0', 'y')], b('s2'), [entry('3-0', 'z')]];
    expect(plain(parseXRead(reply))).toEqual(expected);
    // The shape that made ioredis 6 fail: one stream, ["s1", [[id, [f, v]]]].
    expect(plain(parseXRead(reply.slice(0, 2)))).toEqual([expected[0]]);
  });

  it('reads a Map of key to entries, and a timeout (null) as nothing', () => {
    const reply = new Map<unknown, unknown>([[b('s2'), [entry('3-0', 'z')]]]);
    expect(plain(parseXRead(reply))).toEqual([expected[1]]);
    expect(parseXRead(null)).toEqual([]);
    expect(parseXRead([])).toEqual([]);
  });

  it.each([
    ['a number', 42, /expected an array of streams \(got number\)/],
    ['a flat map of odd length', [b('s1'), [], b('s2')], /flat key\/entries map of odd length 3/],
    ['a pair with three items', [[b('s1'), [], 'extra']], /expected \[key, entries\] pairs \(RESP2\) or a flat key, entries map \(RESP3\) \(got an array of 3\)/],
    ['entries that are not an array', [b('s1'), 'oops'], /expected an array of entries \(got string\)/],
    ['an entry without fields', [b('s1'), [[b('1-0')]]], /expected \[id, fields\] \(got an array of 1\)/],
    ['a key that is a number', [[7, []]], /unexpected key in a stream reply: expected a string \(got number\)/],
  ])('rejects %s with a RedisReplyError saying what it got', (_name, reply, message) => {
    let thrown: unknown;
    try {
      parseXRead(reply);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RedisReplyError);
    expect(thrown).toMatchObject({ code: 'ERR_REDIS_REPLY', message: expect.stringMatching(message) });
  });

  it('keeps a deleted entry (null fields) as an id without fields', () => {
    expect(parseEntries([[b('5-0'), null]])).toEqual([{ id: '5-0', fields: [] }]);
  });
});
