import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  BoundedQueue,
  SlowConsumerError,
  type BoundedQueueOptions,
  type DropReason,
  type OverflowPolicy,
} from '../src/index.js';

interface Item {
  id: number;
  priority: number;
  size: number;
}

const POLICIES: OverflowPolicy[] = ['drop-newest', 'drop-oldest', 'drop-lowest-priority', 'disconnect'];
const REASONS: DropReason[] = [...POLICIES, 'closed'];

const zeroDrops = (): Record<DropReason, number> => ({
  'drop-newest': 0,
  'drop-oldest': 0,
  'drop-lowest-priority': 0,
  disconnect: 0,
  closed: 0,
});

/** Records every event of a queue. */
function record<T>(queue: BoundedQueue<T>) {
  const log = {
    events: [] as string[],
    drops: zeroDrops(),
    droppedItems: [] as T[],
    errors: [] as SlowConsumerError[],
  };
  queue.on('drop', (count, reason, item) => {
    log.drops[reason] += count;
    if (item !== undefined) log.droppedItems.push(item);
  });
  queue.on('pause', () => log.events.push('pause'));
  queue.on('resume', () => log.events.push('resume'));
  queue.on('empty', () => log.events.push('empty'));
  queue.on('overflow', (error) => {
    log.events.push('overflow');
    log.errors.push(error);
  });
  return log;
}

const item = (id: number, priority = 0, size = 0): Item => ({ id, priority, size });
const ids = (items: Iterable<Item>): number[] => Array.from(items, (i) => i.id);

describe('BoundedQueue basics', () => {
  it('keeps FIFO order through push, peek, shift, shiftMany and iteration', () => {
    const queue = new BoundedQueue<number>({ maxItems: 10 });
    for (let i = 1; i <= 5; i++) expect(queue.push(i)).toBe(true);
    expect(queue.peek()).toBe(1);
    expect([...queue]).toEqual([1, 2, 3, 4, 5]);
    expect(queue.shift()).toBe(1);
    const into = [0];
    expect(queue.shiftMany(2, into)).toBe(into);
    expect(into).toEqual([0, 2, 3]);
    expect(queue.shiftMany(10)).toEqual([4, 5]);
    expect(queue.shift()).toBeUndefined();
    expect(queue.peek()).toBeUndefined();
    expect(queue.stats()).toMatchObject({ length: 0, enqueued: 5, dequeued: 5, dropped: 0, pushed: 5 });
  });

  it('iterates over a snapshot, so shifting during iteration is safe', () => {
    const queue = new BoundedQueue<number>();
    queue.push(1);
    queue.push(2);
    const seen: number[] = [];
    for (const value of queue) {
      seen.push(value);
      queue.shift();
    }
    expect(seen).toEqual([1, 2]);
    expect(queue.length).toBe(0);
  });

  it('emits empty when shift or shiftMany empties the queue', () => {
    const queue = new BoundedQueue<number>();
    const log = record(queue);
    queue.push(1);
    queue.push(2);
    queue.shift();
    expect(log.events).toEqual([]);
    queue.shift();
    expect(log.events).toEqual(['empty']);
    queue.push(3);
    queue.shiftMany(5);
    expect(log.events).toEqual(['empty', 'empty']);
  });

  it('uses the seed defaults: 1000 items high, 100 low, drop-newest, no byte bound', () => {
    const queue = new BoundedQueue<number>();
    const log = record(queue);
    for (let i = 0; i < 1001; i++) queue.push(i);
    expect(queue.stats()).toMatchObject({ length: 1000, maxItems: 1000, maxBytes: Infinity, bytes: 0 });
    expect(log.drops['drop-newest']).toBe(1);
    expect(log.droppedItems).toEqual([1000]);
    queue.shiftMany(899);
    expect(queue.paused).toBe(true);
    queue.shift();
    expect(queue.paused).toBe(false);
  });
});

