/**
 * The command line: every flag (and its `LOGCASTER_*` variable) mapped to a field of
 * `ServerConfig`, the `--help` text, and parsing. A new setting is a field in `config.ts` and
 * one row in `FLAGS` here.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { DEFAULT_CONFIG, resolveConfig, type ServerConfig } from './config.js';

/** Flags, in the order `--help` lists them: name, value hint, field, what it does. */
const FLAGS = [
  ['server-name', '<host>', 'serverName', 'server name used in replies'],
  ['network', '<name>', 'network', 'network name (001, NETWORK=)'],
  ['irc-host', '<addr>', 'ircHost', 'IRC bind address'],
  ['irc-port', '<port>', 'ircPort', 'IRC port (0: any free port)'],
  ['ingest-host', '<addr>', 'ingestHost', 'JSON Lines ingest bind address'],
  ['ingest-port', '<port|off>', 'ingestPort', 'JSON Lines ingest port, or off'],
  ['metrics-host', '<addr>', 'metricsHost', 'Prometheus /metrics bind address'],
  ['metrics-port', '<port|off>', 'metricsPort', 'Prometheus /metrics port, or off'],
  ['http-host', '<addr>', 'httpHost', 'web viewer bind address'],
  ['http-port', '<port|off>', 'httpPort', 'web viewer (live log page and SSE) port, or off'],
  ['demo', '', 'demo', 'run the demo log generator'],
  ['no-demo', '', 'demo', 'do not run the demo log generator'],
  ['demo-rate', '<n>', 'demoRate', 'demo entries per second'],
  ['stdin', '', 'stdin', 'read plain-text log lines from standard input (turns the demo off unless --demo)'],
  ['stdin-service', '<name>', 'stdinService', 'service name for standard input lines'],
  ['password', '<secret>', 'password', 'password IRC clients must send (PASS) and the web viewer asks for'],
  ['password-attempts', '<n>', 'passwordAttempts', 'wrong passwords an address may send before it is refused'],
  ['password-retry-ms', '<ms>', 'passwordRetryMs', 'then one more attempt per this many ms'],
  ['producer-token', '<secret>', 'producerToken', 'token producers must send first on the ingest port'],
  ['ingest-rate', '<lines/s>', 'ingestRate', 'entries per second per ingest connection (more are dropped and counted)'],
  ['ingest-burst', '<lines>', 'ingestBurst', 'entries an ingest connection may send at once'],
  ['max-clients', '<n>', 'maxClients', 'simultaneous IRC connections'],
  ['max-clients-per-ip', '<n>', 'maxClientsPerIp', 'simultaneous IRC connections per address'],
  ['max-channels-per-client', '<n>', 'maxChannelsPerClient', 'channels per client'],
  ['max-pattern-channels', '<n>', 'maxPatternChannels', 'pattern channels at once'],
  ['nick-length', '<n>', 'nickLength', 'longest nick'],
  ['sendq-bytes', '<n>', 'sendQBytes', 'SendQ soft bound (low-priority lines dropped past it)'],
  ['sendq-hard-bytes', '<n>', 'sendQHardBytes', 'SendQ hard bound (client disconnected past it)'],
  ['recvq-bytes', '<n>', 'recvQBytes', 'RecvQ bound (Excess Flood past it)'],
  ['flood-lines', '<n>', 'floodLines', 'inbound burst, in lines'],
  ['flood-per-second', '<n>', 'floodPerSecond', 'inbound lines per second after the burst'],
  ['ping-interval-ms', '<ms>', 'pingIntervalMs', 'PING clients silent for this long'],
  ['idle-timeout-ms', '<ms>', 'idleTimeoutMs', 'drop clients silent for this long'],
  ['bot-nick', '<nick>', 'botNick', "the log bot's nick"],
  ['no-colour', '', 'colour', 'do not colour the level tags'],
  ['announce-members-up-to', '<n>', 'announceMembersUpTo', 'show joins/parts in channels up to this size'],
  ['shutdown-grace-ms', '<ms>', 'shutdownGraceMs', 'how long shutdown waits for queues to flush'],
  ['redis', '<url>', 'redis', 'Redis URL for several nodes'],
  ['redis-cluster', '<host:port,...>', 'redisCluster', 'instead of --redis: Redis Cluster nodes for several nodes (sharded Pub/Sub)'],
  ['nats', '<url>', 'nats', 'instead of --redis: NATS URL(s) for several nodes (JetStream on: nats-server -js)'],
  ['nick-claim-ttl-ms', '<ms>', 'nickClaimTtlMs', "with several nodes: how long a silent node's nicks stay taken and its users stay listed"],
  ['redis-notice-ms', '<ms>', 'redisNoticeMs', 'with several nodes: while the engine (Redis, NATS) is unreachable, how often to say so'],
  ['registration-timeout-ms', '<ms>', 'registrationTimeoutMs', 'drop IRC connections not registered after this long'],
  ['ingest-idle-timeout', '<ms>', 'ingestIdleTimeoutMs', 'close ingest connections silent for this long'],
  ['ingest-max-per-address', '<n>', 'ingestMaxPerAddress', 'simultaneous ingest connections per address (256 in all)'],
  ['ingest-first-byte-timeout', '<ms>', 'ingestFirstByteTimeoutMs', 'close ingest connections that send nothing for this long after connecting'],
  ['ingest-rate-scope', '<scope>', 'ingestRateScope', 'ingest rate budget per connection or per address'],
  ['history', '<n>', 'history', 'lines a log channel replays on join (0: off)'],
  ['syslog-port', '<port|off>', 'syslogPort', 'UDP syslog port (RFC 3164 and 5424), or off'],
  ['syslog-tcp-port', '<port|off>', 'syslogTcpPort', 'TCP syslog port (octet counting or newline framing), or off'],
  ['database-services', '<a,b,...>', 'databaseServices', 'services whose entries also go to #logs-database'],
  ['security-services', '<a,b,...>', 'securityServices', 'services whose entries also go to #logs-security (auth/authpriv syslog always do)'],
  ['http-max-per-address', '<n>', 'httpMaxStreamsPerAddress', 'web viewer streams one address may hold (10000 in all; more get 503)'],
  ['http-headers-timeout', '<ms>', 'httpHeadersTimeoutMs', 'close web viewer connections that have not sent their request within this'],
] as const;

