/**
 * Scenario 3, fan-out: one publish delivered to 1, 10, 1,000 and 10,000 subscribers on one
 * topic. `PubSubBroker.publish` (topic routing, error isolation, snapshot semantics) against
 * plain event emitters that do none of that — eventemitter3, node:events, mitt, nanoevents —
 * and, with wildcard subscribers, against mqemitter (qlobber routing plus fastparallel).
 *
 * Rates are deliveries per second (publishes × subscribers). Every subscriber is its own
 * closure, as every real subscriber is, and the scenario checks each contender delivers
 * exactly once per subscriber before measuring it.
 *
 * @module
 */
import { EventEmitter as NodeEventEmitter } from 'node:events';
import { EventEmitter as EventEmitter3 } from 'eventemitter3';
import * as mittModule from 'mitt';
import type { Emitter } from 'mitt';
import mqemitter from 'mqemitter';
import { createNanoEvents, type Emitter as NanoEmitter } from 'nanoevents';
import { PubSubBroker } from 'logcaster';
import { compare, type Contender } from '../lib/harness.js';
import type { Scenario } from '../lib/scenario.js';

// mitt's types describe a CommonJS module while Node loads its ESM build: take the function
// from whichever shape arrives.
type Mitt = typeof mittModule.default.default;
const mittExport: unknown = mittModule.default;
const mitt = (typeof mittExport === 'function' ? mittExport : (mittExport as { default: unknown }).default) as Mitt;

const SIZES = [1, 10, 1_000, 10_000];
const TOPIC = 'logs/payments-3/ERROR/db1';
/** Wildcard patterns that all match {@link TOPIC}; subscribers cycle through them. */
const WILDCARDS = ['logs/#', 'logs/*/ERROR/#', 'logs/payments-3/#', 'logs/*/*/db1', 'logs/payments-3/*/*'];

interface Message {
  seq: number;
}

/** A counter shared by one contender's subscribers; each subscriber is a distinct closure. */
function subscribers(count: number): { handlers: ((message: Message) => void)[]; counter: { hits: number } } {
  const counter = { hits: 0 };
  const handlers: ((message: Message) => void)[] = [];
  for (let i = 0; i < count; i++) {
    handlers.push((message) => {
      counter.hits += message.seq > -1 ? 1 : 0;
    });
  }
  return { handlers, counter };
}

// One publishing loop per library (not one helper taking a callback): a shared loop would
// make its call site megamorphic and stop the engine from inlining any of them.

type Counter = { hits: number };

function brokerContender(broker: PubSubBroker<Message>, counter: Counter): Contender {
  const message: Message = { seq: 0 };
  return {
    name: 'logcaster',
    run(ops) {
      const before = counter.hits;
      for (let n = 0; n < ops; n++) {
        message.seq = n;
        broker.publish(TOPIC, message);
      }
      return counter.hits - before;
    },
  };
}

function ee3Contender(emitter: EventEmitter3, counter: Counter): Contender {
  const message: Message = { seq: 0 };
  return {
    name: 'eventemitter3',
    run(ops) {
      const before = counter.hits;
      for (let n = 0; n < ops; n++) {
        message.seq = n;
        emitter.emit(TOPIC, message);
      }
      return counter.hits - before;
    },
  };
}

function nodeContender(emitter: NodeEventEmitter, counter: Counter): Contender {
  const message: Message = { seq: 0 };
  return {
    name: 'node:events',
    run(ops) {
      const before = counter.hits;
      for (let n = 0; n < ops; n++) {
        message.seq = n;
        emitter.emit(TOPIC, message);
      }
      return counter.hits - before;
    },
  };
}

function mittContender(emitter: Emitter<Record<string, Message>>, counter: Counter): Contender {
  const message: Message = { seq: 0 };
  return {
    name: 'mitt',
    run(ops) {
      const before = counter.hits;
      for (let n = 0; n < ops; n++) {
        message.seq = n;
        emitter.emit(TOPIC, message);
      }
      return counter.hits - before;
    },
  };
}

function nanoContender(emitter: NanoEmitter<Record<string, (message: Message) => void>>, counter: Counter): Contender {
  const message: Message = { seq: 0 };
  return {
    name: 'nanoevents',
    run(ops) {
      const before = counter.hits;
      for (let n = 0; n < ops; n++) {
        message.seq = n;
        emitter.emit(TOPIC, message);
      }
      return counter.hits - before;
    },
  };
}