describe('overflow policies', () => {
  it('drop-newest drops the incoming item once the high-water mark is reached', () => {
    const queue = new BoundedQueue<number>({ maxItems: 3, lowWaterItems: 1 });
    const log = record(queue);
    expect([1, 2, 3, 4, 5].map((v) => queue.push(v))).toEqual([true, true, true, false, false]);
    expect([...queue]).toEqual([1, 2, 3]);
    expect(log.droppedItems).toEqual([4, 5]);
    expect(queue.stats().droppedBy['drop-newest']).toBe(2);
  });

  it('drop-oldest evicts the oldest item to make room for the incoming one', () => {
    const queue = new BoundedQueue<number>({ maxItems: 3, lowWaterItems: 1, policy: 'drop-oldest' });
    const log = record(queue);
    expect([1, 2, 3, 4, 5].map((v) => queue.push(v))).toEqual([true, true, true, true, true]);
    expect([...queue]).toEqual([3, 4, 5]);
    expect(log.droppedItems).toEqual([1, 2]);
    expect(queue.stats()).toMatchObject({ enqueued: 5, refused: 0, dropped: 2 });
  });

  it('drop-lowest-priority evicts the oldest of the lowest-priority items, keeping FIFO order', () => {
    const queue = new BoundedQueue<Item>({
      maxItems: 4,
      lowWaterItems: 0,
      policy: 'drop-lowest-priority',
      priorityOf: (i) => i.priority,
    });
    const log = record(queue);
    [item(1, 2), item(2, 1), item(3, 0), item(4, 0)].forEach((i) => queue.push(i));
    expect(queue.push(item(5, 1))).toBe(true);
    expect(ids(queue)).toEqual([1, 2, 4, 5]);
    expect(queue.push(item(6, 1))).toBe(true);
    expect(ids(queue)).toEqual([1, 2, 5, 6]);
    expect(queue.push(item(7, 2))).toBe(true);
    expect(ids(queue)).toEqual([1, 5, 6, 7]);
    expect(ids(log.droppedItems)).toEqual([3, 4, 2]);
  });

  it('drop-lowest-priority drops the incoming item when nothing queued is of lower priority', () => {
    const queue = new BoundedQueue<Item>({
      maxItems: 2,
      lowWaterItems: 0,
      policy: 'drop-lowest-priority',
      priorityOf: (i) => i.priority,
    });
    const log = record(queue);
    queue.push(item(1, 1));
    queue.push(item(2, 3));
    expect(queue.push(item(3, 1))).toBe(false);
    expect(queue.push(item(4, 0))).toBe(false);
    expect(ids(queue)).toEqual([1, 2]);
    expect(ids(log.droppedItems)).toEqual([3, 4]);
    expect(queue.stats().droppedBy['drop-lowest-priority']).toBe(2);
  });

  it('disconnect overflows: closes, counts every pending item and the incoming one, and reports a SlowConsumerError', () => {
    const queue = new BoundedQueue<number>({ maxItems: 3, lowWaterItems: 1, policy: 'disconnect' });
    const log = record(queue);
    [1, 2, 3].forEach((v) => queue.push(v));
    expect(queue.push(4)).toBe(false);
    expect(queue.closed).toBe(true);
    expect(queue.length).toBe(0);
    expect(queue.paused).toBe(false);
    expect(log.events).toEqual(['pause', 'overflow']);
    const [error] = log.errors;
    expect(error).toBeInstanceOf(SlowConsumerError);
    expect(error.code).toBe('ERR_SLOW_CONSUMER');
    expect(error.message).toBe('queue overflowed: 3 items pending, hard bound 3 items');
    expect({ pending: error.pending, pendingBytes: error.pendingBytes, bound: error.bound }).toEqual({
      pending: 3,
      pendingBytes: 0,
      bound: 3,
    });
    expect(queue.stats()).toMatchObject({ dropped: 4, overflows: 1, refused: 1 });
    expect(queue.stats().droppedBy.disconnect).toBe(4);
    expect(queue.push(5)).toBe(false);
    expect(queue.stats().droppedBy.closed).toBe(1);
  });

  it('names the byte bound in the overflow message when bytes overflowed', () => {
    const limit = 1048576;
    const queue = new BoundedQueue<Buffer>({ maxBytes: limit, policy: 'disconnect' });
    const log = record(queue);
    expect(queue.push(Buffer.alloc(limit))).toBe(true);
    expect(queue.paused).toBe(true);
    expect(queue.push(Buffer.alloc(1))).toBe(false);
    expect(log.errors[0].message).toBe('queue overflowed: 1048576 bytes pending, hard bound 1048576 bytes');
    expect(log.errors[0]).toMatchObject({ pending: 1, pendingBytes: limit, bound: limit });
  });

  it('disconnect with a hard limit above the high mark lets items through past it until the hard limit', () => {
    const queue = new BoundedQueue<number>({ maxItems: 2, lowWaterItems: 0, hardMaxItems: 4, policy: 'disconnect' });
    const log = record(queue);
    expect([1, 2, 3, 4].map((v) => queue.push(v))).toEqual([true, true, true, true]);
    expect(log.events).toEqual(['pause']);
    expect(queue.push(5)).toBe(false);
    expect(log.errors[0].message).toBe('queue overflowed: 4 items pending, hard bound 4 items');
  });

  it('drops an item bigger than maxBytes on its own, leaving the queue alone', () => {
    for (const policy of POLICIES) {
      const queue = new BoundedQueue<string>({ maxBytes: 10, lowWaterBytes: 0, policy, priorityOf: () => 0 });
      const log = record(queue);
      queue.push('abc');
      expect(queue.push('x'.repeat(11))).toBe(false);
      expect([...queue]).toEqual(['abc']);
      expect(queue.closed).toBe(false);
      expect(queue.paused).toBe(false);
      expect(log.drops[policy]).toBe(1);
    }
  });

  it('evicts as many old items as a large item needs under a byte bound', () => {
    const queue = new BoundedQueue<string>({ maxBytes: 10, policy: 'drop-oldest' });
    ['aaa', 'bbb', 'ccc'].forEach((s) => queue.push(s));
    expect(queue.push('dddddddd')).toBe(true);
    expect([...queue]).toEqual(['dddddddd']);
    expect(queue.stats()).toMatchObject({ bytes: 8, dropped: 3 });
  });

  it('does not evict anything for an item that would be refused anyway', () => {
    const queue = new BoundedQueue<Item>({
      maxItems: 10,
      maxBytes: 10,
      policy: 'drop-lowest-priority',
      priorityOf: (i) => i.priority,
      sizeOf: (i) => i.size,
    });
    queue.push(item(1, 0, 3));
    queue.push(item(2, 5, 6));
    // Evicting item 1 frees 3 bytes, not enough for 5: item 1 must survive.
    expect(queue.push(item(3, 1, 5))).toBe(false);
    expect(ids(queue)).toEqual([1, 2]);
  });
});

