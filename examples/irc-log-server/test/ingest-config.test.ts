import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, resolveConfig } from '../config.js';
import { helpText, parseConfig } from '../flags.js';

describe('the history, ingest and registration settings', () => {
  it('have documented defaults: 20 history lines, 20 s to register, 60 s ingest idle, 5 s to send a first byte, 16 per address, rate per address', () => {
    expect(DEFAULT_CONFIG).toMatchObject({
      history: 20,
      registrationTimeoutMs: 20_000,
      ingestIdleTimeoutMs: 60_000,
      ingestFirstByteTimeoutMs: 5000,
      ingestMaxPerAddress: 16,
      ingestRateScope: 'address',
      httpMaxStreamsPerAddress: 1000,
      httpHeadersTimeoutMs: 10_000,
      syslogTcpPort: null,
      databaseServices: ['postgres', 'mysql', 'mariadb', 'redis', 'mongo'],
      securityServices: ['sshd', 'sudo', 'pam', 'auth'],
    });
  });

  it('read the hostile-load limits, the syslog TCP port and the service words from flags and variables, and list them in --help', () => {
    const { config } = parseConfig(
      ['--syslog-tcp-port', '6514', '--database-services', 'pg, clickhouse', '--http-max-per-address', '20', '--http-headers-timeout', '5000', '--ingest-first-byte-timeout', '2000'],
      { LOGCASTER_SECURITY_SERVICES: 'sshd,vault' },
    );
    expect(config).toMatchObject({
      syslogTcpPort: 6514,
      databaseServices: ['pg', 'clickhouse'],
      securityServices: ['sshd', 'vault'],
      httpMaxStreamsPerAddress: 20,
      httpHeadersTimeoutMs: 5000,
      ingestFirstByteTimeoutMs: 2000,
    });
    expect(parseConfig(['--database-services', ''], {}).config.databaseServices).toEqual([]);
    expect(() => parseConfig(['--security-services', 'ssh d'], {})).toThrow(/securityServices/);
    for (const flag of [
      '--syslog-tcp-port <port|off>',
      '--database-services <a,b,...>',
      '--security-services <a,b,...>',
      '--http-max-per-address <n>',
      '--http-headers-timeout <ms>',
      '--ingest-first-byte-timeout <ms>',
    ]) {
      expect(helpText).toContain(flag);
    }
    expect(helpText).toMatch(/--http-max-per-address <n>.*\(default 1000\)/);
    expect(helpText).toMatch(/--database-services <a,b,\.\.\.>.*\(default postgres,mysql,mariadb,redis,mongo\)/);
  });

  it('are read from flags and LOGCASTER_* variables', () => {
    const { config } = parseConfig(
      ['--history', '0', '--ingest-idle-timeout', '5000', '--ingest-max-per-address', '4', '--ingest-rate-scope', 'connection'],
      { LOGCASTER_REGISTRATION_TIMEOUT_MS: '9000' },
    );
    expect(config).toMatchObject({ history: 0, ingestIdleTimeoutMs: 5000, ingestMaxPerAddress: 4, ingestRateScope: 'connection', registrationTimeoutMs: 9000 });
    for (const flag of ['--history <n>', '--ingest-idle-timeout <ms>', '--ingest-max-per-address <n>', '--ingest-rate-scope <scope>', '--registration-timeout-ms <ms>']) {
      expect(helpText).toContain(flag);
    }
  });

  it('name the field and the value when one is wrong', () => {
    expect(() => resolveConfig({ history: 1001 })).toThrow(/history must be an integer in \[0, 1000\] \(got 1001\)/);
    expect(() => resolveConfig({ ingestRateScope: 'host' as 'address' })).toThrow(/ingestRateScope must be 'connection' or 'address' \(got "host"\)/);
    expect(() => resolveConfig({ ingestMaxPerAddress: 0 })).toThrow(/ingestMaxPerAddress/);
    expect(() => resolveConfig({ registrationTimeoutMs: 5 })).toThrow(/registrationTimeoutMs/);
    expect(() => parseConfig(['--history', 'lots'], {})).toThrow(/--history must be a number/);
  });
});
