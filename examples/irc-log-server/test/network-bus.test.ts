/**
 * The network between nodes as broker topics (cluster/network-bus.ts), in one process: two
 * buses on one broker stand for two nodes (what a bridge does between processes, the shared
 * broker does here). Chat goes under `chat/`, changes are numbered and applied in order, a gap
 * or a heartbeat ahead asks for a snapshot, and a silent node is forgotten.
 */
import { PubSubBroker } from 'logcaster';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NetworkBus, isChatEvent, type PeerHandlers } from '../cluster/network-bus.js';
import type { ChatEvent } from '../irc/chat-line.js';
import type { Origin, Snapshot } from '../irc/commands/index.js';
import type { NetworkChange } from '../irc/network.js';
import type { LogEntry } from '../logs/entry.js';

const event = (target: string): ChatEvent => ({
  kind: 'chat',
  node: 'n1',
  from: 'n1/7',
  source: 'ann!~ann@h',
  command: 'PRIVMSG',
  target,
  text: 'hi',
  clientTags: '',
  msgid: 'm-1',
  time: 0,
});

afterEach(() => {
  vi.useRealTimers();
});

describe('chat between nodes', () => {
  it('publishes channel and user messages under chat/ and delivers each once', () => {
    const broker = new PubSubBroker<LogEntry>();
    const delivered: ChatEvent[] = [];
    const topics: string[] = [];
    const bus = new NetworkBus({ broker, node: 'n1', server: 'a.test', nodeTimeoutMs: 1000, deliver: (e) => delivered.push(e), peers: recorder().handlers });
    broker.subscribe('chat/#', (_message, topic) => void topics.push(topic));
    bus.toChannel(event('#Ops/#*+x'));
    bus.toUser(event('Bob'));
    expect(delivered.map((e) => e.target)).toEqual(['#Ops/#*+x', 'Bob']);
    // Folded, percent-encoded, the separator and both wildcards escaped: one level each.
    expect(topics).toEqual(['chat/channels/%23ops%2F%23%2A%2Bx', 'chat/users/bob']);
    bus.close();
    bus.toChannel(event('#ops'));
    expect(delivered).toHaveLength(2);
  });

  it('refuses and counts what is malformed, and never lets log subscribers see the network', () => {
    const broker = new PubSubBroker<LogEntry>();
    const delivered: ChatEvent[] = [];
    const logs: unknown[] = [];
    const bus = new NetworkBus({ broker, node: 'n1', server: 'a.test', nodeTimeoutMs: 1000, deliver: (e) => delivered.push(e), peers: recorder().handlers });
    broker.subscribe('logs/#', (entry) => void logs.push(entry));
    broker.subscribe('channels/#', (entry) => void logs.push(entry));
    const raw = broker as unknown as PubSubBroker<unknown>;
    raw.publish('chat/channels/x', { kind: 'chat', target: 5 });
    raw.publish('chat/state', { kind: 'change', node: 'n2', server: 'b.test', seq: 1, change: { type: 'join', id: 5 } });
    bus.toChannel(event('#ops'));
    expect(bus.stats().rejected).toBe(2);
    expect(delivered).toHaveLength(1);
    expect(logs).toEqual([]);
    expect(isChatEvent(event('#a'))).toBe(true);
    expect(isChatEvent({ ...event('#a'), command: 'KILL' })).toBe(false);
    expect(isChatEvent({ ...event('#a'), msgid: undefined })).toBe(false);
    expect(isChatEvent(null)).toBe(false);
  });

  it('counts a publish the broker refuses instead of throwing into the sender', () => {
    const broker = new PubSubBroker<LogEntry>();
    const failures: string[] = [];
    const bus = new NetworkBus({
      broker,
      node: 'n1',
      server: 'a.test',
      nodeTimeoutMs: 1000,
      deliver: () => undefined,
      peers: recorder().handlers,
      failed: (_error, topic) => void failures.push(topic),
    });
    broker.close();
    expect(() => bus.toChannel(event('#ops'))).not.toThrow();
    expect(bus.stats().failed).toBe(1);
    expect(failures).toEqual(['chat/channels/%23ops']);
  });
});

/** Handlers that record what a node was told. */
function recorder(users: Snapshot['users'] = []) {
  const seen: { what: string; origin: Origin; change?: NetworkChange; snapshot?: Snapshot }[] = [];
  const handlers: PeerHandlers = {
    apply: (origin, change) => void seen.push({ what: 'apply', origin, change }),
    snapshot: () => ({ users, channels: [] }),
    adopt: (origin, snapshot) => void seen.push({ what: 'adopt', origin, snapshot }),
    forget: (origin) => void seen.push({ what: 'forget', origin }),
  };
  return { seen, handlers };
}