describe('protected items', () => {
  const options = (policy: OverflowPolicy): BoundedQueueOptions<Item> => ({
    maxItems: 3,
    lowWaterItems: 0,
    hardMaxItems: 5,
    policy,
    priorityOf: (i) => i.priority,
    protectedPriority: 10,
  });

  it('are never dropped by drop-newest: they go past the high mark up to the hard limit, then overflow', () => {
    const queue = new BoundedQueue<Item>(options('drop-newest'));
    const log = record(queue);
    [1, 2, 3].forEach((id) => queue.push(item(id)));
    expect(queue.push(item(4))).toBe(false);
    expect(queue.push(item(5, 10))).toBe(true);
    expect(queue.push(item(6, 99))).toBe(true);
    expect(queue.length).toBe(5);
    expect(queue.push(item(7, 10))).toBe(false);
    expect(log.events).toEqual(['pause', 'overflow']);
    expect(queue.stats().droppedBy).toEqual({ ...zeroDrops(), 'drop-newest': 1, disconnect: 6 });
  });

  it('make drop-oldest evict unprotected items first, and are themselves kept', () => {
    const queue = new BoundedQueue<Item>(options('drop-oldest'));
    queue.push(item(1, 10));
    queue.push(item(2));
    queue.push(item(3));
    expect(queue.push(item(4))).toBe(true);
    expect(ids(queue)).toEqual([1, 3, 4]);
    expect(queue.push(item(5, 10))).toBe(true);
    expect(ids(queue)).toEqual([1, 4, 5]);
  });

  it('let a protected item through when every queued item is protected, up to the hard limit', () => {
    const queue = new BoundedQueue<Item>(options('drop-lowest-priority'));
    [1, 2, 3].forEach((id) => queue.push(item(id, 10)));
    expect(queue.push(item(4, 0))).toBe(false);
    expect(queue.push(item(5, 10))).toBe(true);
    expect(ids(queue)).toEqual([1, 2, 3, 5]);
  });
});

