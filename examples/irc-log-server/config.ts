/**
 * Configuration: every setting with its default, validated once. Every limit here bounds
 * something a remote party could otherwise grow. Reading it from flags and `LOGCASTER_*`
 * variables is in `flags.ts`.
 *
 * @module
 */
import { isValidNick } from './irc/names.js';
import { DEFAULT_SERVICE_WORDS } from './logs/log-channels.js';

/** Settings of the IRC log server. */
export interface ServerConfig {
  /** The server's name in every reply (`:<serverName> 001 …`); also the bot's host. @default 'logcaster.local' */
  serverName: string;
  /** Network name announced in 001 and `NETWORK=` (005). @default 'logcaster' */
  network: string;
  /** Address the IRC port binds to. Loopback unless you mean it. @default '127.0.0.1' */
  ircHost: string;
  /** IRC port; 0 picks a free one. @default 6667 */
  ircPort: number;
  /** Address the JSON Lines ingest binds to. @default '127.0.0.1' */
  ingestHost: string;
  /** JSON Lines ingest port; 0 picks a free one, `null` disables it. @default 5140 */
  ingestPort: number | null;
  /** Address the `/metrics` endpoint binds to. @default '127.0.0.1' */
  metricsHost: string;
  /** Port of the Prometheus `/metrics` endpoint; 0 picks a free one, `null` disables it. @default null */
  metricsPort: number | null;
  /** Address the web viewer (page and SSE) binds to. Loopback unless you mean it. @default '127.0.0.1' */
  httpHost: string;
  /**
   * Port of the web viewer (`http/web-viewer.ts`); 0 picks a free one, `null` disables it. Off
   * for `startServer()` so embedding code and tests open no port they did not ask for; the
   * command line turns it on at 8080 (see `COMMAND_LINE_DEFAULTS` in flags.ts).
   * @default null
   */
  httpPort: number | null;
  /** Run the built-in demo log generator. @default true */
  demo: boolean;
  /** Demo entries per second. Range: (0, 100000]. @default 20 */
  demoRate: number;
  /** Read plain-text log lines from standard input. @default false */
  stdin: boolean;
  /** Service name given to lines read from standard input. @default 'stdin' */
  stdinService: string;
  /** Password clients must send with `PASS` before registering. @default undefined (none) */
  password: string | undefined;
  /**
   * Wrong passwords one address may send before it is refused: from then on its connections
   * are closed at once (`Too many failed password attempts`) until the next attempt is due.
   * Minimum: 1. @default 5
   */
  passwordAttempts: number;
  /** Once `passwordAttempts` are spent, an address gets one more attempt per this many ms. Minimum: 1. @default 10000 */
  passwordRetryMs: number;
  /** Token producers must send first on the ingest port. @default undefined (none) */
  producerToken: string | undefined;
  /**
   * Entries per second each ingest connection may send once its burst is spent; the rest are
   * dropped, counted, and answered with `rate limited`. Range: (0, 10000000]. @default 200
   */
  ingestRate: number;
  /** Entries an ingest connection may send at once before `ingestRate` applies. Minimum: 1. @default 500 */
  ingestBurst: number;
  /** Simultaneous IRC connections. Minimum: 1. @default 10000 */
  maxClients: number;
  /**
   * Simultaneous IRC connections from one address. Generous because everything on loopback
   * shares 127.0.0.1; lower it when the port is reachable from a network. Minimum: 1.
   * @default 1000
   */
  maxClientsPerIp: number;
  /** Channels one client may be on. Minimum: 1. @default 50 */
  maxChannelsPerClient: number;
  /** Pattern channels (`#logs/<pattern>`) that may exist at once, each one broker subscription. Minimum: 1. @default 1000 */
  maxPatternChannels: number;
  /** Longest nick, in characters. Range: 1–64. @default 30 */
  nickLength: number;
  /**
   * SendQ soft bound, in bytes: over it, the lowest-priority queued lines (TRACE, DEBUG, INFO
   * first) are dropped to make room; ERROR and above and protocol replies are kept. Minimum: 1024.
   * @default 262144 (256 KiB)
   */
  sendQBytes: number;
  /**
   * SendQ hard bound, in bytes: past it (only protected lines get there) the client is
   * disconnected with `ERROR :Closing Link: <host> (SendQ exceeded)`. Minimum: sendQBytes.
   * @default 1048576 (1 MiB)
   */
  sendQHardBytes: number;
  /** RecvQ: bytes of received lines waiting for flood tokens before `Excess Flood`. Minimum: 1024. @default 8192 */
  recvQBytes: number;
  /** Flood control burst: lines a client may send at once. Minimum: 1. @default 20 */
  floodLines: number;
  /** Flood control rate: lines per second once the burst is spent; faster input waits (fake lag). Minimum: > 0. @default 4 */
  floodPerSecond: number;
  /** A client silent for this long is sent a PING. Minimum: 10. @default 60000 */
  pingIntervalMs: number;
  /** A client silent for this long (or not registered after it) is dropped (`Ping timeout`). Minimum: pingIntervalMs. @default 120000 */
  idleTimeoutMs: number;
  /** The log bot's nick: it owns every channel and no client can take the nick. @default 'logcaster' */
  botNick: string;
  /** Colour the `[LEVEL]` tag of log lines. @default true */
  colour: boolean;
  /**
   * Joins, parts, quits and nick changes of other members are shown while a channel has at
   * most this many members; bigger channels act as auditoriums (each member sees only their
   * own), so 1,000 watchers cost O(n) lines, not O(n²). Minimum: 0. @default 100
   */
  announceMembersUpTo: number;
  /** Message of the day, one entry per line; empty for 422 (no MOTD). @default a short guide */
  motd: readonly string[];
  /** How long a graceful shutdown waits for queues to flush. Minimum: 0. @default 2000 */
  shutdownGraceMs: number;
  /** Redis URL for running several nodes (not used by a single node). @default undefined */
  redis: string | undefined;
  /**
   * Instead of `redis`: a Redis Cluster for running several nodes, as `host:port[,host:port…]`
   * (some of its masters; the client learns the rest). @default undefined
   */
  redisCluster: string | undefined;
  /**
   * Instead of `redis`: NATS server URL(s) for running several nodes, comma-separated. The
   * servers must have JetStream on (`nats-server -js`): it keeps the nick claims and the shared
   * join backlog. @default undefined
   */
  nats: string | undefined;
  /**
   * With `redis`, `redisCluster` or `nats`: how long a silent node is still taken for alive. Its nick claims outlive it
   * that long (refreshed every third of it), and the other nodes forget its users (a netsplit
   * QUIT) after it. Minimum: 100. @default 30000
   */
  nickClaimTtlMs: number;
  /** With `redis`, `redisCluster` or `nats`: while the engine cannot be reached, how often to say so again, ms. Minimum: 100. @default 30000 */
  redisNoticeMs: number;
  /** An unregistered IRC connection is dropped after this long (`Registration timed out`), separately from `idleTimeoutMs`. Minimum: 10. @default 20000 */
  registrationTimeoutMs: number;
  /** An ingest connection that sends nothing for this long is closed with its summary line. Minimum: 10. @default 60000 */
  ingestIdleTimeoutMs: number;
  /**
   * Simultaneous ingest connections from one address (256 in all, so at least 16 addresses fit
   * even when every one fills its share). Minimum: 1. @default 16
   */
  ingestMaxPerAddress: number;
  /**
   * An ingest connection that sends no byte this long after it opens is closed with its summary
   * line (a producer connects to send), so silent sockets cannot hold slots for
   * `ingestIdleTimeoutMs`. Minimum: 10. @default 5000
   */
  ingestFirstByteTimeoutMs: number;
  /** What one ingest rate budget covers: each `connection`, or each remote `address` (all its connections share it). @default 'address' */
  ingestRateScope: 'connection' | 'address';
  /** Lines each log channel replays to a member who joins; 0 turns history off. Range: 0–1000. @default 20 */
  history: number;
  /** UDP syslog port (binds `ingestHost`); 0 picks a free one, `null` disables it. @default null */
  syslogPort: number | null;
  /**
   * TCP syslog port (binds `ingestHost`), RFC 6587 octet counting or newline framing per
   * message; 0 picks a free one, `null` disables it. @default null
   */
  syslogTcpPort: number | null;
  /**
   * Services whose entries also go to `#logs-database`: a service matches when one of its
   * words (split at `-`, `_`, `.`, `/`) starts with a listed word, case-insensitively, so
   * `postgres` takes `postgres`, `postgresql` and `pg-postgres-1`. Each word: 1-64 of
   * `[A-Za-z0-9_.-]`. @default ['postgres', 'mysql', 'mariadb', 'redis', 'mongo']
   */
  databaseServices: readonly string[];
  /**
   * Services whose entries also go to `#logs-security`, matched like `databaseServices`.
   * @default ['sshd', 'sudo', 'pam', 'auth']
   */
  securityServices: readonly string[];
  /**
   * SSE streams one address may hold open on the web viewer (of 10,000 in all); more get 503.
   * Generous because everything on loopback, or behind one NAT, shares an address. Minimum: 1.
   * @default 1000
   */
  httpMaxStreamsPerAddress: number;
  /**
   * How long a web viewer request may take to send its headers (and its whole request) before
   * the connection is closed, so slowloris sockets cannot pile up. Checked every second or so.
   * Minimum: 1000. @default 10000
   */
  httpHeadersTimeoutMs: number;
  /** Clock in milliseconds, injectable for tests. @default Date.now */
  now: () => number;
}

