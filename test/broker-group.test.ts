import { describe, expect, it } from 'vitest';
import type { GroupDelivery, PublishTap } from '../src/adapter.js';
import { PubSubBroker, TopicError } from '../src/index.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('PubSubBroker queue groups', () => {
  it('gives each message to exactly one member, round-robin among idle members', () => {
    const broker = new PubSubBroker<number>();
    const got: Record<string, number[]> = { a: [], b: [], c: [] };
    for (const name of ['a', 'b', 'c']) broker.subscribe('jobs/#', (n) => void got[name].push(n), { group: 'workers' });
    const counts = [0, 1, 2, 3, 4, 5].map((n) => broker.publish('jobs/x', n));
    expect(counts).toEqual([1, 1, 1, 1, 1, 1]);
    expect(got).toEqual({ a: [0, 3], b: [1, 4], c: [2, 5] });
  });

  it('still delivers to plain subscribers and to other groups', () => {
    const broker = new PubSubBroker<number>();
    const seen: string[] = [];
    broker.subscribe('t', () => void seen.push('plain'));
    broker.subscribe('t', () => void seen.push('g1-a'), { group: 'g1' });
    broker.subscribe('t', () => void seen.push('g1-b'), { group: 'g1' });
    broker.subscribe('t', () => void seen.push('g2-a'), { group: 'g2' });
    expect(broker.publish('t', 0)).toBe(3);
    expect(broker.publish('t', 0)).toBe(3);
    expect(seen).toEqual(['plain', 'g1-a', 'g2-a', 'plain', 'g1-b', 'g2-a']);
  });

  it('treats the same group name on different patterns as different groups', () => {
    const broker = new PubSubBroker<number>();
    const seen: string[] = [];
    broker.subscribe('a/#', () => void seen.push('hash'), { group: 'g' });
    broker.subscribe('a/*', () => void seen.push('star'), { group: 'g' });
    broker.publish('a/b', 0);
    expect(seen).toEqual(['hash', 'star']);
  });

  it('sends to the member with the fewest pending messages', async () => {
    const broker = new PubSubBroker<number>();
    const releases: (() => void)[] = [];
    const slow = broker.subscribe('t', () => new Promise<void>((resolve) => releases.push(resolve)), { group: 'g', queue: true });
    const fastGot: number[] = [];
    const fast = broker.subscribe('t', (n) => void fastGot.push(n), { group: 'g', queue: true });
    broker.publish('t', 0); // slow: 1 pending (tie, first in order)
    broker.publish('t', 1); // fast: fewer pending
    broker.publish('t', 2); // tie 1-1: round-robin → slow
    await tick();
    // slow is now stuck in its handler (1 in flight, 1 waiting); fast drained.
    expect(slow.pending).toBe(2);
    expect(fast.pending).toBe(0);
    // Fast drains between publishes, so it always has fewer pending than the stuck member.
    for (let n = 3; n < 8; n++) {
      broker.publish('t', n);
      await tick();
    }
    expect(fastGot).toEqual([1, 3, 4, 5, 6, 7]);
    expect(slow.pending).toBe(2);
    for (const release of releases) release();
    broker.close();
  });

  it('removes the group once its last member leaves, and skips ended members', () => {
    const broker = new PubSubBroker<number>();
    const got: string[] = [];
    const a = broker.subscribe('t', () => void got.push('a'), { group: 'g' });
    const b = broker.subscribe('t', () => void got.push('b'), { group: 'g' });
    expect(broker.stats()).toMatchObject({ subscriptions: 2, patterns: 1 });
    a.unsubscribe();
    broker.publish('t', 0);
    broker.publish('t', 0);
    expect(got).toEqual(['b', 'b']);
    expect(b.group).toBe('g');
    b.unsubscribe();
    expect(broker.stats()).toMatchObject({ subscriptions: 0, patterns: 0 });
    expect(broker.publish('t', 0)).toBe(0);
  });

  it('ends every member on close', () => {
    const broker = new PubSubBroker<number>();
    const subs = [1, 2, 3].map(() => broker.subscribe('t', () => undefined, { group: 'g' }));
    broker.close();
    expect(subs.map((s) => s.active)).toEqual([false, false, false]);
    expect(broker.stats().subscriptions).toBe(0);
  });

  it('rejects an empty group name', () => {
    const broker = new PubSubBroker<number>();
    expect(() => broker.subscribe('t', () => undefined, { group: '' })).toThrow(TypeError);
  });
});

