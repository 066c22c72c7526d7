import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, resolveConfig } from '../config.js';
import { helpText, parseConfig } from '../flags.js';

describe('the history, ingest and registration settings', () => {
  it('have documented defaults: 20 history lines, 20 s to register, 60 s ingest idle, 64 per address, rate per address', () => {
    expect(DEFAULT_CONFIG).toMatchObject({
      history: 20,
      registrationTimeoutMs: 20_000,
      ingestIdleTimeoutMs: 60_000,
      ingestMaxPerAddress: 64,
      ingestRateScope: 'address',
    });
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
