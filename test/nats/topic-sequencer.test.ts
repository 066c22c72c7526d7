import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OriginCache, decodeEnvelope, encodeEnvelope, type Envelope } from '../../src/bridge/envelope.js';
import { DUPLICATE, IN_ORDER } from '../../src/bridge/sequencer.js';
import { TopicSequencer } from '../../src/nats/topic-sequencer.js';

const envelope = (origin: string, topic: string, seq: number, restart = false): Envelope => ({
  origin,
  topic,
  seq,
  restart,
  payload: Buffer.alloc(0),
});

describe('TopicSequencer', () => {
  it('numbers each topic 1, 2, 3…; a topic it forgot starts afresh above every number it used, flagged', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { maxLength: 100 }), (max, topics) => {
        const sequencer = new TopicSequencer(max, 8, (topic) => `s.${topic}`);
        const last = new Map<string, number>();
        let highest = 0;
        for (const topic of topics) {
          const subject = sequencer.route(topic);
          expect(subject).toBe(`s.${topic}`);
          const seq = sequencer.next(topic, subject);
          if (sequencer.restarted) expect(seq).toBe(highest + 1);
          else expect(seq).toBe((last.get(topic) ?? Number.NaN) + 1);
          // Never a number a receiver could take for a duplicate.
          expect(seq).toBeGreaterThan(last.get(topic) ?? 0);
          last.set(topic, seq);
          highest = Math.max(highest, seq);
        }
      }),
    );
    const sequencer = new TopicSequencer(2, 8, (topic) => topic);
    const send = (topic: string): [number, boolean] => [sequencer.next(topic, sequencer.route(topic)), sequencer.restarted];
    expect([send('a'), send('a'), send('b'), send('a')]).toEqual([[1, true], [2, false], [3, true], [3, false]]);
  });

  it('judges what arrives as a plain model of "last number per topic and sender" does', () => {
    const event = fc.record({
      origin: fc.constantFrom('x', 'y'),
      topic: fc.constantFrom('a', 'b', 'c'),
      seq: fc.integer({ min: 1, max: 40 }),
      restart: fc.boolean(),
      resync: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 150 }), (events) => {
        const sequencer = new TopicSequencer(100, 100, (topic) => topic);
        const model = new Map<string, { last: number; resync: boolean }>();
        for (const { origin, topic, seq, restart, resync } of events) {
          if (resync) {
            sequencer.resync((t) => t === topic);
            for (const [key, heard] of model) if (key.endsWith(` ${topic}`)) heard.resync = true;
            continue;
          }
          const key = `${origin} ${topic}`;
          const heard = model.get(key);
          let expected: number;
          if (heard === undefined) {
            expected = IN_ORDER;
            model.set(key, { last: seq, resync: false });
          } else if (seq <= heard.last) {
            expected = DUPLICATE;
          } else {
            // After a restart, or once the topic was let go and taken up again, no gap can be told.
            expected = restart || heard.resync ? IN_ORDER : seq - heard.last - 1;
            model.set(key, { last: seq, resync: false });
          }
          expect(sequencer.check(topic, envelope(origin, topic, seq, restart))).toBe(expected);
        }
      }),
    );
  });

  it('keeps at most maxOrigins senders per topic', () => {
    const sequencer = new TopicSequencer(10, 2, (topic) => topic);
    expect(sequencer.check('t', envelope('a', 't', 5))).toBe(IN_ORDER);
    expect(sequencer.check('t', envelope('b', 't', 5))).toBe(IN_ORDER);
    expect(sequencer.check('t', envelope('c', 't', 5))).toBe(IN_ORDER);
    // 'a', heard first, was forgotten: its next number is accepted as a first one.
    expect(sequencer.check('t', envelope('a', 't', 9))).toBe(IN_ORDER);
    expect(sequencer.check('t', envelope('c', 't', 9))).toBe(3);
  });
});

describe('envelopes', () => {
  it('read the same with or without the origin cache, and carry the restart flag', () => {
    const origins = fc.constantFrom('node-a', 'node-b', 'é-node', 'n');
    const item = fc.record({ origin: origins, seq: fc.integer({ min: 1, max: 2 ** 40 }), restart: fc.boolean(), topic: fc.string() });
    fc.assert(
      fc.property(fc.array(item, { maxLength: 40 }), (items) => {
        const cache = new OriginCache();
        for (const { origin, seq, restart, topic } of items) {
          const data = encodeEnvelope(Buffer.from(origin), seq, topic, 'payload', restart);
          const plain = decodeEnvelope(data);
          const cached = decodeEnvelope(data, cache);
          expect(cached).toEqual(plain);
          expect(plain).toMatchObject({ origin, seq, restart, topic });
        }
      }),
    );
  });
});
