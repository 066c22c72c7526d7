import { describe, expect, it } from 'vitest';
import { PubSubBroker, TopicError, TopicTrie } from '../src/index.js';

describe('topic syntax presets', () => {
  it("refuses an MQTT '+' under the default syntax with a TopicError naming the 'mqtt' preset", () => {
    const broker = new PubSubBroker<string>();
    let caught: unknown;
    try {
      broker.subscribe('logs/+/ERROR', () => undefined);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TopicError);
    expect(caught).toMatchObject({ code: 'ERR_INVALID_TOPIC', reason: 'FOREIGN_WILDCARD', topic: 'logs/+/ERROR' });
    expect(String(caught)).toMatch(/'mqtt' syntax preset/);
    expect(broker.stats().subscriptions).toBe(0);
  });

  it("refuses a NATS '>' under the default syntax, naming the 'nats' preset", () => {
    expect(() => new TopicTrie().add('logs/>', 1)).toThrowError(/'nats' syntax preset/);
  });

  it("matches logs/+/ERROR with the 'mqtt' preset", () => {
    const broker = new PubSubBroker<string>({ syntax: 'mqtt' });
    const got: string[] = [];
    broker.subscribe('logs/+/ERROR', (m, topic) => void got.push(`${topic} ${m}`));
    broker.subscribe('logs/#', () => undefined);
    expect(broker.publish('logs/api/ERROR', 'x')).toBe(2);
    expect(broker.publish('logs/api/INFO', 'y')).toBe(1);
    expect(got).toEqual(['logs/api/ERROR x']);
    expect(broker.syntax).toMatchObject({ preset: 'mqtt', separator: '/', singleLevelWildcard: '+', multiLevelWildcard: '#' });
    // '*' is the default preset's wildcard: refused here too, pointing back to it.
    expect(() => broker.subscribe('logs/*', () => undefined)).toThrowError(/'default' or 'nats' syntax preset/);
  });

  it("uses '.', '*' and '>' with the 'nats' preset", () => {
    const trie = new TopicTrie<string>({ syntax: 'nats' });
    trie.add('orders.*.created', 'one');
    trie.add('orders.>', 'rest');
    expect(trie.match('orders.eu.created').sort()).toEqual(['one', 'rest']);
    expect(trie.match('orders')).toEqual(['rest']);
    expect(() => trie.add('orders.#', 'x')).toThrowError(/'default' or 'mqtt' syntax preset/);
  });

  it('accepts a foreign wildcard as plain text when allowForeignWildcards is set', () => {
    const broker = new PubSubBroker<number>({ syntax: { allowForeignWildcards: true } });
    let got = 0;
    broker.subscribe('a/+/c', () => void got++);
    expect(broker.publish('a/b/c', 1)).toBe(0);
    expect(broker.publish('a/+/c', 1)).toBe(1);
    expect(got).toBe(1);
  });

  it('exposes one resolved, frozen syntax on the broker for adapters to read', () => {
    const broker = new PubSubBroker({ syntax: 'nats', maxLevels: 8 });
    expect(broker.syntax).toEqual({
      preset: 'nats',
      separator: '.',
      singleLevelWildcard: '*',
      multiLevelWildcard: '>',
      allowForeignWildcards: false,
      maxLevels: 8,
      maxLength: 65_535,
    });
    expect(Object.isFrozen(broker.syntax)).toBe(true);
    expect(broker.syntax).toBe(broker.syntax);
  });

  it('refuses an unknown preset or a syntax of the wrong type, naming the value', () => {
    expect(() => new PubSubBroker({ syntax: 'amqp' as 'mqtt' })).toThrowError(/preset.*"amqp"/);
    expect(() => new PubSubBroker({ syntax: 42 as unknown as 'mqtt' })).toThrowError(TypeError);
    expect(() => new PubSubBroker({ syntax: { allowForeignWildcards: 'yes' as unknown as boolean } })).toThrowError(/allowForeignWildcards.*yes/);
  });
});
