// A typed broker with wildcards.
//
// Shows: `PubSubBroker<LogEntry>` type-checks every message; in a pattern `*` matches exactly
// one topic level and `#` (last level only) matches zero or more; `publish` returns how many
// subscribers took the message; a bad topic is refused with a typed `TopicError`.
//
// Watch: `logs/#` catches all five topics (bare `logs` too: `#` matches zero levels),
// `logs/*/ERROR` only the two ERROR topics, `logs/payments/*` only payments; the
// `publish … -> n` lines count the subscribers each message reached.
//
// Run: npm run example -- typed-broker   (or: npx tsx examples/typed-broker.ts)

import { PubSubBroker, TopicError } from 'logcaster';

interface LogEntry {
  level: 'INFO' | 'WARN' | 'ERROR';
  service: string;
  message: string;
}

const broker = new PubSubBroker<LogEntry>();
// A throwing handler never reaches the publisher: it is reported here instead.
broker.on('error', (error, topic) => console.error(`handler failed on ${topic}:`, error));

for (const pattern of ['logs/#', 'logs/*/ERROR', 'logs/payments/*']) {
  broker.subscribe(pattern, (entry, topic) => {
    console.log(`  ${pattern.padEnd(16)} got ${topic}: ${entry.message}`);
  });
}

const entries: Array<[topic: string, entry: LogEntry]> = [
  ['logs/api/INFO', { level: 'INFO', service: 'api', message: 'GET /health 200' }],
  ['logs/api/ERROR', { level: 'ERROR', service: 'api', message: 'upstream timed out' }],
  ['logs/payments/WARN', { level: 'WARN', service: 'payments', message: 'retrying charge' }],
  ['logs/payments/ERROR', { level: 'ERROR', service: 'payments', message: 'card declined' }],
  ['logs', { level: 'INFO', service: 'broker', message: 'a topic of one level' }],
];

for (const [topic, entry] of entries) {
  const reached = broker.publish(topic, entry);
  console.log(`publish ${topic} -> ${reached}`);
}

// The compiler refuses a message of the wrong shape (remove the comment below to see it):
// @ts-expect-error 'DEBUG' is not a LogEntry level, and service/message are missing.
const wrongShape = (): number => broker.publish('logs/api/DEBUG', { level: 'DEBUG' });
void wrongShape;

// Wildcards belong in patterns, never in published topics: refused before anything happens.
try {
  broker.publish('logs/#', entries[0][1]);
} catch (error) {
  if (!(error instanceof TopicError)) throw error;
  console.log(`refused: TopicError ${error.code} (${error.reason}) for ${JSON.stringify(error.topic)}`);
}

const { published, delivered, subscriptions } = broker.stats();
console.log(`stats: ${published} published, ${delivered} delivered, ${subscriptions} subscriptions`);
await broker.close();
