import { describe, expect, it, vi } from 'vitest';
import { ClosedError, PublishLimitError, PubSubBroker, TopicError, type Subscription, type UnsubscribeReason } from '../src/index.js';
import { captureWarnings } from './helpers/warnings.js';

describe('PubSubBroker delivery', () => {
  it('calls matching handlers with (message, topic) and returns how many received it', () => {
    const broker = new PubSubBroker<string>();
    const got: string[] = [];
    broker.subscribe('logs/#', (m, t) => got.push(`all:${t}:${m}`));
    broker.subscribe('logs/*/ERROR', (m, t) => got.push(`err:${t}:${m}`));
    broker.subscribe('metrics/#', () => got.push('never'));
    expect(broker.publish('logs/api/ERROR', 'boom')).toBe(2);
    expect(broker.publish('logs/api/INFO', 'ok')).toBe(1);
    expect(broker.publish('nobody/listens', 'x')).toBe(0);
    expect(got).toEqual(['all:logs/api/ERROR:boom', 'err:logs/api/ERROR:boom', 'all:logs/api/INFO:ok']);
  });

  it('calls handlers in subscription order across different patterns', () => {
    const broker = new PubSubBroker<number>();
    const order: string[] = [];
    broker.subscribe('a/b', () => order.push('exact-1'));
    broker.subscribe('a/#', () => order.push('hash-2'));
    broker.subscribe('a/*', () => order.push('star-3'));
    broker.subscribe('a/b', () => order.push('exact-4'));
    broker.subscribe('#', () => order.push('all-5'));
    broker.publish('a/b', 1);
    expect(order).toEqual(['exact-1', 'hash-2', 'star-3', 'exact-4', 'all-5']);
  });

  it('delivers the same handler twice when it subscribed twice', () => {
    const broker = new PubSubBroker<number>();
    const handler = vi.fn();
    broker.subscribe('a', handler);
    broker.subscribe('a', handler);
    expect(broker.publish('a', 1)).toBe(2);
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it('keeps delivering correctly as the snapshot cache is filled and invalidated', () => {
    const broker = new PubSubBroker<number>({ cacheSize: 2 });
    const seen: string[] = [];
    broker.subscribe('t/1', () => seen.push('1'));
    broker.publish('t/1', 0);
    broker.publish('t/2', 0);
    broker.publish('t/3', 0); // evicts t/1
    broker.subscribe('t/*', () => seen.push('*'));
    broker.publish('t/1', 0);
    broker.publish('t/1', 0); // served from the cache
    expect(seen).toEqual(['1', '1', '*', '1', '*']);
  });
});

describe('PubSubBroker snapshot semantics', () => {
  it('does not deliver the current message to a subscription added during the publish', () => {
    const broker = new PubSubBroker<string>();
    const late = vi.fn();
    broker.subscribe('t', () => {
      broker.subscribe('t', late);
    });
    broker.publish('t', 'first');
    expect(late).not.toHaveBeenCalled();
    broker.publish('t', 'second');
    expect(late).toHaveBeenCalledWith('second', 't');
  });

  it('delivers nothing to a subscription after it is ended during the publish', () => {
    const broker = new PubSubBroker<string>();
    let victim: Subscription<string> | undefined;
    const calls: string[] = [];
    broker.subscribe('t', () => {
      calls.push('killer');
      victim?.unsubscribe();
    });
    victim = broker.subscribe('t', () => calls.push('victim'));
    expect(broker.publish('t', 'x')).toBe(1);
    expect(calls).toEqual(['killer']);
  });

  it('lets a handler unsubscribe itself and still delivers to the rest', () => {
    const broker = new PubSubBroker<number>();
    const calls: string[] = [];
    const self: Subscription<number> = broker.subscribe('t', () => {
      calls.push('once');
      self.unsubscribe();
    });
    broker.subscribe('t', () => calls.push('other'));
    broker.publish('t', 1);
    broker.publish('t', 2);
    expect(calls).toEqual(['once', 'other', 'other']);
    expect(self.active).toBe(false);
  });
});

describe('PubSubBroker error isolation', () => {
  it('reports a throwing handler as an error event and still delivers to the others', () => {
    const broker = new PubSubBroker<string>();
    const errors: [unknown, string, number | undefined][] = [];
    broker.on('error', (error, topic, sub) => errors.push([error, topic, sub?.id]));
    const boom = new Error('boom');
    const bad = broker.subscribe('t', () => {
      throw boom;
    });
    const good = vi.fn();
    broker.subscribe('t', good);
    expect(() => broker.publish('t', 'x')).not.toThrow();
    expect(good).toHaveBeenCalledOnce();
    expect(errors).toEqual([[boom, 't', bad.id]]);
    expect(broker.stats().errors).toBe(1);
  });

  it('counts errors even when nobody listens, and never throws out of publish', async () => {
    using warnings = captureWarnings();
    const broker = new PubSubBroker<string>();
    broker.subscribe('t', () => {
      throw new Error('unobserved');
    });
    expect(broker.publish('t', 'x')).toBe(1);
    expect(broker.stats().errors).toBe(1);
    expect((await warnings.next()).message).toMatch(/^PubSubBroker: Error: unobserved/);
  });

  it('reports a rejected promise from a handler', async () => {
    const broker = new PubSubBroker<string>();
    const errors: unknown[] = [];
    broker.on('error', (error) => errors.push(error));
    broker.subscribe('t', async () => {
      throw new Error('async boom');
    });
    broker.publish('t', 'x');
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('async boom');
  });

  it('raises a throwing error listener outside the delivery loop', async () => {
    const broker = new PubSubBroker<string>();
    broker.on('error', () => {
      throw new Error('listener bug');
    });
    broker.subscribe('t', () => {
      throw new Error('handler');
    });
    const good = vi.fn();
    broker.subscribe('t', good);
    const uncaught = new Promise<unknown>((resolve) => {
      const listeners = process.listeners('uncaughtException');
      process.removeAllListeners('uncaughtException');
      process.once('uncaughtException', (error) => {
        for (const l of listeners) process.on('uncaughtException', l);
        resolve(error);
      });
    });
    broker.publish('t', 'x');
    expect(good).toHaveBeenCalledOnce();
    expect(((await uncaught) as Error).message).toBe('listener bug');
  });
});

describe('PubSubBroker re-entrancy', () => {
  it('delivers publishes made from inside a handler', () => {
    const broker = new PubSubBroker<number>();
    const seen: string[] = [];
    broker.subscribe('ping', (n) => {
      seen.push(`ping ${n}`);
      broker.publish('pong', n + 1);
    });
    broker.subscribe('pong', (n) => seen.push(`pong ${n}`));
    broker.publish('ping', 1);
    expect(seen).toEqual(['ping 1', 'pong 2']);
  });

  it('turns runaway recursion into a reported PublishLimitError instead of a stack overflow', () => {
    const broker = new PubSubBroker<number>({ maxPublishDepth: 5 });
    const errors: unknown[] = [];
    broker.on('error', (error) => errors.push(error));
    let calls = 0;
    broker.subscribe('loop', (n) => {
      calls++;
      broker.publish('loop', n + 1);
    });
    expect(broker.publish('loop', 0)).toBe(1);
    expect(calls).toBe(5);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(PublishLimitError);
    expect(errors[0]).toMatchObject({ code: 'ERR_PUBLISH_DEPTH', limit: 5, topic: 'loop' });
    expect(String(errors[0])).toMatch(/maxPublishDepth \(5\)/);
    expect(broker.stats().refused).toBe(1);
    // the depth counter unwound: a fresh publish works again
    calls = 0;
    broker.publish('loop', 0);
    expect(calls).toBe(5);
  });

  it('survives the default depth limit of 32 with deep recursion', () => {
    const broker = new PubSubBroker<number>();
    let deepest = 0;
    broker.subscribe('r', (n) => {
      deepest = Math.max(deepest, n);
      broker.publish('r', n + 1);
    });
    broker.publish('r', 1);
    expect(deepest).toBe(32);
  });
});

describe('PubSubBroker subscription lifetime', () => {
  it('ends a subscription by handle, once, with an unsubscribe event', () => {
    const broker = new PubSubBroker<number>();
    const ended: [number, UnsubscribeReason][] = [];
    broker.on('unsubscribe', (sub, reason) => ended.push([sub.id, reason]));
    const handler = vi.fn();
    const sub = broker.subscribe('t', handler);
    expect(sub.active).toBe(true);
    expect(sub.unsubscribe()).toBe(true);
    expect(sub.unsubscribe()).toBe(false);
    broker.publish('t', 1);
    expect(handler).not.toHaveBeenCalled();
    expect(ended).toEqual([[sub.id, 'unsubscribe']]);
    expect(broker.stats()).toMatchObject({ subscriptions: 0, patterns: 0 });
  });

  it('emits a subscribe event with the new subscription', () => {
    const broker = new PubSubBroker<number>();
    const seen: string[] = [];
    broker.on('subscribe', (sub) => seen.push(sub.pattern));
    broker.subscribe('a/#', () => {});
    expect(seen).toEqual(['a/#']);
  });

  it('ends a subscription when its AbortSignal fires', () => {
    const broker = new PubSubBroker<number>();
    const controller = new AbortController();
    const reasons: UnsubscribeReason[] = [];
    broker.on('unsubscribe', (_sub, reason) => reasons.push(reason));
    const handler = vi.fn();
    const sub = broker.subscribe('t', handler, { signal: controller.signal });
    broker.publish('t', 1);
    controller.abort();
    broker.publish('t', 2);
    expect(handler).toHaveBeenCalledTimes(1);
    expect(sub.active).toBe(false);
    expect(reasons).toEqual(['abort']);
  });

  it('returns an already-ended subscription for an already-aborted signal', () => {
    const broker = new PubSubBroker<number>();
    const handler = vi.fn();
    const sub = broker.subscribe('t', handler, { signal: AbortSignal.abort() });
    expect(sub.active).toBe(false);
    expect(broker.publish('t', 1)).toBe(0);
    expect(broker.stats().subscriptions).toBe(0);
  });

  it('removes its abort listener when unsubscribed, so long-lived signals do not leak', () => {
    const broker = new PubSubBroker<number>();
    const controller = new AbortController();
    const add = vi.spyOn(controller.signal, 'addEventListener');
    const remove = vi.spyOn(controller.signal, 'removeEventListener');
    broker.subscribe('t', () => {}, { signal: controller.signal }).unsubscribe();
    expect(add).toHaveBeenCalledOnce();
    expect(remove).toHaveBeenCalledWith('abort', add.mock.calls[0][1]);
  });

  it('ends a subscription at the end of a `using` block', () => {
    const broker = new PubSubBroker<number>();
    const handler = vi.fn();
    {
      using sub = broker.subscribe('t', handler);
      broker.publish('t', 1);
      expect(sub.active).toBe(true);
    }
    broker.publish('t', 2);
    expect(handler).toHaveBeenCalledTimes(1);
    expect(broker.stats().subscriptions).toBe(0);
  });

  it('ends a subscription once its weakly held owner is garbage-collected', async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(gc, 'vitest runs with --expose-gc').toBeTypeOf('function');
    const broker = new PubSubBroker<number>();
    const reasons: UnsubscribeReason[] = [];
    broker.on('unsubscribe', (_sub, reason) => reasons.push(reason));
    const calls: number[] = [];
    // The owner is created in a separate frame and never captured by the handler.
    const sub = ((): Subscription<number> => {
      const owner = { name: 'client' };
      return broker.subscribe('t', (n) => calls.push(n), { owner });
    })();
    for (let i = 0; i < 20 && sub.active; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      gc?.();
      // a publish also notices a dead owner, even before the finalizer runs
      broker.publish('t', i);
    }
    expect(sub.active).toBe(false);
    expect(reasons).toEqual(['owner-collected']);
    expect(broker.stats().subscriptions).toBe(0);
  });

  it('keeps a subscription whose owner is still alive', async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    const broker = new PubSubBroker<number>();
    const owner = { name: 'alive' };
    const sub = broker.subscribe('t', () => {}, { owner });
    await new Promise((resolve) => setImmediate(resolve));
    gc?.();
    await new Promise((resolve) => setImmediate(resolve));
    expect(broker.publish('t', 1)).toBe(1);
    expect(sub.active).toBe(true);
    expect(owner.name).toBe('alive');
  });
});