describe('pause and resume (hysteresis)', () => {
  it('pauses once at the high mark and resumes once at the low mark, without flapping in between', () => {
    const queue = new BoundedQueue<number>({ maxItems: 10, lowWaterItems: 3 });
    const log = record(queue);
    for (let i = 0; i < 9; i++) queue.push(i);
    expect(log.events).toEqual([]);
    queue.push(9);
    expect(log.events).toEqual(['pause']);
    // Hover around the high mark: one out, one in, many times.
    for (let i = 0; i < 50; i++) {
      queue.shift();
      queue.push(i);
      queue.push(i);
    }
    expect(log.events).toEqual(['pause']);
    queue.shiftMany(6);
    expect(queue.length).toBe(4);
    expect(log.events).toEqual(['pause']);
    queue.push(1);
    queue.shiftMany(2);
    expect(queue.length).toBe(3);
    expect(log.events).toEqual(['pause', 'resume']);
    // Below the high mark again: no further resume, and no pause until the mark is reached.
    for (let i = 0; i < 6; i++) queue.push(i);
    queue.shift();
    expect(log.events).toEqual(['pause', 'resume']);
    queue.push(0);
    queue.push(0);
    expect(log.events).toEqual(['pause', 'resume', 'pause']);
    expect(queue.stats()).toMatchObject({ pauses: 2, resumes: 1 });
  });

  it('pauses when the byte bound is reached even below the item mark', () => {
    const queue = new BoundedQueue<string>({ maxItems: 100, maxBytes: 10 });
    const log = record(queue);
    queue.push('12345');
    queue.push('1234');
    expect(log.events).toEqual([]);
    queue.push('1');
    expect(log.events).toEqual(['pause']);
  });

  it('pauses when a push finds too few bytes left, even if the bound was not reached exactly', () => {
    const queue = new BoundedQueue<string>({ maxBytes: 10 });
    const log = record(queue);
    queue.push('123456');
    expect(queue.push('12345')).toBe(false);
    expect(log.events).toEqual(['pause']);
    expect(queue.bytes).toBe(6);
  });

  it('resumes only once at or below both low marks', () => {
    const queue = new BoundedQueue<string>({ maxItems: 4, lowWaterItems: 2, maxBytes: 100, lowWaterBytes: 10 });
    const log = record(queue);
    ['a'.repeat(40), 'b'.repeat(40), 'c', 'd'].forEach((s) => queue.push(s));
    expect(log.events).toEqual(['pause']);
    queue.shiftMany(2);
    // 2 items (the item low mark), but 2 bytes: both low marks now.
    expect(log.events).toEqual(['pause', 'resume']);

    const bytesFirst = new BoundedQueue<string>({ maxItems: 4, lowWaterItems: 1, maxBytes: 100, lowWaterBytes: 10 });
    const log2 = record(bytesFirst);
    ['a', 'b', 'c'.repeat(30), 'd'.repeat(30)].forEach((s) => bytesFirst.push(s));
    expect(log2.events).toEqual(['pause']);
    bytesFirst.shiftMany(2);
    // 60 bytes > 10: still paused although items dropped to 2.
    bytesFirst.shift();
    expect(bytesFirst.length).toBe(1);
    expect(bytesFirst.bytes).toBe(30);
    expect(log2.events).toEqual(['pause']);
    bytesFirst.shift();
    expect(log2.events).toEqual(['pause', 'resume', 'empty']);
  });

  it('ignores the byte low mark when there is no byte bound', () => {
    const queue = new BoundedQueue<string>({ maxItems: 2, lowWaterItems: 1, sizeOf: (s) => s.length });
    const log = record(queue);
    queue.push('aaaa');
    queue.push('bbbb');
    queue.shift();
    expect(queue.bytes).toBe(4);
    expect(log.events).toEqual(['pause', 'resume']);
  });
});

