/**
 * Type-level checks of the public signatures (checked by `tsc` in `npm test`; the runtime
 * part only makes sure the file runs).
 */
import { describe, expectTypeOf, it } from 'vitest';
import type { BrokerObserver, TopicSyntax } from '../src/adapter.js';
import {
  Batcher,
  BroadcastMetrics,
  PubSubBroker,
  type BatcherOptions,
  type BrokerOptions,
  type ErrorCode,
  type MessageStream,
  type Subscription,
} from '../src/index.js';

describe('public types', () => {
  it("accepts any Batcher flush: void, boolean, Promise<void> or Promise<number>", () => {
    expectTypeOf<(items: string[]) => boolean>().toMatchTypeOf<BatcherOptions<string>['flush']>();
    expectTypeOf<(items: string[]) => Promise<number>>().toMatchTypeOf<BatcherOptions<string>['flush']>();
    expectTypeOf<(items: string[]) => void>().toMatchTypeOf<BatcherOptions<string>['flush']>();
    const batcher = new Batcher<string>({ flush: (items) => items.length > 0 });
    const asyncBatcher = new Batcher<string>({ flush: async (items) => items.length });
    expectTypeOf(batcher.drain()).toEqualTypeOf<Promise<void>>();
    expectTypeOf(asyncBatcher.close({ drain: true })).toEqualTypeOf<Promise<void>>();
  });

  it('types the broker methods added for draining and waiting', () => {
    const broker = new PubSubBroker<{ level: string }>();
    // Arrow functions: expectTypeOf evaluates its argument, and these must not run.
    expectTypeOf(() => broker.drain({ timeoutMs: 10 })).returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf(() => broker.close({ drain: true, timeoutMs: 10 })).returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf(() => broker.nextMessage('logs/#', { timeoutMs: 1 })).returns.toEqualTypeOf<Promise<{ topic: string; message: { level: string } }>>();
    expectTypeOf(() => broker.publishChunked('a', { level: 'x' }, { chunkSize: 10 })).returns.toEqualTypeOf<Promise<number>>();
    expectTypeOf(broker.syntax).toEqualTypeOf<Readonly<TopicSyntax>>();
    expectTypeOf<BrokerOptions['syntax']>().toEqualTypeOf<'default' | 'mqtt' | 'nats' | import('../src/index.js').TopicSyntaxOptions | undefined>();
    void broker.close();
  });

  it('hides what only the broker may change', () => {
    const broker = new PubSubBroker<number>();
    const sub = broker.subscribe('a', () => undefined);
    expectTypeOf(sub).toEqualTypeOf<Subscription<number>>();
    expectTypeOf(sub).not.toHaveProperty('live');
    expectTypeOf(sub).not.toHaveProperty('sink');
    expectTypeOf(sub).not.toHaveProperty('ownerRef');
    expectTypeOf(sub.active).toEqualTypeOf<boolean>();
    const stream = broker.stream('a');
    expectTypeOf(stream).toEqualTypeOf<MessageStream<number>>();
    expectTypeOf(stream).not.toHaveProperty('push');
    expectTypeOf(stream).not.toHaveProperty('close');
    const metrics = new BroadcastMetrics(broker);
    expectTypeOf(metrics).not.toHaveProperty('offered');
    expectTypeOf(metrics).not.toHaveProperty('dropped');
    expectTypeOf(broker.observe).parameter(0).toEqualTypeOf<BrokerObserver<number>>();
    expectTypeOf(broker.observe).returns.toEqualTypeOf<() => void>();
    metrics.close();
    void broker.close();
  });

  it('types every error code as a literal', () => {
    expectTypeOf<ErrorCode>().toEqualTypeOf<
      | 'ERR_INVALID_ARG_TYPE'
      | 'ERR_INVALID_ARG_VALUE'
      | 'ERR_OUT_OF_RANGE'
      | 'ERR_INVALID_RETURN_VALUE'
      | 'ERR_UNKNOWN_OPTION'
      | 'ERR_BOUND_REACHED'
      | 'ERR_INVALID_TOPIC'
      | 'ERR_CLOSED'
      | 'ERR_SLOW_CONSUMER'
      | 'ERR_TIMEOUT'
      | 'ERR_PUBLISH_DEPTH'
      | 'ERR_PUBLISH_WORK'
      | 'ERR_INVALID_STATE'
    >();
  });
});
