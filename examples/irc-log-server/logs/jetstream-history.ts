/**
 * The join backlog shared by every node with `--nats` (and `--history N`): each node appends
 * the entries it ingests for a filtered channel to the JetStream stream `logcaster-history`,
 * one subject per channel, and a join reads the channel's last N from there, so every node
 * shows the same lines, including a node started after they were logged. The Redis engines
 * do the same with Streams (stream-history.ts).
 *
 * The stream keeps `perChannel` messages per subject (a join reads no more): reading a
 * channel's backlog is one ordered consumer on its subject, from the first message kept.
 *
 * @module
 */
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { PubSubBroker } from 'logcaster';
import { SubjectMap } from 'logcaster/nats';
import type { LogEntry } from './entry.js';
import type { SharedHistory } from './stream-history.js';

/** The stream's name, and the prefix of its subjects. */
export const HISTORY_STREAM = 'logcaster-history';

/** How long a read waits for messages the stream said it has. */
const READ_TIMEOUT_MS = 2000;

/**
 * Makes sure the stream exists (keeping `perChannel` messages per subject), and returns the
 * backlog over it. A stream that exists with other limits (another node with another
 * `--history`) is used as it is, and said.
 *
 * @throws what JetStream answers when the stream can be neither made nor found.
 */
export async function connectJetStreamHistory(js: JetStreamClient, jsm: JetStreamManager, perChannel: number, log: (line: string) => void = () => undefined): Promise<SharedHistory> {
  const subjects = new SubjectMap(HISTORY_STREAM, new PubSubBroker().syntax);
  try {
    await jsm.streams.add({ name: HISTORY_STREAM, subjects: [`${HISTORY_STREAM}.>`], max_msgs_per_subject: perChannel });
  } catch (error) {
    const info = await jsm.streams.info(HISTORY_STREAM).catch(() => {
      throw error;
    });
    log(`nats history: stream ${HISTORY_STREAM} exists with ${info.config.max_msgs_per_subject} entries per channel (this node asks for ${perChannel}); using it as it is`);
  }
  let inFlight = 0;
  let failed = 0;
  return {
    record: (topic, entry) => {
      inFlight++;
      js.publish(subjects.subjectOf(topic), JSON.stringify(entry)).then(
        () => inFlight--,
        (error: unknown) => {
          inFlight--;
          // Said at the first failure; counted always, and the count said at shutdown with the
          // link's (close() answers it as unsent): the backlog misses these entries.
          if (failed++ === 0) log(`nats history: an entry was not stored (${error instanceof Error ? error.message : String(error)})`);
        },
      );
    },
    fetch: async (topic, count) => {
      const subject = subjects.subjectOf(topic);
      // Nothing stored yet: answered at once rather than after a consumer waits for nothing.
      if ((await jsm.streams.getMessage(HISTORY_STREAM, { last_by_subj: subject })) === null) return [];
      const consumer = await js.consumers.get(HISTORY_STREAM, { filter_subjects: subject });
      const found: LogEntry[] = [];
      const messages = await consumer.fetch({ max_messages: Math.max(count, perChannel), expires: READ_TIMEOUT_MS });
      for await (const message of messages) {
        found.push(message.json<LogEntry>());
        if (message.info.pending === 0) break;
      }
      return found.slice(-count);
    },
    close: () => Promise.resolve({ unsent: inFlight + failed }),
  };
}
