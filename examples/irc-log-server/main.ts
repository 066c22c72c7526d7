/**
 * `npm run demo`: reads the configuration, starts the server and its log sources, says how
 * to connect, and shuts down gracefully on SIGINT/SIGTERM (or, when a parent process spawned
 * it with an IPC channel, when that parent goes away).
 *
 * @module
 */
import { parseConfig, helpText, type ParsedConfig } from './flags.js';
import { startServer } from './server.js';

let parsed: ParsedConfig;
try {
  parsed = parseConfig(process.argv.slice(2), process.env);
} catch (error) {
  console.error(`irc-log-server: ${error instanceof Error ? error.message : String(error)}`);
  console.error('Try --help.');
  process.exit(2);
}
if (parsed.help) {
  process.stdout.write(helpText);
  process.exit(0);
}

const { config } = parsed;
let server: Awaited<ReturnType<typeof startServer>>;
try {
  server = await startServer(config);
} catch (error) {
  // A port in use, an engine that cannot be reached at start (NATS), one without JetStream.
  console.error(`irc-log-server: cannot start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
const ircHost = config.ircHost === '0.0.0.0' || config.ircHost === '::' ? '127.0.0.1' : config.ircHost;
const sources = [
  server.ingestPort === undefined ? undefined : `JSON Lines on ${config.ingestHost}:${server.ingestPort}`,
  config.demo ? `demo generator (${config.demoRate} lines/s)` : undefined,
  config.stdin ? 'standard input' : undefined,
  server.syslogPort === undefined ? undefined : `syslog (UDP) on ${config.ingestHost}:${server.syslogPort}`,
  server.syslogTcpPort === undefined ? undefined : `syslog (TCP) on ${config.ingestHost}:${server.syslogTcpPort}`,
].filter((source) => source !== undefined);

console.log(`logcaster IRC log server ${config.serverName} listening on ${config.ircHost}:${server.ircPort}`);
console.log(`log sources: ${sources.length > 0 ? sources.join(', ') : 'none (use --demo, --stdin or --ingest-port)'}`);
console.log('');
console.log('Connect with any IRC client, for example:');
console.log(`  irssi -c ${ircHost} -p ${server.ircPort}${config.password === undefined ? '' : ' -w <password>'}`);
console.log(`  weechat: /server add logcaster ${ircHost}/${server.ircPort} -notls  then  /connect logcaster`);
console.log('then /join #logs-all  (or #logs-error, #logs-warning, #logs-database, #logs-security, #logs/*/ERROR)');
if (server.ingestPort !== undefined) {
  console.log('');
  console.log('Send your own entries, one JSON object per line:');
  const token = config.producerToken === undefined ? '' : `'{"token":"<token>"}\\n'`;
  console.log(
    `  printf ${token}'{"level":"error","service":"api","category":"HTTP","message":"upstream timeout"}\\n' | nc ${config.ingestHost} ${server.ingestPort}`,
  );
}
if (server.httpPort !== undefined) {
  const bound = config.httpHost === '0.0.0.0' || config.httpHost === '::' ? '127.0.0.1' : config.httpHost;
  const webHost = bound.includes(':') ? `[${bound}]` : bound;
  console.log('');
  console.log(`Watch in a browser: http://${webHost}:${server.httpPort}/${config.password === undefined ? '' : '  (log in with the password, or add ?token=<password>)'}`);
}
if (server.metricsPort !== undefined) console.log(`Prometheus metrics: http://${config.metricsHost}:${server.metricsPort}/metrics`);
console.log('Stop with Ctrl-C.');

let stopping = false;
const shutdown = (why: string): void => {
  if (stopping) {
    console.error(`irc-log-server: ${why} again, exiting now`);
    process.exit(1);
  }
  stopping = true;
  console.log(`irc-log-server: ${why}, shutting down`);
  // Every part's close is bounded (IRC clients get --shutdown-grace-ms, Redis is let go of at
  // once when it cannot be reached); this is the backstop that keeps the promise regardless.
  const limitMs = config.shutdownGraceMs + 2500;
  setTimeout(() => {
    console.error(`irc-log-server: shutdown took more than ${limitMs} ms; exiting`);
    process.exit(1);
  }, limitMs).unref();
  server.close('Server shutting down').then(
    () => process.exit(0),
    (error: unknown) => {
      console.error('irc-log-server: shutdown failed:', error);
      process.exit(1);
    },
  );
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
if (process.send !== undefined) {
  // Spawned with an IPC channel (by a test or a supervisor): report the ports, and never
  // outlive the parent.
  process.on('disconnect', () => shutdown('parent disconnected'));
  process.send({
    type: 'ready',
    ircPort: server.ircPort,
    ingestPort: server.ingestPort ?? null,
    httpPort: server.httpPort ?? null,
    syslogPort: server.syslogPort ?? null,
    syslogTcpPort: server.syslogTcpPort ?? null,
  });
}
