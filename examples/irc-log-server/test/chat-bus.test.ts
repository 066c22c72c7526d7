/**
 * Chat as broker topics (cluster/chat-bus.ts), on one process: what goes in under `chat/`
 * comes out to the delivery, names with topic syntax in them stay one level, and a message
 * that is not a chat event is refused and counted.
 */
import { PubSubBroker } from 'logcaster';
import { describe, expect, it } from 'vitest';
import { ChatBus, isChatEvent } from '../cluster/chat-bus.js';
import type { ChatEvent } from '../irc/chat-line.js';
import type { LogEntry } from '../logs/entry.js';

const event = (target: string): ChatEvent => ({
  kind: 'chat',
  node: 'n1',
  from: '7',
  source: 'ann!~ann@h',
  command: 'PRIVMSG',
  target,
  text: 'hi',
  clientTags: '',
  time: 0,
});

describe('ChatBus', () => {
  it('publishes channel and user messages under chat/ and delivers each once', () => {
    const broker = new PubSubBroker<LogEntry>();
    const delivered: ChatEvent[] = [];
    const topics: string[] = [];
    const bus = new ChatBus({ broker, deliver: (e) => delivered.push(e) });
    broker.subscribe('chat/#', (_message, topic) => topics.push(topic));
    bus.toChannel(event('#Ops/#*+x'));
    bus.toUser(event('Bob'));
    expect(delivered.map((e) => e.target)).toEqual(['#Ops/#*+x', 'Bob']);
    // Folded, percent-encoded, the separator and both wildcards escaped: one level each.
    expect(topics).toEqual(['chat/channels/%23ops%2F%23%2A%2Bx', 'chat/users/bob']);
    bus.close();
    bus.toChannel(event('#ops'));
    expect(delivered).toHaveLength(2);
  });

  it('refuses and counts what is not a chat event, and never lets log subscribers see chat', () => {
    const broker = new PubSubBroker<LogEntry>();
    const delivered: ChatEvent[] = [];
    const logs: unknown[] = [];
    const bus = new ChatBus({ broker, deliver: (e) => delivered.push(e) });
    broker.subscribe('logs/#', (entry) => logs.push(entry));
    broker.subscribe('channels/#', (entry) => logs.push(entry));
    (broker as unknown as PubSubBroker<unknown>).publish('chat/channels/x', { kind: 'chat', target: 5 });
    bus.toChannel(event('#ops'));
    expect(bus.rejected).toBe(1);
    expect(delivered).toHaveLength(1);
    expect(logs).toEqual([]);
    expect(isChatEvent(event('#a'))).toBe(true);
    expect(isChatEvent({ ...event('#a'), command: 'KILL' })).toBe(false);
    expect(isChatEvent(null)).toBe(false);
  });

  it('counts a publish the broker refuses instead of throwing into the sender', () => {
    const broker = new PubSubBroker<LogEntry>();
    const failures: string[] = [];
    const bus = new ChatBus({ broker, deliver: () => undefined, failed: (_error, topic) => failures.push(topic) });
    broker.close();
    expect(() => bus.toChannel(event('#ops'))).not.toThrow();
    expect(bus.failed).toBe(1);
    expect(failures).toEqual(['chat/channels/%23ops']);
  });
});
