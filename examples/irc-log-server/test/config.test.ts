import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, resolveConfig } from '../config.js';
import { helpText, parseConfig } from '../flags.js';

describe('configuration', () => {
  it('has the documented defaults', () => {
    const config = parseConfig([], {}).config;
    expect(config).toMatchObject({
      serverName: 'logcaster.local',
      ircHost: '127.0.0.1',
      ircPort: 6667,
      ingestHost: '127.0.0.1',
      ingestPort: 5140,
      demo: true,
      stdin: false,
      maxClients: 10_000,
      maxClientsPerIp: 1000,
      maxChannelsPerClient: 50,
      nickLength: 30,
      sendQBytes: 262_144,
      sendQHardBytes: 1_048_576,
      pingIntervalMs: 60_000,
      idleTimeoutMs: 120_000,
      botNick: 'logcaster',
    });
    expect(config.password).toBeUndefined();
  });

  it('reads LOGCASTER_* variables and lets flags win over them', () => {
    const { config } = parseConfig(['--irc-port', '7000', '--no-demo', '--password', 'flag'], {
      LOGCASTER_IRC_PORT: '6000',
      LOGCASTER_PASSWORD: 'env',
      LOGCASTER_SERVER_NAME: 'irc.example.org',
      LOGCASTER_INGEST_PORT: 'off',
      LOGCASTER_DEMO: 'true',
    });
    expect(config).toMatchObject({ ircPort: 7000, password: 'flag', serverName: 'irc.example.org', ingestPort: null, demo: false });
  });

  it('turns the demo off with --stdin unless the demo was asked for', () => {
    expect(parseConfig(['--stdin'], {}).config.demo).toBe(false);
    expect(parseConfig(['--stdin', '--demo'], {}).config.demo).toBe(true);
  });

  it('names the flag or field and the value when something is wrong', () => {
    expect(() => parseConfig(['--irc-port', 'abc'], {})).toThrow(/--irc-port must be a number \(got "abc"\)/);
    expect(() => parseConfig(['--irc-port', '70000'], {})).toThrow(/ircPort must be an integer in \[0, 65535\] \(got 70000\)/);
    expect(() => parseConfig(['--bogus'], {})).toThrow(TypeError);
    expect(() => parseConfig([], { LOGCASTER_DEMO: 'maybe' })).toThrow(/LOGCASTER_DEMO must be true or false/);
    expect(() => resolveConfig({ sendQBytes: 4096, sendQHardBytes: 1024 })).toThrow(/sendQHardBytes/);
    expect(() => resolveConfig({ serverName: 'bad name' })).toThrow(/serverName/);
    expect(() => resolveConfig({ botNick: '1bot' })).toThrow(/botNick/);
    expect(() => resolveConfig({ idleTimeoutMs: 10, pingIntervalMs: 100 })).toThrow(/idleTimeoutMs/);
  });

  it('joins the nodes through one engine at most, and reads a Redis Cluster as host:port pairs', () => {
    expect(parseConfig(['--nats', 'nats://127.0.0.1:4222'], {}).config.nats).toBe('nats://127.0.0.1:4222');
    expect(parseConfig([], { LOGCASTER_REDIS_CLUSTER: '10.0.0.1:7000,10.0.0.2:7000' }).config.redisCluster).toBe('10.0.0.1:7000,10.0.0.2:7000');
    expect(() => parseConfig(['--redis', 'redis://127.0.0.1', '--nats', 'nats://127.0.0.1'], {})).toThrow(
      '--redis and --nats are exclusive: the nodes join through one engine (--redis, --redis-cluster or --nats)',
    );
    expect(() => parseConfig(['--redis-cluster', '127.0.0.1:7000'], { LOGCASTER_NATS: 'nats://127.0.0.1' })).toThrow(/--redis-cluster and --nats are exclusive/);
    expect(() => resolveConfig({ redis: 'redis://127.0.0.1', redisCluster: '127.0.0.1:7000' })).toThrow(/redis, redisCluster, nats are exclusive.*\(got redis and redisCluster\)/);
    expect(() => parseConfig(['--redis-cluster', 'redis://127.0.0.1:7000/'], {})).toThrow(/redisCluster must be host:port\[,host:port…\] \(got "redis:\/\/127.0.0.1:7000\/"\)/);
    for (const flag of ['--redis-cluster <host:port,...>', '--nats <url>', 'LOGCASTER_NATS', 'LOGCASTER_REDIS_CLUSTER']) expect(helpText).toContain(flag);
  });

  it('lists every flag with its environment variable in --help', () => {
    expect(parseConfig(['--help'], {}).help).toBe(true);
    for (const flag of ['--irc-port', '--ingest-port', '--no-demo', '--stdin', '--password', '--producer-token', '--max-clients-per-ip', '--sendq-bytes']) {
      expect(helpText).toContain(flag);
    }
    expect(helpText).toContain('LOGCASTER_IRC_PORT');
    expect(helpText).toContain(`(default ${DEFAULT_CONFIG.ircPort})`);
  });
});