describe('byte accounting', () => {
  it('sizes strings by UTF-8 length and Buffers by byte length by default', () => {
    const queue = new BoundedQueue<string | Uint8Array>({ maxBytes: 100 });
    queue.push('héllo');
    queue.push(Buffer.from([1, 2, 3]));
    queue.push(new Uint8Array(4));
    expect(queue.bytes).toBe(6 + 3 + 4);
    queue.shift();
    expect(queue.bytes).toBe(7);
  });

  it('does not size items at all without a byte bound or sizeOf', () => {
    const queue = new BoundedQueue<string>({ maxItems: 5 });
    queue.push('hello');
    expect(queue.bytes).toBe(0);
    expect(queue.stats().bytes).toBe(0);
  });

  it('counts bytes with a sizeOf even without a byte bound', () => {
    const sizeOf = vi.fn((s: string) => s.length * 2);
    const queue = new BoundedQueue<string>({ sizeOf });
    queue.push('abc');
    expect(queue.bytes).toBe(6);
    expect(sizeOf).toHaveBeenCalledTimes(1);
  });

  it('asks for priorities only on the full path when no policy needs every item’s priority', () => {
    const priorityOf = vi.fn((i: Item) => i.priority);
    const queue = new BoundedQueue<Item>({ maxItems: 2, lowWaterItems: 0, hardMaxItems: 3, priorityOf, protectedPriority: 5 });
    queue.push(item(1));
    queue.push(item(2));
    expect(priorityOf).not.toHaveBeenCalled();
    expect(queue.push(item(3, 5))).toBe(true);
    expect(priorityOf).toHaveBeenCalledTimes(1);
  });

  it('rejects a sizeOf result that is negative or not finite, and a NaN priority', () => {
    expect(() => new BoundedQueue<number>({ sizeOf: () => -1 }).push(1)).toThrow(/sizeOf must return .*-1/);
    expect(() => new BoundedQueue<number>({ sizeOf: () => Infinity }).push(1)).toThrow(RangeError);
    expect(() =>
      new BoundedQueue<number>({ policy: 'drop-lowest-priority', priorityOf: () => NaN }).push(1),
    ).toThrow(/priorityOf must return a number \(got NaN\)/);
  });
});

describe('drop accounting', () => {
  it('takeDropped returns the drops since the previous call and resets only that counter', () => {
    const queue = new BoundedQueue<number>({ maxItems: 1, lowWaterItems: 0 });
    queue.push(1);
    queue.push(2);
    queue.push(3);
    expect(queue.takeDropped()).toBe(2);
    expect(queue.takeDropped()).toBe(0);
    queue.push(4);
    expect(queue.takeDropped()).toBe(1);
    expect(queue.dropped).toBe(3);
  });

  it('clear discards everything under the closed reason, resumes and stays open', () => {
    const queue = new BoundedQueue<number>({ maxItems: 2, lowWaterItems: 0 });
    const log = record(queue);
    queue.push(1);
    queue.push(2);
    expect(queue.clear()).toBe(2);
    expect(queue.clear()).toBe(0);
    expect(log.drops.closed).toBe(2);
    expect(log.events).toEqual(['pause', 'resume', 'empty']);
    expect(queue.push(3)).toBe(true);
    expect(queue.closed).toBe(false);
  });

  it('close discards and counts pending items, is idempotent, and refuses later pushes', () => {
    const queue = new BoundedQueue<number>();
    const log = record(queue);
    queue.push(1);
    queue.push(2);
    queue.close();
    queue.close();
    expect(queue.push(3)).toBe(false);
    expect(log.drops.closed).toBe(3);
    expect(queue.stats()).toMatchObject({ closed: true, length: 0, dropped: 3, pushed: 3, enqueued: 2, refused: 1 });
  });

  it('keeps a never-read queue within its bound over 100,000 pushes, counting every drop', () => {
    const queue = new BoundedQueue<number>({ maxItems: 500, lowWaterItems: 50, policy: 'drop-oldest' });
    let emitted = 0;
    queue.on('drop', (count) => (emitted += count));
    for (let i = 0; i < 100_000; i++) queue.push(i);
    expect(queue.length).toBe(500);
    expect(queue.dropped).toBe(99_500);
    expect(emitted).toBe(99_500);
    expect(queue.peek()).toBe(99_500);
  });
});

