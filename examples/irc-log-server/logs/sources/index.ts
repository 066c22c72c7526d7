/**
 * The log sources a server runs, started and stopped together: the TCP ingest port, standard
 * input, and the demo generator. Each calls `sink` with validated entries, and the stream
 * sources count every line they lose (see `ingest-stats.ts`). The syslog ports: UDP
 * (syslog-udp.ts), and TCP, which is the ingest port's code with syslog framing (RFC 6587
 * octet counting or LF, syslog-framer.ts) and no token. A new source is one more file here
 * and a few lines below.
 *
 * @module
 */
import type { PasswordGuard } from '../../irc/password-guard.js';
import type { LogEntry } from '../entry.js';
import { startDemoSource, type DemoSource } from './demo.js';
import type { IngestStats } from './ingest-stats.js';
import { startJsonLinesSource, type JsonLinesSource } from './json-lines.js';
import { startStdinSource, type StdinSource } from './stdin.js';
import { startSyslogUdpSource, type SyslogUdpSource } from './syslog-udp.js';

export type { IngestStats } from './ingest-stats.js';

/** Which sources to run (a `ServerConfig` has every field). */
export interface SourceSettings {
  /** Address of the ingest port. */
  readonly ingestHost: string;
  /** Ingest port; 0 picks a free one, `null` runs no TCP ingest. */
  readonly ingestPort: number | null;
  /** Token producers must send first, if any. */
  readonly producerToken: string | undefined;
  /** Ingest connections silent for this long are closed. */
  readonly ingestIdleTimeoutMs: number;
  /** Ingest connections per address. */
  readonly ingestMaxPerAddress: number;
  /** Rate budget per connection or per address. */
  readonly ingestRateScope: 'connection' | 'address';
  /** Entries per second per JSON Lines connection, after the burst. */
  readonly ingestRate: number;
  /** Entries a JSON Lines connection may send at once. */
  readonly ingestBurst: number;
  /** Run the demo generator. */
  readonly demo: boolean;
  /** Demo entries per second. */
  readonly demoRate: number;
  /** Read log lines from standard input. */
  readonly stdin: boolean;
  /** Service name of standard input lines that name none. */
  readonly stdinService: string;
  /** UDP syslog port; 0 picks a free one, `null` runs none. */
  readonly syslogPort: number | null;
  /** TCP syslog port (RFC 6587 framing); 0 picks a free one, `null` runs none. */
  readonly syslogTcpPort: number | null;
  /** Ingest connections that send nothing this long after connecting are closed. */
  readonly ingestFirstByteTimeoutMs: number;
  /** Counts wrong producer tokens per address, when there is a token. @default none */
  readonly tokenGuard?: PasswordGuard;
}

/** The running sources. */
export interface LogSources {
  /** The ingest port bound, when that source runs. */
  readonly ingestPort: number | undefined;
  /** The UDP syslog port bound, when that source runs. */
  readonly syslogPort: number | undefined;
  /** The TCP syslog port bound, when that source runs. */
  readonly syslogTcpPort: number | undefined;
  /** Counters of the stream sources that run (`tcp`, `stdin`). */
  stats(): IngestStats[];
  /** Stops every source; resolves when the ingest port is closed. */
  stop(): Promise<void>;
}

/** Where {@link startSources} reads standard input from and says it ended (tests give their own). */
export interface SourceIo {
  readonly stdin: NodeJS.ReadableStream;
  log(line: string): void;
}

const PROCESS_IO: SourceIo = { stdin: process.stdin, log: (line) => console.error(line) };

/**
 * Starts the configured sources.
 *
 * When standard input ends the server keeps serving (the entries stay in the channels'
 * history for people who join later) and says so once: how many lines it read and lost.
 *
 * @throws the listen error of the ingest port (rejected promise), e.g. `EADDRINUSE`;
 *   nothing is left running then.
 */
export async function startSources(settings: SourceSettings, sink: (entry: LogEntry) => void, io: SourceIo = PROCESS_IO): Promise<LogSources> {
  let tcp: JsonLinesSource | undefined;
  if (settings.ingestPort !== null) {
    tcp = await startJsonLinesSource({
      host: settings.ingestHost,
      port: settings.ingestPort,
      token: settings.producerToken,
      sink,
      maxConnections: 256,
      maxPerAddress: settings.ingestMaxPerAddress,
      idleTimeoutMs: settings.ingestIdleTimeoutMs,
      firstByteTimeoutMs: settings.ingestFirstByteTimeoutMs,
      guard: settings.tokenGuard,
      limiter: { capacity: settings.ingestBurst, refillPerSecond: settings.ingestRate, scope: settings.ingestRateScope },
    });
  }
  let udp: SyslogUdpSource | undefined;
  let syslogTcp: JsonLinesSource | undefined;
  try {
    if (settings.syslogPort !== null) udp = await startSyslogUdpSource({ host: settings.ingestHost, port: settings.syslogPort, sink });
    if (settings.syslogTcpPort !== null) {
      // Syslog senders have no token and read no replies; otherwise the same limits as the ingest port.
      syslogTcp = await startJsonLinesSource({
        host: settings.ingestHost,
        port: settings.syslogTcpPort,
        sink,
        framing: 'syslog',
        sourceName: 'syslog-tcp',
        defaultService: 'syslog',
        maxConnections: 256,
        maxPerAddress: settings.ingestMaxPerAddress,
        idleTimeoutMs: settings.ingestIdleTimeoutMs,
        firstByteTimeoutMs: settings.ingestFirstByteTimeoutMs,
        limiter: { capacity: settings.ingestBurst, refillPerSecond: settings.ingestRate, scope: settings.ingestRateScope },
      });
    }
  } catch (error) {
    await tcp?.close();
    await udp?.close();
    throw error;
  }
  const demo: DemoSource | undefined = settings.demo ? startDemoSource({ sink, linesPerSecond: settings.demoRate }) : undefined;
  const stdin: StdinSource | undefined = settings.stdin
    ? startStdinSource(io.stdin, sink, {
        service: settings.stdinService,
        onEnd: (stats) => {
          const lost = stats.rejected > 0 ? `, ${stats.rejected} refused` : '';
          io.log(
            `irc-log-server: standard input ended after ${stats.accepted + stats.rejected} lines (${stats.entries} entries${lost}); still serving IRC, the last lines stay in each channel's history. Stop with Ctrl-C.`,
          );
        },
      })
    : undefined;
  return {
    ingestPort: tcp?.port,
    syslogPort: udp?.port,
    syslogTcpPort: syslogTcp?.port,
    stats: () => {
      const all: IngestStats[] = [];
      if (tcp !== undefined) all.push(tcp.stats());
      if (udp !== undefined) all.push(udp.stats());
      if (syslogTcp !== undefined) all.push(syslogTcp.stats());
      if (stdin !== undefined) all.push(stdin.stats());
      return all;
    },
    stop: async () => {
      demo?.stop();
      stdin?.stop();
      await tcp?.close();
      await udp?.close();
      await syslogTcp?.close();
    },
  };
}