describe('PubSubBroker.publishChunked', () => {
  it('delivers to every subscriber in chunks and resolves with the count', async () => {
    const broker = new PubSubBroker<number>();
    let calls = 0;
    for (let i = 0; i < 1000; i++) broker.subscribe('t', () => void calls++);
    const done = broker.publishChunked('t', 1, { chunkSize: 100 });
    // The first chunk runs synchronously; the rest wait for the event loop.
    expect(calls).toBe(100);
    await expect(done).resolves.toBe(1000);
    expect(calls).toBe(1000);
  });

  it('lets timers run between chunks', async () => {
    const broker = new PubSubBroker<number>();
    const order: string[] = [];
    for (let i = 0; i < 4; i++) broker.subscribe('t', () => void order.push(`h${i}`));
    setImmediate(() => order.push('timer'));
    await broker.publishChunked('t', 1, { chunkSize: 2 });
    expect(order.indexOf('timer')).toBeGreaterThan(order.indexOf('h1'));
    expect(order.indexOf('timer')).toBeLessThan(order.indexOf('h3'));
  });

  it('gives nothing to subscriptions that end before their chunk', async () => {
    const broker = new PubSubBroker<number>();
    const got: number[] = [];
    const subs = [0, 1, 2, 3].map((i) => broker.subscribe('t', () => void got.push(i)));
    const done = broker.publishChunked('t', 1, { chunkSize: 2 });
    subs[3].unsubscribe();
    await expect(done).resolves.toBe(3);
    expect(got).toEqual([0, 1, 2]);
  });

  it('rejects a bad chunk size and an invalid topic', async () => {
    const broker = new PubSubBroker<number>();
    await expect(broker.publishChunked('t', 1, { chunkSize: 0 })).rejects.toThrow(RangeError);
    await expect(broker.publishChunked('a/#', 1)).rejects.toThrow(TopicError);
  });
});