type Field = (typeof FLAGS)[number][2];

/** The flags that each choose the engine joining the nodes: one at most. */
const ENGINE_FLAGS: ReadonlyArray<readonly [string, Field]> = [
  ['redis', 'redis'],
  ['redis-cluster', 'redisCluster'],
  ['nats', 'nats'],
];

const NUMERIC_FIELDS: ReadonlySet<Field> = new Set<Field>([
  'ircPort',
  'ingestPort',
  'metricsPort',
  'httpPort',
  'demoRate',
  'ingestRate',
  'ingestBurst',
  'passwordAttempts',
  'passwordRetryMs',
  'maxClients',
  'maxClientsPerIp',
  'maxChannelsPerClient',
  'maxPatternChannels',
  'nickLength',
  'sendQBytes',
  'sendQHardBytes',
  'recvQBytes',
  'floodLines',
  'floodPerSecond',
  'pingIntervalMs',
  'idleTimeoutMs',
  'announceMembersUpTo',
  'shutdownGraceMs',
  'nickClaimTtlMs',
  'redisNoticeMs',
  'registrationTimeoutMs',
  'ingestIdleTimeoutMs',
  'ingestMaxPerAddress',
  'history',
  'syslogPort',
  'syslogTcpPort',
  'ingestFirstByteTimeoutMs',
  'httpMaxStreamsPerAddress',
  'httpHeadersTimeoutMs',
]);

const LIST_FIELDS: ReadonlySet<Field> = new Set<Field>(['databaseServices', 'securityServices']);

/**
 * Defaults of the command line that differ from `DEFAULT_CONFIG`: `npm run demo` opens the web
 * viewer, `startServer()` does not.
 */
export const COMMAND_LINE_DEFAULTS: Readonly<Partial<ServerConfig>> = Object.freeze({ httpPort: 8080 });

const envName = (flag: string): string => `LOGCASTER_${flag.replace(/-/g, '_').toUpperCase()}`;