describe('options validation', () => {
  const cases: [BoundedQueueOptions<number>, RegExp][] = [
    [{ maxItems: 0 }, /maxItems must be an integer >= 1 \(got 0\)/],
    [{ maxItems: 1.5 }, /maxItems .*1\.5/],
    [{ lowWaterItems: -1 }, /lowWaterItems .*-1/],
    [{ maxItems: 5, lowWaterItems: 6 }, /maxItems must be >= lowWaterItems \(got 5 < 6\)/],
    [{ maxBytes: 0 }, /maxBytes .*got 0/],
    [{ maxBytes: NaN }, /maxBytes .*NaN/],
    [{ maxBytes: 10, lowWaterBytes: 11 }, /lowWaterBytes .*11/],
    [{ maxItems: 5, hardMaxItems: 4 }, /hardMaxItems .*>= maxItems \(5\).*got 4/],
    [{ maxBytes: 10, hardMaxBytes: 9 }, /hardMaxBytes .*got 9/],
    [{ policy: 'drop-random' as OverflowPolicy }, /policy must be one of .*"drop-random"/],
    [{ protectedPriority: NaN }, /protectedPriority .*NaN/],
  ];
  it.each(cases)('rejects %j with a RangeError naming the field and value', (options, message) => {
    expect(() => new BoundedQueue<number>(options)).toThrow(RangeError);
    expect(() => new BoundedQueue<number>(options)).toThrow(message);
  });

  it('rejects a sizeOf or priorityOf that is not a function with a TypeError', () => {
    expect(() => new BoundedQueue<number>({ sizeOf: 3 as unknown as () => number })).toThrow(TypeError);
    expect(() => new BoundedQueue<number>({ priorityOf: 'x' as unknown as () => number })).toThrow(/priorityOf/);
  });

  it('lowers the default low mark to the high mark when the high mark is under 100', () => {
    const queue = new BoundedQueue<number>({ maxItems: 10 });
    const log = record(queue);
    for (let i = 0; i < 10; i++) queue.push(i);
    queue.shift();
    expect(log.events).toEqual(['pause', 'resume']);
  });

  it('rejects a negative shiftMany count', () => {
    expect(() => new BoundedQueue<number>().shiftMany(-1)).toThrow(/max must be .*-1/);
  });
});

// ---------------------------------------------------------------------------------------
// Reference model: a plain array and the spec's rules, written as directly as possible.

interface ModelConfig {
  hwm: number;
  lwm: number;
  maxBytes: number;
  lowBytes: number;
  hardItems: number;
  hardBytes: number;
  policy: OverflowPolicy;
  protectedPriority: number;
  countsBytes: boolean;
  sizes: boolean;
  priorities: boolean;
}

class Model {
  items: Item[] = [];
  paused = false;
  closed = false;
  drops = zeroDrops();
  /** Items dropped one at a time (refusals, evictions), in order. */
  droppedOne: number[] = [];

  constructor(readonly c: ModelConfig) {}

  size(i: Item): number {
    return this.c.countsBytes && this.c.sizes ? i.size : 0;
  }
  prio(i: Item): number {
    return this.c.priorities ? i.priority : 0;
  }
  bytesOf(list: Item[]): number {
    return list.reduce((sum, i) => sum + this.size(i), 0);
  }
  get bytes(): number {
    return this.bytesOf(this.items);
  }
  fitsSoft(list: Item[], incoming: Item): boolean {
    return list.length < this.c.hwm && this.bytesOf(list) + this.size(incoming) <= this.c.maxBytes;
  }
  fitsHard(list: Item[], incoming: Item): boolean {
    return list.length < this.c.hardItems && this.bytesOf(list) + this.size(incoming) <= this.c.hardBytes;
  }
  dropOne(i: Item, reason: DropReason): void {
    this.drops[reason]++;
    this.droppedOne.push(i.id);
  }
  enqueue(i: Item): true {
    this.items.push(i);
    return true;
  }

