/**
 * When a client's lines reach its socket: at once while idle, one write per turn under load.
 * The scheduler is a fake that runs only when the test says so, and the socket's `write` is
 * counted, so nothing here depends on timing.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { BoundedQueue, TokenBucket } from 'logcaster';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Client, FlushScheduler, type Flushable, type OutLine, type WriteScheduler } from '../irc/client.js';

/** A scheduler whose turn ends only when `endTurn()` is called. */
class ManualScheduler implements WriteScheduler {
  coalescing = false;
  private dirty: Flushable[] = [];

  schedule(client: Flushable): void {
    if (client.flushQueued) return;
    client.flushQueued = true;
    this.dirty.push(client);
  }

  endTurn(): void {
    const batch = this.dirty;
    this.dirty = [];
    for (const client of batch) {
      client.flushQueued = false;
      client.flush();
    }
  }
}

const line = (text: string, priority = 2): OutLine => ({ bytes: Buffer.from(`${text}\r\n`), priority });

describe('the write path of a client', () => {
  let server: Server;
  let serverSide: Socket;
  let peer: Socket;
  let received: string;
  let writes: string[];
  let scheduler: ManualScheduler;
  let client: Client;

  /** What the peer has read, once it has read `bytes` bytes: waits on its 'data' events, however slow the machine. */
  const readUpTo = (bytes: number): Promise<string> =>
    new Promise((resolve) => {
      const check = (): void => {
        if (received.length < bytes) return;
        peer.off('data', check);
        resolve(received);
      };
      peer.on('data', check);
      check();
    });

  beforeEach(async () => {
    server = createServer();
    const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    peer = connect({ host: '127.0.0.1', port: typeof address === 'object' && address !== null ? address.port : 0 });
    received = '';
    peer.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    serverSide = await accepted;
    // Every write the client makes, as the text it hands to the socket.
    writes = [];
    const write = serverSide.write.bind(serverSide) as (chunk: Buffer) => boolean;
    serverSide.write = ((chunk: Buffer) => {
      writes.push(chunk.toString('latin1'));
      return write(chunk);
    }) as Socket['write'];
    scheduler = new ManualScheduler();
    client = new Client({
      id: '1',
      socket: serverSide,
      host: '127.0.0.1',
      serverName: 'test.local',
      openSendQ: () => new BoundedQueue<OutLine>({
        policy: 'drop-lowest-priority',
        maxBytes: 4096,
        maxItems: 1000,
        priorityOf: (l) => l.priority,
        sizeOf: (l) => l.bytes.length,
      }),
      flood: new TokenBucket({ capacity: 10, refillPerSecond: 1 }),
      recvQBytes: 8192,
      closeGraceMs: 100,
      scheduler,
      now: Date.now,
      hooks: { message: () => undefined, left: () => undefined, gone: () => undefined },
    });
  });

  afterEach(async () => {
    peer.destroy();
    serverSide.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('writes a line for an idle client at once, before any flush runs', async () => {
    expect(client.enqueue(line('first'))).toBe(true);
    expect(writes).toEqual(['first\r\n']);
    // The turn never ended, yet the peer reads the line.
    expect(await readUpTo('first\r\n'.length)).toBe('first\r\n');
  });

  it('lets the lines that follow in the same turn wait for the flush, then writes them together', () => {
    client.enqueue(line('one'));
    client.enqueue(line('two'));
    client.enqueue(line('three'));
    expect(writes).toEqual(['one\r\n']);
    scheduler.endTurn();
    expect(writes).toEqual(['one\r\n', 'two\r\nthree\r\n']);
    // A new turn on an idle client: at once again.
    client.enqueue(line('four'));
    expect(writes).toEqual(['one\r\n', 'two\r\nthree\r\n', 'four\r\n']);
  });

  it('under load writes nothing before the flush, and a whole turn in one write', async () => {
    scheduler.coalescing = true;
    client.enqueue(line('a'));
    client.enqueue(line('b'));
    expect(writes).toEqual([]);
    scheduler.endTurn();
    expect(writes).toEqual(['a\r\nb\r\n']);
    expect(await readUpTo('a\r\nb\r\n'.length)).toBe('a\r\nb\r\n');
  });

  it('keeps the order of lines across the turn and the SendQ once a turn is full', () => {
    scheduler.coalescing = true;
    // 70 lines of 1 KiB: the first 64 KiB go in the turn, the rest wait in the SendQ (bounded
    // at 4 KiB here, so low-priority lines past it are dropped and counted).
    const big = 'x'.repeat(1022);
    for (let i = 0; i < 70; i++) client.enqueue(line(`${String(i).padStart(2, '0')}${big.slice(2)}`));
    scheduler.endTurn();
    scheduler.endTurn(); // the "you missed" notice goes out with the next turn
    const lines = writes.join('').split('\r\n').filter((l) => l !== '');
    const order = lines.filter((l) => /^\d\d/.test(l)).map((l) => Number(l.slice(0, 2)));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(order.slice(0, 64)).toEqual(Array.from({ length: 64 }, (_, i) => i));
    // What the SendQ dropped is counted and told, after the lines that did go out.
    expect(order.length).toBeLessThan(70);
    expect(lines[lines.length - 1]).toMatch(new RegExp(`You missed ${70 - order.length} lines`));
  });
});

describe('FlushScheduler', () => {
  const flushable = (lines: number): Flushable & { flushes: number } => ({
    flushQueued: false,
    flushes: 0,
    flush() {
      this.flushes++;
      return lines;
    },
  });
  const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  it('flushes a client once per turn however often it is scheduled', async () => {
    const scheduler = new FlushScheduler();
    const client = flushable(0);
    scheduler.schedule(client);
    scheduler.schedule(client);
    await nextTurn();
    expect(client.flushes).toBe(1);
  });

  it('coalesces once a turn left a client more than one line, and stops once turns carry one line per client', async () => {
    // coalesceMs 0: under load too, the flush comes at the end of the turn, so the test can wait for it.
    const scheduler = new FlushScheduler(0);
    expect(scheduler.coalescing).toBe(false);
    scheduler.schedule(flushable(0)); // lines went out at once: idle
    await nextTurn();
    expect(scheduler.coalescing).toBe(false);
    scheduler.schedule(flushable(1)); // a line waited for the flush: more than one this turn
    await nextTurn();
    expect(scheduler.coalescing).toBe(true);
    scheduler.schedule(flushable(3));
    await nextTurn();
    expect(scheduler.coalescing).toBe(true);
    scheduler.schedule(flushable(1)); // one line per client per turn: no need to wait
    await nextTurn();
    expect(scheduler.coalescing).toBe(false);
  });

  it('under load flushes after the coalescing window', async () => {
    const scheduler = new FlushScheduler(1);
    scheduler.schedule(flushable(2)); // end of turn: enters coalescing
    await nextTurn();
    expect(scheduler.coalescing).toBe(true);
    const client = flushable(1);
    scheduler.schedule(client);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(client.flushes).toBe(1);
    expect(scheduler.coalescing).toBe(false);
  });

  it('refuses a coalescing window that is not a duration it can use', () => {
    expect(() => new FlushScheduler(-1)).toThrow(/coalesceMs must be in \[0, 100\] \(got -1\)/);
    expect(() => new FlushScheduler(Number.NaN)).toThrow(RangeError);
  });
});
