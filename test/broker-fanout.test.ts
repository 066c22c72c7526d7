import { describe, expect, it } from 'vitest';
import { PubSubBroker, type Subscription } from '../src/index.js';

/** `offered === delivered + errors + dropped + pending`, the invariant stats() promises. */
function balanced(broker: PubSubBroker<unknown>): boolean {
  const s = broker.stats();
  return s.offered === s.delivered + s.errors + s.dropped + s.pending;
}

describe('PubSubBroker fan-out to plain handlers', () => {
  it('skips a subscriber an earlier handler ended, on a topic already published many times', () => {
    const broker = new PubSubBroker<number>();
    const got: string[] = [];
    let victim: Subscription<number> | undefined;
    broker.subscribe('t', (n) => {
      got.push(`killer:${n}`);
      if (n === 3) victim?.unsubscribe();
    });
    victim = broker.subscribe('t', (n) => void got.push(`victim:${n}`));
    broker.subscribe('t', (n) => void got.push(`last:${n}`));
    const taken = [1, 2, 3, 4].map((n) => broker.publish('t', n));
    expect(taken).toEqual([3, 3, 2, 2]);
    expect(got.filter((g) => g.startsWith('victim'))).toEqual(['victim:1', 'victim:2']);
    expect(got.filter((g) => g.startsWith('last'))).toEqual(['last:1', 'last:2', 'last:3', 'last:4']);
    expect(broker.stats().delivered).toBe(10);
    expect(balanced(broker as PubSubBroker<unknown>)).toBe(true);
  });

  it('keeps delivering to every live subscriber after unrelated subscriptions end', () => {
    const broker = new PubSubBroker<number>();
    const got: number[] = [];
    for (let i = 0; i < 3; i++) broker.subscribe('hot', () => void got.push(i));
    const other = broker.subscribe('cold', () => undefined);
    broker.publish('hot', 1);
    other.unsubscribe();
    broker.subscribe('cold', () => undefined).unsubscribe();
    // Twice: once after the ends, and once more after the topic was found all live again.
    expect(broker.publish('hot', 2)).toBe(3);
    expect(broker.publish('hot', 3)).toBe(3);
    expect(got).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2]);
  });

  it('gives nothing to a subscriber ended between two publishes of a hot topic', () => {
    const broker = new PubSubBroker<number>();
    const got: number[] = [];
    const subs = [0, 1, 2].map((i) => broker.subscribe('hot', () => void got.push(i)));
    broker.publish('hot', 1);
    subs[1].unsubscribe();
    expect(broker.publish('hot', 2)).toBe(2);
    expect(got).toEqual([0, 1, 2, 0, 2]);
  });

  it('reaches every other subscriber when some throw, counting each throw once', () => {
    const broker = new PubSubBroker<number>();
    const errors: number[] = [];
    broker.on('error', (_error, _topic, sub) => void errors.push(sub?.id ?? -1));
    const calls = new Array<number>(1_000).fill(0);
    const throwers: number[] = [];
    for (let i = 0; i < 1_000; i++) {
      const sub = broker.subscribe('t', () => {
        calls[i]++;
        if (i % 7 === 0 || i === 999) throw new Error(`handler ${i}`);
      });
      if (i % 7 === 0 || i === 999) throwers.push(sub.id);
    }
    expect(broker.publish('t', 1)).toBe(1_000);
    expect(calls.every((c) => c === 1)).toBe(true);
    expect(errors).toEqual(throwers);
    const stats = broker.stats();
    expect(stats.errors).toBe(throwers.length);
    expect(stats.delivered).toBe(1_000 - throwers.length);
    expect(balanced(broker as PubSubBroker<unknown>)).toBe(true);
  });

  it('survives ten thousand throwing subscribers in one publish', () => {
    const broker = new PubSubBroker<number>();
    broker.on('error', () => undefined);
    for (let i = 0; i < 10_000; i++) {
      broker.subscribe('t', () => {
        throw new Error('always');
      });
    }
    expect(broker.publish('t', 1)).toBe(10_000);
    expect(broker.stats().errors).toBe(10_000);
    expect(broker.stats().delivered).toBe(0);
  });

  it("reports a returned thenable whose then() throws as that handler's error, and drain() still resolves", async () => {
    const broker = new PubSubBroker<number>();
    const errors: unknown[] = [];
    broker.on('error', (error) => void errors.push(error));
    const broken = new Error('then() is broken');
    broker.subscribe('t', () => ({
      then: () => {
        throw broken;
      },
    }));
    let after = 0;
    broker.subscribe('t', () => void after++);
    expect(broker.publish('t', 1)).toBe(2);
    expect(after).toBe(1);
    expect(errors).toEqual([broken]);
    expect(broker.stats().pending).toBe(0);
    await expect(broker.drain({ timeoutMs: 1_000 })).resolves.toBeUndefined();
  });

  it('tracks promises returned by plain handlers until they settle', async () => {
    const broker = new PubSubBroker<number>();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    broker.subscribe('t', () => gate);
    broker.subscribe('t', () => undefined);
    broker.publish('t', 1);
    expect(broker.stats()).toMatchObject({ offered: 2, delivered: 1, pending: 1 });
    release();
    await broker.drain({ timeoutMs: 1_000 });
    expect(broker.stats()).toMatchObject({ offered: 2, delivered: 2, pending: 0 });
  });
});

describe('how a handler is called', () => {
  it('calls every kind of subscriber as a plain function: `this` is undefined, never the broker\'s own record', async () => {
    const broker = new PubSubBroker<number>();
    const seen: Record<string, unknown> = {};
    const record = (name: string) =>
      function (this: unknown): void {
        seen[name] = this;
      };
    broker.subscribe('t', record('plain'));
    broker.subscribe('t', record('owned'), { owner: {} });
    broker.subscribe('t', record('queued'), { queue: { maxItems: 4 } });
    broker.subscribe('t', record('grouped'), { group: 'g' });
    broker.publish('t', 1);
    await broker.drain();
    const noop = (): void => undefined;
    const detach = broker.observe({ offered: noop, started: noop, finished: noop, dropped: noop });
    broker.subscribe('o', record('observed'));
    broker.subscribe('o', record('observed-queued'), { queue: { maxItems: 4 } });
    broker.publish('o', 2);
    await broker.drain();
    detach();
    expect(Object.keys(seen).sort()).toEqual(['grouped', 'observed', 'observed-queued', 'owned', 'plain', 'queued']);
    for (const value of Object.values(seen)) expect(value).toBeUndefined();
  });
});
