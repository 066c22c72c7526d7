/**
 * The log sources a server runs, started and stopped together: JSON Lines over TCP, standard
 * input, and the demo generator. Each calls `sink` with validated entries. A new source (a
 * syslog port, say) is one more file here and a few lines below.
 *
 * @module
 */
import type { LogEntry } from '../entry.js';
import { startDemoSource, type DemoSource } from './demo.js';
import { startJsonLinesSource, type JsonLinesSource } from './json-lines.js';
import { startStdinSource, type StdinSource } from './stdin.js';

/** Which sources to run (a `ServerConfig` has every field). */
export interface SourceSettings {
  /** Address of the JSON Lines port. */
  readonly ingestHost: string;
  /** JSON Lines port; 0 picks a free one, `null` runs no JSON Lines source. */
  readonly ingestPort: number | null;
  /** Token producers must send first, if any. */
  readonly producerToken: string | undefined;
  /** Entries per second per JSON Lines connection, after the burst. */
  readonly ingestRate: number;
  /** Entries a JSON Lines connection may send at once. */
  readonly ingestBurst: number;
  /** Run the demo generator. */
  readonly demo: boolean;
  /** Demo entries per second. */
  readonly demoRate: number;
  /** Read plain-text lines from standard input. */
  readonly stdin: boolean;
  /** Service name of standard input lines. */
  readonly stdinService: string;
}

/** The running sources. */
export interface LogSources {
  /** The JSON Lines port bound, when that source runs. */
  readonly ingestPort: number | undefined;
  /** Stops every source; resolves when the JSON Lines port is closed. */
  stop(): Promise<void>;
}

/**
 * Starts the configured sources.
 *
 * @throws the listen error of the JSON Lines port (rejected promise), e.g. `EADDRINUSE`;
 *   nothing is left running then.
 */
export async function startSources(settings: SourceSettings, sink: (entry: LogEntry) => void): Promise<LogSources> {
  let json: JsonLinesSource | undefined;
  if (settings.ingestPort !== null) {
    json = await startJsonLinesSource({
      host: settings.ingestHost,
      port: settings.ingestPort,
      token: settings.producerToken,
      sink,
      maxConnections: 256,
      limiter: { capacity: settings.ingestBurst, refillPerSecond: settings.ingestRate },
    });
  }
  const demo: DemoSource | undefined = settings.demo ? startDemoSource({ sink, linesPerSecond: settings.demoRate }) : undefined;
  const stdin: StdinSource | undefined = settings.stdin
    ? startStdinSource(process.stdin, sink, { service: settings.stdinService })
    : undefined;
  return {
    ingestPort: json?.port,
    stop: async () => {
      demo?.stop();
      stdin?.stop();
      await json?.close();
    },
  };
}