describe('PubSubBroker queue groups with a publish tap that carries them (logcaster/adapter)', () => {
  /** A tap that records what it carries and keeps the broker's GroupDelivery. */
  const carrier = () => {
    const carried: Array<[string, number]> = [];
    let groups: GroupDelivery<number> | undefined;
    const tap: PublishTap<number> = {
      tapped: (topic, n) => void carried.push([topic, n]),
      carryGroups: (delivery) => void (groups = delivery),
    };
    return { tap, carried, groups: () => groups as GroupDelivery<number> };
  };

  it('publish leaves local groups to the tap; publishLocal still gives one local member the message', () => {
    const broker = new PubSubBroker<number>();
    const seen: string[] = [];
    broker.subscribe('jobs/#', () => void seen.push('plain'));
    broker.subscribe('jobs/#', () => void seen.push('a'), { group: 'g' });
    broker.subscribe('jobs/#', () => void seen.push('b'), { group: 'g' });
    const { tap, carried } = carrier();
    broker.setPublishTap(tap);
    expect(broker.publish('jobs/x', 1)).toBe(1);
    expect(seen).toEqual(['plain']);
    expect(carried).toEqual([['jobs/x', 1]]);
    expect(broker.publishLocal('jobs/x', 2)).toBe(2);
    expect(seen).toEqual(['plain', 'plain', 'a']);
    // Detached, publish delivers to the groups again.
    broker.setPublishTap(undefined);
    expect(broker.publish('jobs/x', 3)).toBe(2);
    expect(seen).toEqual(['plain', 'plain', 'a', 'plain', 'b']);
  });

  it('skips groups with an observer attached too, and does not offer them the message', () => {
    const broker = new PubSubBroker<number>();
    const offered: string[] = [];
    broker.observe({
      offered: (sub) => void offered.push(sub.group ?? 'plain'),
      started: () => undefined,
      finished: () => undefined,
      dropped: () => undefined,
    });
    broker.subscribe('t', () => undefined);
    const member = broker.subscribe('t', () => undefined, { group: 'g' });
    broker.setPublishTap(carrier().tap);
    expect(broker.publish('t', 1)).toBe(1);
    expect(offered).toEqual(['plain']);
    expect(member.pending).toBe(0);
  });

  it('publishUngrouped reaches the plain subscribers only; deliverToGroup one member of that group only', () => {
    const broker = new PubSubBroker<number>();
    const seen: string[] = [];
    broker.subscribe('jobs/#', () => void seen.push('plain'));
    broker.subscribe('jobs/#', () => void seen.push('a'), { group: 'g' });
    broker.subscribe('jobs/#', () => void seen.push('b'), { group: 'g' });
    broker.subscribe('jobs/*', () => void seen.push('star'), { group: 'g' });
    broker.subscribe('jobs/#', () => void seen.push('other'), { group: 'h' });
    const { tap, carried, groups } = carrier();
    broker.setPublishTap(tap);
    expect(groups().publishUngrouped('jobs/x', 1)).toBe(1);
    expect(seen).toEqual(['plain']);
    seen.length = 0;
    expect(groups().deliverToGroup('g', 'jobs/#', 'jobs/x', 2)).toBe(true);
    expect(groups().deliverToGroup('g', 'jobs/#', 'jobs/x', 3)).toBe(true);
    expect(groups().deliverToGroup('g', 'jobs/*', 'jobs/x', 4)).toBe(true);
    expect(seen).toEqual(['a', 'b', 'star']);
    // No such group here, or a topic its pattern does not match: nobody.
    expect(groups().deliverToGroup('nobody', 'jobs/#', 'jobs/x', 5)).toBe(false);
    expect(groups().deliverToGroup('g', 'jobs/*', 'jobs/x/y', 6)).toBe(false);
    expect(() => groups().deliverToGroup('g', 'jobs/#', 'jobs/+/#', 7)).toThrow(TopicError);
    expect(seen).toEqual(['a', 'b', 'star']);
    // Neither goes to the tap.
    expect(carried).toEqual([]);
    expect(broker.stats()).toMatchObject({ published: 4, offered: 4 });
  });

  it('deliverToGroup returns false once the last member left, and the handle is inert once the tap is detached', () => {
    const broker = new PubSubBroker<number>();
    const got: number[] = [];
    const member = broker.subscribe('t', (n) => void got.push(n), { group: 'g' });
    const { tap, groups } = carrier();
    broker.setPublishTap(tap);
    const delivery = groups();
    member.unsubscribe();
    expect(delivery.deliverToGroup('g', 't', 't', 1)).toBe(false);
    broker.subscribe('t', (n) => void got.push(n), { group: 'g' });
    broker.subscribe('t', (n) => void got.push(-n));
    broker.setPublishTap(undefined);
    expect(delivery.deliverToGroup('g', 't', 't', 2)).toBe(false);
    expect(delivery.publishUngrouped('t', 3)).toBe(0);
    expect(got).toEqual([]);
  });

  it('lets a nested publish follow its own rule: publishLocal inside publish reaches the group, publish inside publishLocal does not', () => {
    const broker = new PubSubBroker<number>();
    const seen: string[] = [];
    broker.subscribe('outer', (n) => {
      seen.push(`plain ${n}`);
      if (n === 1) broker.publishLocal('inner', 10);
      if (n === 2) broker.publish('inner', 20);
    });
    broker.subscribe('outer', (n) => void seen.push(`group ${n}`), { group: 'g' });
    broker.subscribe('inner', (n) => void seen.push(`group ${n}`), { group: 'g' });
    broker.setPublishTap(carrier().tap);
    broker.publish('outer', 1);
    broker.publishLocal('outer', 2);
    expect(seen).toEqual(['plain 1', 'group 10', 'plain 2', 'group 2']);
  });

  it('publishChunked leaves the groups out in every chunk, also after other publishes ran between chunks', async () => {
    const broker = new PubSubBroker<number>();
    const seen: string[] = [];
    broker.subscribe('t', (n) => void seen.push(`a ${n}`));
    broker.subscribe('t', (n) => void seen.push(`b ${n}`));
    broker.subscribe('t', (n) => void seen.push(`group ${n}`), { group: 'g' });
    broker.setPublishTap(carrier().tap);
    const done = broker.publishChunked('t', 1, { chunkSize: 1 });
    broker.publishLocal('t', 2);
    await expect(done).resolves.toBe(2);
    expect(seen).toEqual(['a 1', 'a 2', 'b 2', 'group 2', 'b 1']);
  });

  it('a tap without carryGroups leaves the groups per process', () => {
    const broker = new PubSubBroker<number>();
    const got: number[] = [];
    broker.subscribe('t', (n) => void got.push(n), { group: 'g' });
    broker.setPublishTap({ tapped: () => undefined });
    expect(broker.publish('t', 1)).toBe(1);
    expect(got).toEqual([1]);
  });
});
