/**
 * What the web viewer accepts as a channel or pattern, against what the IRC side accepts as a
 * channel to JOIN (logs/log-channels.ts): the same names resolve to the same broker
 * pattern, and the names IRC refuses are refused here too.
 */
import { PubSubBroker } from 'logcaster';
import { describe, expect, it } from 'vitest';
import { LogChannelDirectory } from '../logs/log-channels.js';
import type { LogEntry } from '../logs/entry.js';
import { ViewerTopicError, resolveViewerTopic } from './viewer-topic.js';

const broker = new PubSubBroker<LogEntry>();
const irc = new LogChannelDirectory({ broker, botMask: 'logbot!bot@logcaster', colour: false, maxChannelsPerClient: 10, maxPatternChannels: 10, now: Date.now });

/** What the IRC side subscribes to for a JOIN of `name`, or undefined when it refuses it. */
function ircPattern(name: string): string | undefined {
  const filtered = irc.find(name);
  if (filtered !== undefined) return filtered.pattern;
  const resolved = irc.resolvePattern(name);
  return 'pattern' in resolved ? resolved.pattern : undefined;
}

/** What the viewer subscribes to for the page's box holding `typed`, or undefined when it refuses it. */
function viewerPattern(typed: string): string | undefined {
  try {
    return resolveViewerTopic(new URLSearchParams({ pattern: typed }), broker.syntax).pattern;
  } catch (error) {
    if (error instanceof ViewerTopicError) return undefined;
    throw error;
  }
}

describe('the viewer takes what an IRC client would JOIN', () => {
  it.each([
    '#logs/*/ERROR',
    '#logs/payments/#',
    '#logs/API/error',
    '#LOGS/api/Warning',
    '#logs/#',
    '#logs/*',
    '#logs-error',
    '#LOGS-ALL',
    '#logs/payments//ERROR',
    '#logs/',
    '#logs/#/ERROR',
    '#logs/a+b',
    '#logs/a b',
    '#nope',
    '#logs-nope',
  ])('%s: the same pattern as IRC, or refused by both', (name) => {
    expect(viewerPattern(name)).toBe(ircPattern(name));
  });

  it('takes a topic pattern without the # as well: logs/*/ERROR is #logs/*/ERROR', () => {
    for (const name of ['#logs/*/ERROR', '#logs/payments/#', '#logs/API/error']) {
      expect(viewerPattern(name.slice(1))).toBe(ircPattern(name));
    }
  });

  it('names the channel it resolved, so the page can say what it watches', () => {
    const query = (typed: string): unknown => resolveViewerTopic(new URLSearchParams({ pattern: typed }), broker.syntax);
    expect(query('#logs/*/error')).toEqual({ pattern: 'logs/*/ERROR', channel: '#logs/*/ERROR' });
    expect(query('#logs-error')).toEqual({ pattern: 'channels/logs-error', channel: '#logs-error' });
    expect(query('logs/*/error')).toEqual({ pattern: 'logs/*/ERROR', channel: undefined });
  });

  it('says why it refuses: an unknown channel, an empty level', () => {
    const refusal = (typed: string): string => {
      try {
        resolveViewerTopic(new URLSearchParams({ pattern: typed }), broker.syntax);
      } catch (error) {
        if (error instanceof ViewerTopicError) return error.message;
      }
      return 'accepted';
    };
    expect(refusal('#nope')).toMatch(/^no such channel "#nope"; try #logs-all/);
    expect(refusal('logs//ERROR')).toBe('pattern has an empty level (got "logs//ERROR")');
    expect(refusal('logs/')).toBe('pattern has an empty level (got "logs/")');
  });
});