/** The default MOTD: what to join. */
export const DEFAULT_MOTD: readonly string[] = [
  'Live logs over IRC. Join a channel to watch:',
  '  #logs-all        every entry',
  '  #logs-error      ERROR and above     #logs-warning  WARNING and above',
  '  #logs-database   mentions database or sql',
  '  #logs-security   category SECURITY, or mentions auth or permission',
  '  #logs/<service>/<LEVEL> with * (one level) and # (the rest), e.g. #logs/*/ERROR',
  'Ask the bot: /msg logcaster help',
];

/** Every default of {@link ServerConfig}. */
export const DEFAULT_CONFIG: Readonly<ServerConfig> = Object.freeze({
  serverName: 'logcaster.local',
  network: 'logcaster',
  ircHost: '127.0.0.1',
  ircPort: 6667,
  ingestHost: '127.0.0.1',
  ingestPort: 5140,
  metricsHost: '127.0.0.1',
  metricsPort: null,
  httpHost: '127.0.0.1',
  httpPort: null,
  demo: true,
  demoRate: 20,
  stdin: false,
  stdinService: 'stdin',
  password: undefined,
  passwordAttempts: 5,
  passwordRetryMs: 10_000,
  producerToken: undefined,
  ingestRate: 200,
  ingestBurst: 500,
  maxClients: 10_000,
  maxClientsPerIp: 1000,
  maxChannelsPerClient: 50,
  maxPatternChannels: 1000,
  nickLength: 30,
  sendQBytes: 256 * 1024,
  sendQHardBytes: 1024 * 1024,
  recvQBytes: 8192,
  floodLines: 20,
  floodPerSecond: 4,
  pingIntervalMs: 60_000,
  idleTimeoutMs: 120_000,
  botNick: 'logcaster',
  colour: true,
  announceMembersUpTo: 100,
  motd: DEFAULT_MOTD,
  shutdownGraceMs: 2000,
  redis: undefined,
  redisCluster: undefined,
  nats: undefined,
  nickClaimTtlMs: 30_000,
  redisNoticeMs: 30_000,
  registrationTimeoutMs: 20_000,
  ingestIdleTimeoutMs: 60_000,
  ingestMaxPerAddress: 16,
  ingestFirstByteTimeoutMs: 5000,
  ingestRateScope: 'address',
  history: 20,
  syslogPort: null,
  syslogTcpPort: null,
  databaseServices: DEFAULT_SERVICE_WORDS.database,
  securityServices: DEFAULT_SERVICE_WORDS.security,
  httpMaxStreamsPerAddress: 1000,
  httpHeadersTimeoutMs: 10_000,
  now: Date.now,
});

