import fc from 'fast-check';
import { PubSubBroker } from 'logcaster';
import { ALL_CHANNELS, ChannelMap, EnvelopeError, bufferCodec, jsonCodec, stringCodec } from 'logcaster/redis';
import { describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelope } from '../../src/bridge/envelope.js';
import { DUPLICATE, IN_ORDER, LATE, LATE_UNREPORTED, SequenceTracker } from '../../src/bridge/sequence-tracker.js';
import { referenceMatches } from '../helpers/reference-matcher.js';

/** FNV-1a over the UTF-8 bytes, written as plainly as possible. */
function referenceHash(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash = (hash ^ byte) >>> 0;
    hash = Number((BigInt(hash) * 0x01000193n) % 0x1_0000_0000n);
  }
  return hash;
}

const level = fc.constantFrom('a', 'b', 'logs', 'api', '', 'é', '日本', '😀', '$sys');
const topic = fc.array(level, { minLength: 1, maxLength: 5 }).map((levels) => levels.join('/'));
const patternLevel = fc.oneof(level, fc.constant('*'));
const pattern = fc
  .tuple(fc.array(patternLevel, { minLength: 0, maxLength: 4 }), fc.boolean())
  .filter(([levels, hash]) => levels.length > 0 || hash)
  .map(([levels, hash]) => [...levels, ...(hash ? ['#'] : [])].join('/'));

describe('ChannelMap', () => {
  it('hashes the first levels of a topic with FNV-1a over UTF-8, modulo the channel count', () => {
    fc.assert(
      fc.property(topic, fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 1000 }), (t, levels, channels) => {
        const map = new ChannelMap({ levels, channels });
        const hashed = t.split('/').slice(0, levels).join('/');
        expect(map.channelOf(t)).toBe(referenceHash(hashed) % channels);
      }),
    );
  });

  it('maps every topic a pattern matches to the channel the pattern needs (or the pattern needs all)', () => {
    fc.assert(
      fc.property(pattern, topic, fc.integer({ min: 1, max: 3 }), (p, t, levels) => {
        const map = new ChannelMap({ levels, channels: 97 });
        const needed = map.channelsOf(p);
        if (referenceMatches(p, t) && needed !== ALL_CHANNELS) expect(map.channelOf(t)).toBe(needed);
      }),
      { numRuns: 2000 },
    );
  });

  it('needs one channel exactly when the hashed levels hold no wildcard', () => {
    const map = new ChannelMap({ levels: 2 });
    expect(map.channelsOf('logs/api/#')).toBe(map.channelOf('logs/api'));
    expect(map.channelsOf('logs/api')).toBe(map.channelOf('logs/api/ERROR'));
    expect(map.channelsOf('logs')).toBe(map.channelOf('logs'));
    expect(map.channelsOf('logs/#')).toBe(ALL_CHANNELS);
    expect(map.channelsOf('logs/*/ERROR')).toBe(ALL_CHANNELS);
    expect(map.channelsOf('#')).toBe(ALL_CHANNELS);
  });

  it('follows the topic syntax it is given (a bridge gives its broker\'s)', () => {
    const map = new ChannelMap({ levels: 1 }, new PubSubBroker({ syntax: { separator: '.', singleLevelWildcard: '+' } }).syntax);
    expect(map.channelsOf('logs.+')).toBe(map.channelOf('logs.x.y'));
    expect(map.channelsOf('+.api')).toBe(ALL_CHANNELS);
    expect(map.channelOf('logs.api')).toBe(referenceHash('logs') % 64);
  });

  it('names channels with the prefix and reads the names back', () => {
    const map = new ChannelMap({ prefix: 'app:v1', channels: 8 });
    expect(map.name(3)).toBe('app:v1:3');
    expect(map.indexOf('app:v1:3')).toBe(3);
    expect(map.indexOf('app:v1:8')).toBe(-1);
    expect(map.indexOf('app:v1:03')).toBe(-1);
    expect(map.indexOf('other:3')).toBe(-1);
    expect(() => map.name(8)).toThrow(RangeError);
  });

  it('rejects options out of range, naming them', () => {
    expect(() => new ChannelMap({ channels: 0 })).toThrow(/channels must be an integer from 1 to 65536 \(got 0\)/);
    expect(() => new ChannelMap({ channels: 1.5 })).toThrow(RangeError);
    expect(() => new ChannelMap({ levels: 0 })).toThrow(/levels must be an integer >= 1 \(got 0\)/);
    expect(() => new ChannelMap({ prefix: '' })).toThrow(/prefix must be a non-empty string/);
  });
});