/** `--help` text: usage, every flag with its environment variable and default. */
export const helpText: string = (() => {
  const rows = FLAGS.map(([flag, hint, field, what]) => {
    const negative = flag.startsWith('no-');
    const value = field in COMMAND_LINE_DEFAULTS ? COMMAND_LINE_DEFAULTS[field] : DEFAULT_CONFIG[field];
    const shown = negative ? '' : ` (default ${value === undefined ? 'none' : value === null ? 'off' : Array.isArray(value) ? value.join(',') : String(value)})`;
    const env = negative ? '' : `  [${envName(flag)}]`;
    return `  --${`${flag} ${hint}`.padEnd(30)} ${what}${shown}${env}`;
  });
  return [
    'Usage: npm run demo -- [options]',
    '',
    'An IRC server that shows log entries live in channels. Connect with any IRC client:',
    '  irssi -c 127.0.0.1 -p 6667     then /join #logs-all',
    'or open the web viewer: http://127.0.0.1:8080/',
    '',
    'Options (flags win over LOGCASTER_* environment variables; booleans take true/false there;',
    'there is no config file: put the variables in an env file, e.g. systemd EnvironmentFile=):',
    ...rows,
    `  --${'help'.padEnd(30)} print this and exit`,
    '',
    'Service words: a service goes to #logs-database or #logs-security when one of its words',
    '(split at - _ . /) starts with a listed word: postgres takes postgresql and pg-postgres-1.',
    'Limits per address (one client cannot lock others out): ingest connections, web viewer',
    'streams (--http-max-per-address), and wrong passwords or producer tokens',
    '(--password-attempts, then one per --password-retry-ms; the viewer answers 429).',
    '',
  ].join('\n');
})();

function convert(field: Field, flag: string, raw: string | boolean): unknown {
  if (typeof raw === 'boolean') return raw;
  if ((field === 'ingestPort' || field === 'metricsPort' || field === 'httpPort') && (raw === 'off' || raw === 'none')) return null;
  if ((field === 'syslogPort' || field === 'syslogTcpPort') && (raw === 'off' || raw === 'none')) return null;
  // "a,b" or "a, b"; an empty list ("") turns the service words off.
  if (LIST_FIELDS.has(field)) return raw.split(',').map((word) => word.trim()).filter((word) => word !== '');
  if (NUMERIC_FIELDS.has(field)) {
    const value = Number(raw);
    if (raw.trim() === '' || Number.isNaN(value)) throw new RangeError(`--${flag} must be a number (got ${JSON.stringify(raw)})`);
    return value;
  }
  return raw;
}

function envBoolean(name: string, raw: string): boolean {
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new RangeError(`${name} must be true or false (got ${JSON.stringify(raw)})`);
}

/** The result of {@link parseConfig}: the configuration, and whether `--help` was asked for. */
export interface ParsedConfig {
  config: ServerConfig;
  help: boolean;
}

/**
 * Reads the configuration from command-line flags and `LOGCASTER_*` environment variables
 * (flags win), then {@link resolveConfig}.
 *
 * @param argv - the arguments after the script, e.g. `process.argv.slice(2)`.
 * @throws TypeError for an unknown flag; RangeError for a bad value (naming the flag).
 * @example
 * ```ts
 * parseConfig(['--irc-port', '6697', '--no-demo'], { LOGCASTER_PASSWORD: 's3cret' }).config.password; // 's3cret'
 * ```
 */
export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedConfig {
  const options: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const [flag, hint] of FLAGS) options[flag] = { type: hint === '' ? 'boolean' : 'string' };
  const { values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });

  const overrides: Record<string, unknown> = { ...COMMAND_LINE_DEFAULTS };
  // Environment first, so flags override it.
  for (const [flag, hint, field] of FLAGS) {
    if (flag.startsWith('no-')) continue;
    const raw = env[envName(flag)];
    if (raw === undefined || raw === '') continue;
    overrides[field] = hint === '' ? envBoolean(envName(flag), raw) : convert(field, flag, raw);
  }
  if (env.LOGCASTER_COLOUR !== undefined && env.LOGCASTER_COLOUR !== '') {
    overrides.colour = envBoolean('LOGCASTER_COLOUR', env.LOGCASTER_COLOUR);
  }
  for (const [flag, , field] of FLAGS) {
    const raw = values[flag];
    if (raw === undefined) continue;
    overrides[field] = flag.startsWith('no-') ? !raw : convert(field, flag, raw);
  }
  const engines = ENGINE_FLAGS.filter(([, field]) => overrides[field] !== undefined).map(([flag]) => `--${flag}`);
  if (engines.length > 1) {
    throw new RangeError(`${engines.join(' and ')} are exclusive: the nodes join through one engine (--redis, --redis-cluster or --nats)`);
  }
  // Piping your own logs in usually means you want only those: --stdin turns the demo
  // generator off unless it was asked for explicitly.
  if (overrides.stdin === true && overrides.demo === undefined) overrides.demo = false;
  return { config: resolveConfig(overrides as Partial<ServerConfig>), help: values.help === true };
}