  push(incoming: Item): boolean {
    const c = this.c;
    if (this.closed) {
      this.dropOne(incoming, 'closed');
      return false;
    }
    if (this.fitsSoft(this.items, incoming)) {
      this.enqueue(incoming);
      if (this.items.length >= c.hwm || this.bytes >= c.maxBytes) this.paused = true;
      return true;
    }
    const p = this.prio(incoming);
    const isProtected = p >= c.protectedPriority;
    const hard = isProtected || c.policy === 'disconnect';
    if (this.size(incoming) > (hard ? c.hardBytes : c.maxBytes)) {
      this.dropOne(incoming, c.policy);
      return false;
    }
    if (c.policy === 'drop-oldest' || c.policy === 'drop-lowest-priority') {
      const limit = c.policy === 'drop-oldest' ? c.protectedPriority : Math.min(p, c.protectedPriority);
      const survivors = this.items.filter((i) => this.prio(i) >= limit);
      if (this.fitsSoft(survivors, incoming) || (isProtected && this.fitsHard(survivors, incoming))) {
        while (!this.fitsSoft(this.items, incoming)) {
          const victims = this.items.filter((i) => this.prio(i) < limit);
          if (victims.length === 0) break;
          const lowest = Math.min(...victims.map((i) => this.prio(i)));
          const victim =
            c.policy === 'drop-oldest' ? victims[0] : (victims.find((i) => this.prio(i) === lowest) as Item);
          this.items.splice(this.items.indexOf(victim), 1);
          this.dropOne(victim, c.policy);
        }
      }
      if (this.fitsSoft(this.items, incoming)) {
        this.paused = true;
        return this.enqueue(incoming);
      }
    }
    if (hard) {
      if (this.fitsHard(this.items, incoming)) {
        this.paused = true;
        return this.enqueue(incoming);
      }
      this.drops.disconnect += this.items.length + 1;
      this.items = [];
      this.closed = true;
      this.paused = false;
      return false;
    }
    this.dropOne(incoming, c.policy);
    this.paused = true;
    return false;
  }

  shift(): Item | undefined {
    const i = this.items.shift();
    if (
      this.paused &&
      this.items.length <= this.c.lwm &&
      (this.c.maxBytes === Infinity || this.bytes <= this.c.lowBytes)
    ) {
      this.paused = false;
    }
    return i;
  }
}

type Op = { kind: 'push'; priority: number; size: number } | { kind: 'shift'; count: number };

// Pushes outweigh shifts so queues spend most of a run full, where the policies act.
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('push' as const), priority: fc.integer({ min: 0, max: 3 }), size: fc.integer({ min: 0, max: 12 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('shift' as const), count: fc.integer({ min: 1, max: 4 }) }) },
);

interface Setup {
  options: BoundedQueueOptions<Item>;
  config: ModelConfig;
}

const setupArb = (policy: OverflowPolicy, extras: { protect: boolean; bytes: boolean }): fc.Arbitrary<Setup> =>
  fc
    .record({
      // With a byte bound, more item room so the byte bound is the one that binds.
      hwm: fc.integer({ min: 1, max: extras.bytes ? 12 : 8 }),
      lwmFraction: fc.double({ min: 0, max: 1, noNaN: true }),
      hardExtra: extras.protect || policy === 'disconnect' ? fc.integer({ min: 0, max: 4 }) : fc.constant(0),
      maxBytes: extras.bytes ? fc.integer({ min: 1, max: 30 }) : fc.constant(Infinity),
      lowBytesFraction: fc.double({ min: 0, max: 1, noNaN: true }),
      hardBytesExtra: extras.bytes && (extras.protect || policy === 'disconnect') ? fc.integer({ min: 0, max: 20 }) : fc.constant(0),
      protectedPriority: extras.protect ? fc.integer({ min: 0, max: 4 }) : fc.constant(Infinity),
      // Without sizeOf the default sizes these objects as 0 bytes: worth a few runs, not most.
      sizes: extras.bytes ? fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }) : fc.constant(false),
      // drop-lowest-priority refuses to be built without priorityOf.
      priorities: policy === 'drop-lowest-priority' ? fc.constant(true) : extras.protect ? fc.boolean() : fc.constant(false),
    })
    .map((r) => {
      const lwm = Math.floor(r.hwm * r.lwmFraction);
      const lowBytes = r.maxBytes === Infinity ? 0 : Math.floor(r.maxBytes * r.lowBytesFraction);
      const options: BoundedQueueOptions<Item> = {
        maxItems: r.hwm,
        lowWaterItems: lwm,
        policy,
        ...(r.maxBytes !== Infinity ? { maxBytes: r.maxBytes, lowWaterBytes: lowBytes, hardMaxBytes: r.maxBytes + r.hardBytesExtra } : {}),
        ...(r.hardExtra > 0 ? { hardMaxItems: r.hwm + r.hardExtra } : {}),
        ...(r.protectedPriority !== Infinity ? { protectedPriority: r.protectedPriority } : {}),
        ...(r.sizes ? { sizeOf: (i: Item) => i.size } : {}),
        ...(r.priorities ? { priorityOf: (i: Item) => i.priority } : {}),
      };
      const config: ModelConfig = {
        hwm: r.hwm,
        lwm,
        maxBytes: r.maxBytes,
        lowBytes,
        hardItems: r.hwm + r.hardExtra,
        hardBytes: r.maxBytes + r.hardBytesExtra,
        policy,
        protectedPriority: r.protectedPriority,
        countsBytes: r.maxBytes !== Infinity || r.sizes,
        sizes: r.sizes,
        priorities: r.priorities,
      };
      return { options, config };
    });