describe('envelopes', () => {
  it('round-trip origin, sequence number, topic and payload (strings and bytes)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        fc.oneof(fc.string({ unit: 'grapheme' }), fc.uint8Array().map((a) => Buffer.from(a))),
        (origin, seq, t, payload) => {
          const data = encodeEnvelope(Buffer.from(origin), seq, t, payload);
          const envelope = decodeEnvelope(data);
          expect(envelope.origin).toBe(Buffer.from(origin).toString());
          expect(envelope.seq).toBe(seq);
          expect(envelope.topic).toBe(t);
          expect(envelope.payload.equals(typeof payload === 'string' ? Buffer.from(payload) : payload)).toBe(true);
        },
      ),
    );
  });

  it('refuses bytes that are not an envelope', () => {
    const good = encodeEnvelope(Buffer.from('node'), 1, 'a/b', 'x');
    expect(() => decodeEnvelope(Buffer.alloc(0))).toThrow(EnvelopeError);
    expect(() => decodeEnvelope(Buffer.from([2, ...good.subarray(1)]))).toThrow(/unknown envelope version 2/);
    expect(() => decodeEnvelope(good.subarray(0, 10))).toThrow(EnvelopeError);
    const badSeq = Buffer.from(good);
    badSeq.writeDoubleBE(0.5, 2 + 4);
    expect(() => decodeEnvelope(badSeq)).toThrow(/bad sequence number/);
    const longTopic = Buffer.from(good);
    longTopic.writeUInt32BE(1000, 2 + 4 + 8);
    expect(() => decodeEnvelope(longTopic)).toThrow(/truncated in its topic/);
  });
});

describe('SequenceTracker', () => {
  it('classifies sequence numbers as a plain model of "what arrived, per channel and origin" does', () => {
    const event = fc.record({
      channel: fc.integer({ min: 0, max: 2 }),
      origin: fc.constantFrom('a', 'b', 'c'),
      seq: fc.integer({ min: 1, max: 80 }),
      forget: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 200 }), (events) => {
        const tracker = new SequenceTracker(3, 100);
        // Per channel and origin: the highest accepted, the first heard, and everything that arrived.
        const model = new Map<string, { last: number; first: number; arrived: Set<number> }>();
        for (const { channel, origin, seq, forget } of events) {
          if (forget) {
            tracker.forget(channel);
            for (const key of [...model.keys()]) if (key.startsWith(`${channel} `)) model.delete(key);
            continue;
          }
          const key = `${channel} ${origin}`;
          const heard = model.get(key);
          let expected: number;
          if (heard === undefined) {
            expected = IN_ORDER;
            model.set(key, { last: seq, first: seq, arrived: new Set([seq]) });
          } else if (seq > heard.last) {
            expected = seq - heard.last - 1;
            heard.last = seq;
            heard.arrived.add(seq);
          } else if (heard.arrived.has(seq) || heard.last - seq > 32) {
            // Arrived before, or too old to tell: a duplicate.
            expected = DUPLICATE;
          } else {
            // Never arrived, and below the last: late (already missing if a gap skipped it).
            expected = seq < heard.first ? LATE_UNREPORTED : LATE;
            heard.arrived.add(seq);
          }
          expect(tracker.check(channel, origin, seq)).toBe(expected);
        }
        expect(tracker.size).toBe(model.size);
      }),
    );
  });

  it('forgets the least recently heard origin past its bound', () => {
    const tracker = new SequenceTracker(1, 2);
    tracker.check(0, 'a', 1);
    tracker.check(0, 'b', 1);
    tracker.check(0, 'a', 2);
    tracker.check(0, 'c', 1);
    expect(tracker.last(0, 'b')).toBeUndefined();
    expect(tracker.last(0, 'a')).toBe(2);
    // A forgotten origin starts afresh: no gap can be told.
    expect(tracker.check(0, 'b', 9)).toBe(IN_ORDER);
  });
});

describe('codecs', () => {
  it('round-trip JSON, strings and bytes', () => {
    const json = jsonCodec<{ a: number[] }>();
    expect(json.decode(Buffer.from(json.encode({ a: [1, 2] })))).toEqual({ a: [1, 2] });
    expect(stringCodec.decode(Buffer.from(stringCodec.encode('héllo')))).toBe('héllo');
    const bytes = Buffer.from([0, 1, 255]);
    expect(bufferCodec.decode(Buffer.from(bufferCodec.encode(bytes)))).toEqual(bytes);
  });

  it('refuse what they cannot encode', () => {
    expect(() => jsonCodec<unknown>().encode(undefined)).toThrow(/no JSON form/);
    expect(() => bufferCodec.encode('text' as unknown as Buffer)).toThrow(TypeError);
    expect(() => stringCodec.encode(1 as unknown as string)).toThrow(TypeError);
  });
});