const quit = (id: string): NetworkChange => ({ type: 'quit', id, reason: 'bye' });
const ann = { id: 'a/1', nick: 'ann', user: '~ann', host: 'h', realname: 'Ann', signonAt: 0, channels: ['#team'] };

describe('state between nodes', () => {
  function twoNodes() {
    vi.useFakeTimers();
    const broker = new PubSubBroker<LogEntry>();
    const a = recorder([ann]);
    const b = recorder();
    const busA = new NetworkBus({ broker, node: 'a', server: 'a.test', nodeTimeoutMs: 3000, deliver: () => undefined, peers: a.handlers });
    const busB = new NetworkBus({ broker, node: 'b', server: 'b.test', nodeTimeoutMs: 3000, deliver: () => undefined, peers: b.handlers });
    const sent: { kind: string; node: string; target?: string; seq?: number }[] = [];
    broker.subscribe('chat/state', (message) => void sent.push(message as unknown as (typeof sent)[number]));
    return { broker, a, b, busA, busB, sent };
  }

  it('answers a hello with a snapshot, and then applies changes in order without asking again', async () => {
    const { a, b, busA, busB, sent } = twoNodes();
    busA.start();
    busB.start(); // its hello: A answers with a snapshot of ann on #team
    await vi.advanceTimersByTimeAsync(0);
    const adopted = b.seen.filter((x) => x.what === 'adopt');
    expect(adopted).toHaveLength(1);
    expect(adopted[0]).toMatchObject({ origin: { node: 'a', server: 'a.test' }, snapshot: { users: [ann] } });
    busA.announce(quit('a/1'));
    busA.announce({ type: 'join', id: 'a/2', channel: '#ops' });
    expect(b.seen.filter((x) => x.what === 'apply').map((x) => x.change?.type)).toEqual(['quit', 'join']);
    expect(sent.filter((m) => m.kind === 'resync' && m.node === 'b')).toEqual([]);
    // Nothing a node says comes back to it.
    expect(a.seen.filter((x) => x.what === 'apply')).toEqual([]);
    busA.close();
    busB.close();
  });

  it('asks for a snapshot when a change is missing, or when a heartbeat is ahead of what arrived', async () => {
    const { broker, b, busA, busB, sent } = twoNodes();
    busA.start();
    busB.start();
    await vi.advanceTimersByTimeAsync(0);
    // A change numbered 3 after none: 1 and 2 were lost on the way.
    (broker as unknown as PubSubBroker<unknown>).publish('chat/state', { kind: 'change', node: 'a', server: 'a.test', seq: 3, change: quit('a/1') });
    expect(sent.filter((m) => m.kind === 'resync')).toEqual([expect.objectContaining({ node: 'b', target: 'a' })]);
    await vi.advanceTimersByTimeAsync(0);
    expect(b.seen.filter((x) => x.what === 'adopt')).toHaveLength(2);
    // A heartbeat saying 5 when 3 is the last seen: ask again (once per heartbeat period).
    (broker as unknown as PubSubBroker<unknown>).publish('chat/state', { kind: 'heartbeat', node: 'a', server: 'a.test', seq: 5 });
    (broker as unknown as PubSubBroker<unknown>).publish('chat/state', { kind: 'heartbeat', node: 'a', server: 'a.test', seq: 5 });
    expect(sent.filter((m) => m.kind === 'resync')).toHaveLength(1); // too soon after the first
    await vi.advanceTimersByTimeAsync(1000);
    (broker as unknown as PubSubBroker<unknown>).publish('chat/state', { kind: 'heartbeat', node: 'a', server: 'a.test', seq: 5 });
    expect(sent.filter((m) => m.kind === 'resync')).toHaveLength(2);
    expect(busB.stats().resyncs).toBe(2);
    busA.close();
    busB.close();
  });

  it('forgets a node that has not been heard from for the node timeout', async () => {
    const { b, busA, busB } = twoNodes();
    busA.start();
    busB.start();
    await vi.advanceTimersByTimeAsync(2500);
    expect(busB.stats().nodes).toBe(1);
    busA.close(); // A dies: its last heartbeat was at 2 s
    await vi.advanceTimersByTimeAsync(2400);
    expect(b.seen.filter((x) => x.what === 'forget')).toEqual([]);
    await vi.advanceTimersByTimeAsync(200); // B's heartbeat at 5 s finds A silent for 3 s
    expect(b.seen.filter((x) => x.what === 'forget')).toEqual([{ what: 'forget', origin: { node: 'a', server: 'a.test' } }]);
    expect(busB.stats()).toMatchObject({ nodes: 0, nodesLost: 1 });
    busB.close();
  });
});
