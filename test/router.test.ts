import { describe, expect, it } from 'vitest';
import { PubSubBroker, Router } from '../src/index.js';

interface Entry {
  level: 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';
  category: string;
  message: string;
}

const rank = { DEBUG: 0, INFO: 1, WARNING: 2, ERROR: 3 } as const;

// The seed's channel filters, written as data.
const seedRules = new Router<Entry>([
  { name: 'all', to: 'channels/logs-all' },
  { name: 'error', when: (e) => rank[e.level] >= rank.ERROR, to: 'channels/logs-error' },
  { name: 'warning', when: (e) => rank[e.level] >= rank.WARNING, to: 'channels/logs-warning' },
  { name: 'database', match: /database|sql/i, field: 'message', to: 'channels/logs-database' },
  { name: 'security', match: (e) => e.category === 'SECURITY', to: 'channels/logs-security' },
  { name: 'security', match: /auth|permission/i, field: 'message', to: 'channels/logs-security' },
]);

describe('Router', () => {
  it('routes a message to the union of the matching rules, each topic once, in rule order', () => {
    expect(seedRules.route({ level: 'ERROR', category: 'SECURITY', message: 'auth failed in SQL layer' })).toEqual([
      'channels/logs-all',
      'channels/logs-error',
      'channels/logs-warning',
      'channels/logs-database',
      'channels/logs-security',
    ]);
    expect(seedRules.route({ level: 'DEBUG', category: 'APP', message: 'cache warm' })).toEqual(['channels/logs-all']);
    expect(seedRules.route({ level: 'WARNING', category: 'APP', message: 'Permission denied' })).toEqual([
      'channels/logs-all',
      'channels/logs-warning',
      'channels/logs-security',
    ]);
  });

  it('tests a RegExp against the message itself when the message is a string', () => {
    const router = new Router<string>([{ match: /^ERR/, to: ['errors', 'alerts'] }]);
    expect(router.route('ERR disk full')).toEqual(['errors', 'alerts']);
    expect(router.route('ok')).toEqual([]);
  });

  it('never matches a RegExp rule on a missing field', () => {
    const router = new Router<Record<string, unknown>>([{ match: /x/, field: 'absent', to: 't' }]);
    expect(router.route({ present: 'x' })).toEqual([]);
  });

  it('publishes on every destination and returns the deliveries', () => {
    const broker = new PubSubBroker<Entry>();
    const seen: string[] = [];
    broker.subscribe('channels/#', (_e, topic) => seen.push(topic));
    const n = seedRules.publish(broker, { level: 'ERROR', category: 'APP', message: 'db down' });
    expect(n).toBe(3);
    expect(seen).toEqual(['channels/logs-all', 'channels/logs-error', 'channels/logs-warning']);
  });

  it('removes rules by name', () => {
    const router = new Router<Entry>([
      { name: 'a', to: 'x' },
      { name: 'b', to: 'y' },
      { name: 'a', to: 'z' },
    ]);
    expect(router.remove('a')).toBe(2);
    expect(router.size).toBe(1);
    expect(router.route({ level: 'INFO', category: '', message: '' })).toEqual(['y']);
  });

  it('rejects malformed rules with a TypeError', () => {
    expect(() => new Router([{ to: [] }])).toThrowError(TypeError);
    expect(() => new Router([{ to: '' }])).toThrowError(TypeError);
    expect(() => new Router([{ match: /x/g, to: 't' }])).toThrowError(/g or y flag/);
    expect(() => new Router([{ match: 'x' as unknown as RegExp, to: 't' }])).toThrowError(/RegExp or a function/);
  });
});