function checkAgainstModel({ options, config }: Setup, ops: Op[]): void {
  const queue = new BoundedQueue<Item>(options);
  const model = new Model(config);
  const log = record(queue);
  let lastEvent = 'resume';
  queue.on('pause', () => {
    // Hysteresis: pause and resume strictly alternate.
    expect(lastEvent).toBe('resume');
    lastEvent = 'pause';
  });
  queue.on('resume', () => {
    expect(lastEvent).toBe('pause');
    lastEvent = 'resume';
  });
  queue.on('overflow', () => (lastEvent = 'resume'));
  const shifted: number[] = [];
  const modelShifted: number[] = [];
  let id = 0;
  for (const op of ops) {
    if (op.kind === 'push') {
      const next = item(id++, op.priority, op.size);
      expect(queue.push(next)).toBe(model.push(next));
    } else if (op.count === 1) {
      const got = queue.shift();
      const want = model.shift();
      expect(got?.id).toBe(want?.id);
      if (got !== undefined) shifted.push(got.id);
      if (want !== undefined) modelShifted.push(want.id);
    } else {
      for (const got of queue.shiftMany(op.count)) shifted.push(got.id);
      for (let n = 0; n < op.count; n++) {
        const want = model.shift();
        if (want !== undefined) modelShifted.push(want.id);
      }
    }
    expect(ids(queue)).toEqual(ids(model.items));
    expect(queue.length).toBe(model.items.length);
    expect(queue.bytes).toBe(model.bytes);
    expect(queue.paused).toBe(model.paused);
    expect(queue.closed).toBe(model.closed);
    const stats = queue.stats();
    expect(stats.droppedBy).toEqual(model.drops);
    expect(log.drops).toEqual(model.drops);
    // No item is lost without being counted.
    expect(stats.enqueued + stats.refused).toBe(stats.pushed);
    expect(stats.dequeued + stats.length + stats.dropped).toBe(stats.pushed);
    expect(stats.dropped).toBe(REASONS.reduce((sum, r) => sum + stats.droppedBy[r], 0));
  }
  expect(shifted).toEqual(modelShifted);
  expect(ids(log.droppedItems)).toEqual(model.droppedOne);
  expect(queue.stats().pauses).toBe(log.events.filter((e) => e === 'pause').length);
}

describe('BoundedQueue against a reference model', () => {
  const variants = [
    { protect: false, bytes: false },
    { protect: true, bytes: false },
    { protect: false, bytes: true },
    { protect: true, bytes: true },
  ];
  for (const policy of POLICIES) {
    for (const extras of variants) {
      const label = [extras.protect ? 'protectedPriority/hardMaxItems' : '', extras.bytes ? 'maxBytes' : '']
        .filter(Boolean)
        .join(' and ');
      it(`behaves like the model under ${policy}${label ? ` with ${label}` : ''}`, () => {
        fc.assert(
          fc.property(setupArb(policy, extras), fc.array(opArb, { maxLength: 80 }), (setup, ops) =>
            checkAgainstModel(setup, ops),
          ),
          { numRuns: 150 },
        );
      });
    }
  }
});