const SERVICE_WORD = /^[A-Za-z0-9_.-]{1,64}$/;
const HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,61}[A-Za-z0-9])?$/;

function integer(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}] (got ${String(value)})`);
  }
}

/** The settings that each name an engine to join nodes through; at most one is set. */
export const ENGINES = ['redis', 'redisCluster', 'nats'] as const;

/** `host:port[,host:port…]`, a port of 1–5 digits (its range is checked by the link). */
const CLUSTER_NODES = /^\s*[^,\s]+:\d{1,5}\s*(?:,\s*[^,\s]+:\d{1,5}\s*)*$/;

/**
 * Fills in defaults and validates.
 *
 * @throws RangeError / TypeError naming the field and the bad value.
 * @example
 * ```ts
 * resolveConfig({ ircPort: 0, demo: false }).serverName; // 'logcaster.local'
 * ```
 */
export function resolveConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  const config: ServerConfig = { ...DEFAULT_CONFIG };
  for (const [key, value] of Object.entries(overrides) as [keyof ServerConfig, unknown][]) {
    // An explicit `undefined` means "the default", as with every options object here.
    if (value !== undefined) (config as unknown as Record<string, unknown>)[key] = value;
  }
  if (typeof config.serverName !== 'string' || !HOSTNAME.test(config.serverName) || !config.serverName.includes('.')) {
    // A dot keeps it distinguishable from a nick in prefixes, as IRC clients expect.
    throw new RangeError(`serverName must be a host name with a dot, at most 63 characters (got ${JSON.stringify(config.serverName)})`);
  }
  if (typeof config.network !== 'string' || !/^[A-Za-z0-9._-]{1,32}$/.test(config.network)) {
    throw new RangeError(`network must be 1-32 characters of [A-Za-z0-9._-] (got ${JSON.stringify(config.network)})`);
  }
  for (const key of ['ircHost', 'ingestHost', 'metricsHost', 'httpHost'] as const) {
    if (typeof config[key] !== 'string' || config[key] === '') {
      throw new TypeError(`${key} must be a non-empty string (got ${JSON.stringify(config[key])})`);
    }
  }
  integer('ircPort', config.ircPort, 0, 65535);
  if (config.ingestPort !== null) integer('ingestPort', config.ingestPort, 0, 65535);
  if (config.metricsPort !== null) integer('metricsPort', config.metricsPort, 0, 65535);
  if (config.httpPort !== null) integer('httpPort', config.httpPort, 0, 65535);
  for (const key of ['demo', 'stdin', 'colour'] as const) {
    if (typeof config[key] !== 'boolean') throw new TypeError(`${key} must be a boolean (got ${JSON.stringify(config[key])})`);
  }
  if (!Number.isFinite(config.demoRate) || config.demoRate <= 0 || config.demoRate > 100_000) {
    throw new RangeError(`demoRate must be in (0, 100000] (got ${String(config.demoRate)})`);
  }
  if (typeof config.stdinService !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(config.stdinService)) {
    throw new RangeError(`stdinService must be 1-64 characters of [A-Za-z0-9_.-] (got ${JSON.stringify(config.stdinService)})`);
  }
  for (const key of ['password', 'producerToken', ...ENGINES] as const) {
    const value = config[key];
    if (value !== undefined && (typeof value !== 'string' || value === '')) {
      throw new TypeError(`${key} must be a non-empty string when set (got ${JSON.stringify(value)})`);
    }
  }
  const engines = ENGINES.filter((key) => config[key] !== undefined);
  if (engines.length > 1) throw new RangeError(`${ENGINES.join(', ')} are exclusive: one engine joins the nodes (got ${engines.join(' and ')})`);
  if (config.redisCluster !== undefined && !CLUSTER_NODES.test(config.redisCluster)) {
    throw new RangeError(`redisCluster must be host:port[,host:port…] (got ${JSON.stringify(config.redisCluster)})`);
  }
  if (typeof config.ingestRate !== 'number' || !Number.isFinite(config.ingestRate) || config.ingestRate <= 0 || config.ingestRate > 10_000_000) {
    throw new RangeError(`ingestRate must be in (0, 10000000] lines/s (got ${String(config.ingestRate)})`);
  }
  integer('ingestBurst', config.ingestBurst, 1);
  integer('passwordAttempts', config.passwordAttempts, 1);
  integer('passwordRetryMs', config.passwordRetryMs, 1);
  integer('maxClients', config.maxClients, 1);
  integer('maxClientsPerIp', config.maxClientsPerIp, 1);
  integer('maxChannelsPerClient', config.maxChannelsPerClient, 1, 1000);
  integer('maxPatternChannels', config.maxPatternChannels, 1);
  integer('nickLength', config.nickLength, 1, 64);
  integer('sendQBytes', config.sendQBytes, 1024);
  integer('sendQHardBytes', config.sendQHardBytes, config.sendQBytes);
  integer('recvQBytes', config.recvQBytes, 1024);
  integer('floodLines', config.floodLines, 1);
  if (!Number.isFinite(config.floodPerSecond) || config.floodPerSecond <= 0) {
    throw new RangeError(`floodPerSecond must be a number > 0 (got ${String(config.floodPerSecond)})`);
  }
  integer('pingIntervalMs', config.pingIntervalMs, 10);
  integer('idleTimeoutMs', config.idleTimeoutMs, config.pingIntervalMs);
  if (typeof config.botNick !== 'string' || !isValidNick(config.botNick, config.nickLength)) {
    throw new RangeError(`botNick must be a valid nick of at most nickLength characters (got ${JSON.stringify(config.botNick)})`);
  }
  integer('announceMembersUpTo', config.announceMembersUpTo, 0);
  if (!Array.isArray(config.motd) || config.motd.some((line) => typeof line !== 'string')) {
    throw new TypeError('motd must be an array of strings');
  }
  integer('shutdownGraceMs', config.shutdownGraceMs, 0);
  integer('nickClaimTtlMs', config.nickClaimTtlMs, 100);
  integer('redisNoticeMs', config.redisNoticeMs, 100);
  integer('registrationTimeoutMs', config.registrationTimeoutMs, 10);
  integer('ingestIdleTimeoutMs', config.ingestIdleTimeoutMs, 10);
  integer('ingestMaxPerAddress', config.ingestMaxPerAddress, 1);
  if (config.ingestRateScope !== 'connection' && config.ingestRateScope !== 'address') {
    throw new RangeError(`ingestRateScope must be 'connection' or 'address' (got ${JSON.stringify(config.ingestRateScope)})`);
  }
  integer('history', config.history, 0, 1000);
  if (config.syslogPort !== null) integer('syslogPort', config.syslogPort, 0, 65535);
  if (config.syslogTcpPort !== null) integer('syslogTcpPort', config.syslogTcpPort, 0, 65535);
  integer('ingestFirstByteTimeoutMs', config.ingestFirstByteTimeoutMs, 10);
  integer('httpMaxStreamsPerAddress', config.httpMaxStreamsPerAddress, 1);
  integer('httpHeadersTimeoutMs', config.httpHeadersTimeoutMs, 1000);
  for (const key of ['databaseServices', 'securityServices'] as const) {
    const words: unknown = config[key];
    if (!Array.isArray(words) || words.some((word) => typeof word !== 'string' || !SERVICE_WORD.test(word))) {
      throw new RangeError(`${key} must be a list of words of 1-64 characters of [A-Za-z0-9_.-] (got ${JSON.stringify(words)})`);
    }
  }
  if (typeof config.now !== 'function') throw new TypeError(`now must be a function (got ${typeof config.now})`);
  return config;
}

const LOOPBACK = /^(?:127(?:\.\d{1,3}){3}|::1|::ffff:127(?:\.\d{1,3}){3}|localhost)$/i;

/** Whether `host` is a loopback address (only this machine can reach a port bound to it). */
export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host.replace(/^\[(.*)\]$/, '$1'));
}

/**
 * What `config` opens to other machines without a secret: one sentence per port bound to a
 * non-loopback address that anyone who reaches it may use. Printed at start (see
 * `startServer`), so an operator who binds `0.0.0.0` without `--password` hears of it.
 *
 * @example
 * ```ts
 * exposureWarnings(resolveConfig({ ircHost: '0.0.0.0' }));
 * // ['the IRC port is bound to 0.0.0.0 without --password: anyone who can reach it may connect …']
 * ```
 */
export function exposureWarnings(config: ServerConfig): string[] {
  const warnings: string[] = [];
  const open = (host: string): boolean => !isLoopback(host);
  if (open(config.ircHost) && config.password === undefined) {
    warnings.push(`the IRC port is bound to ${config.ircHost} without --password: anyone who can reach it may connect, read every log channel and chat`);
  }
  if (config.httpPort !== null && open(config.httpHost) && config.password === undefined) {
    warnings.push(`the web viewer is bound to ${config.httpHost} without --password: anyone who can reach it may read every log line`);
  }
  if (config.ingestPort !== null && open(config.ingestHost) && config.producerToken === undefined) {
    warnings.push(`the ingest port is bound to ${config.ingestHost} without --producer-token: anyone who can reach it may send log entries`);
  }
  if ((config.syslogPort !== null || config.syslogTcpPort !== null) && open(config.ingestHost)) {
    warnings.push(`the syslog port is bound to ${config.ingestHost}: syslog has no token, so anyone who can reach it may send log entries`);
  }
  if (config.metricsPort !== null && open(config.metricsHost)) {
    warnings.push(`/metrics is bound to ${config.metricsHost}: no password applies to it, so anyone who can reach it may read the counters`);
  }
  return warnings;
}