function mqContender(emitter: mqemitter.MQEmitter, counter: Counter): Contender {
  const message = { topic: TOPIC, seq: 0 };
  return {
    name: 'mqemitter',
    run(ops) {
      const before = counter.hits;
      for (let n = 0; n < ops; n++) {
        message.seq = n;
        emitter.emit(message);
      }
      return counter.hits - before;
    },
  };
}

function checkDelivers(candidate: Contender, expected: number): void {
  const got = candidate.run(1);
  if (got !== expected) throw new Error(`${candidate.name} delivered ${String(got)} times to ${expected} subscribers`);
}

function exactContenders(size: number): { contenders: Contender[]; close: () => void } {
  const broker = new PubSubBroker<Message>();
  const b = subscribers(size);
  for (const h of b.handlers) broker.subscribe(TOPIC, h);

  const ee3 = new EventEmitter3();
  const e3 = subscribers(size);
  for (const h of e3.handlers) ee3.on(TOPIC, h);

  const node = new NodeEventEmitter();
  node.setMaxListeners(0);
  const n = subscribers(size);
  for (const h of n.handlers) node.on(TOPIC, h);

  const m = mitt<Record<string, Message>>();
  const mh = subscribers(size);
  for (const h of mh.handlers) m.on(TOPIC, h);

  const nano = createNanoEvents<Record<string, (message: Message) => void>>();
  const nh = subscribers(size);
  for (const h of nh.handlers) nano.on(TOPIC, h);

  return {
    contenders: [
      brokerContender(broker, b.counter),
      ee3Contender(ee3, e3.counter),
      nodeContender(node, n.counter),
      mittContender(m, mh.counter),
      nanoContender(nano, nh.counter),
    ],
    close: () => broker.close(),
  };
}

function wildcardContenders(size: number): { contenders: Contender[]; close: () => void } {
  const broker = new PubSubBroker<Message>();
  const b = subscribers(size);
  b.handlers.forEach((h, i) => broker.subscribe(WILDCARDS[i % WILDCARDS.length], h));

  const mq = mqemitter({ separator: '/', wildcardOne: '*', wildcardSome: '#' });
  const mh = subscribers(size);
  mh.handlers.forEach((h, i) =>
    mq.on(WILDCARDS[i % WILDCARDS.length], (message, done) => {
      h(message as unknown as Message);
      done();
    }),
  );
  return {
    contenders: [brokerContender(broker, b.counter), mqContender(mq, mh.counter)],
    close: () => {
      broker.close();
      mq.close(() => undefined);
    },
  };
}

const scenario: Scenario = {
  name: 'fan-out',
  title: 'Fan-out: PubSubBroker.publish vs event emitters and mqemitter',
  async run(ctx) {
    for (const size of SIZES) {
      const exact = exactContenders(size);
      for (const c of exact.contenders) checkDelivers(c, size);
      const result = await compare({
        group: `${size.toLocaleString('en-US')} subscriber${size === 1 ? '' : 's'} on one topic`,
        unit: 'deliveries/s',
        subject: 'logcaster',
        unitsPerOp: size,
        contenders: exact.contenders,
      });
      exact.close();
      ctx.group(result);
      const subscribersLabel = `${size.toLocaleString('en-US')} subscriber${size === 1 ? '' : 's'}`;
      ctx.target(`fan-out to ${subscribersLabel} vs eventemitter3`, result.ratios.eventemitter3, 'at-least', 1);
      if (size === 10_000) ctx.target(`fan-out to ${subscribersLabel} vs mitt`, result.ratios.mitt, 'at-least', 1);
    }
    for (const size of [10, 10_000]) {
      const wild = wildcardContenders(size);
      for (const c of wild.contenders) checkDelivers(c, size);
      const result = await compare({
        group: `${size.toLocaleString('en-US')} wildcard subscribers (${WILDCARDS.length} patterns)`,
        unit: 'deliveries/s',
        subject: 'logcaster',
        unitsPerOp: size,
        contenders: wild.contenders,
      });
      wild.close();
      ctx.group(result);
    }
  },
};

export default scenario;