describe('PubSubBroker validation and close', () => {
  it('throws TopicError at the call site for an invalid pattern or topic, changing nothing', () => {
    const broker = new PubSubBroker<number>();
    expect(() => broker.subscribe('a/#/b', () => {})).toThrowError(TopicError);
    expect(() => broker.publish('a/*', 1)).toThrowError(TopicError);
    expect(() => broker.publish('', 1)).toThrowError(TopicError);
    expect(broker.stats()).toMatchObject({ subscriptions: 0, published: 0 });
  });

  it('throws a TypeError for a handler that is not a function', () => {
    const broker = new PubSubBroker<number>();
    expect(() => broker.subscribe('a', 'nope' as unknown as () => void)).toThrowError(TypeError);
  });

  it('rejects bad options with a RangeError naming the value', () => {
    expect(() => new PubSubBroker({ maxPublishDepth: 0 })).toThrowError(/maxPublishDepth.*got 0/);
    expect(() => new PubSubBroker({ cacheSize: 1.5 })).toThrowError(/cacheSize.*1\.5/);
  });

  it('close() ends every subscription and makes publish and subscribe throw', () => {
    const broker = new PubSubBroker<number>();
    const reasons: UnsubscribeReason[] = [];
    broker.on('unsubscribe', (_sub, reason) => reasons.push(reason));
    const a = broker.subscribe('a', () => {});
    const b = broker.subscribe('b/#', () => {});
    broker.close();
    broker.close();
    expect([a.active, b.active]).toEqual([false, false]);
    expect(reasons).toEqual(['close', 'close']);
    expect(broker.closed).toBe(true);
    expect(() => broker.publish('a', 1)).toThrowError(ClosedError);
    expect(() => broker.subscribe('a', () => {})).toThrowError(/PubSubBroker is closed/);
  });

  it('counts published and delivered messages', () => {
    const broker = new PubSubBroker<number>();
    broker.subscribe('#', () => {});
    broker.subscribe('a', () => {});
    broker.publish('a', 1);
    broker.publish('b', 1);
    expect(broker.stats()).toEqual({
      subscriptions: 2,
      patterns: 2,
      published: 2,
      refused: 0,
      offered: 3,
      delivered: 3,
      errors: 0,
      dropped: 0,
      pending: 0,
      slowConsumers: 0,
    });
  });
});
