import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseLogEntry, type LogEntry } from '../entry.js';
import { LOG_LEVELS, levelRank, type LogLevel } from '../level.js';
import { DEMO_SERVICES, demoEntries, startDemoSource } from './demo.js';

function take(seed: number, count: number, services?: readonly string[]): LogEntry[] {
  const out: LogEntry[] = [];
  let t = 0;
  for (const entry of demoEntries(seed, () => ++t, services)) {
    out.push(entry);
    if (out.length === count) break;
  }
  return out;
}

describe('demoEntries', () => {
  const sample = take(7, 5000);

  it('is deterministic for a seed and differs between seeds', () => {
    expect(take(7, 200)).toEqual(sample.slice(0, 200));
    expect(take(8, 200)).not.toEqual(sample.slice(0, 200));
  });

  it('produces entries that pass validation unchanged, stamped by the clock', () => {
    for (const entry of sample) expect(parseLogEntry(entry)).toEqual(entry);
    expect(sample.map((e) => e.ts)).toEqual(sample.map((_, i) => i + 1));
  });

  it('uses every service and every level, mostly INFO and DEBUG', () => {
    expect(new Set(sample.map((e) => e.service))).toEqual(new Set(DEMO_SERVICES));
    const counts = new Map<LogLevel, number>();
    for (const e of sample) counts.set(e.level, (counts.get(e.level) ?? 0) + 1);
    for (const level of LOG_LEVELS) expect(counts.get(level) ?? 0).toBeGreaterThan(0);
    const share = (level: LogLevel) => (counts.get(level) ?? 0) / sample.length;
    expect(share('INFO') + share('DEBUG')).toBeGreaterThan(0.55);
    expect(share('WARNING')).toBeGreaterThan(0.04);
    expect(share('ERROR') + share('CRITICAL') + share('FATAL')).toBeLessThan(0.2);
  });

  it('covers several categories and mentions database/sql and auth/permission', () => {
    const categories = new Set(sample.map((e) => e.category));
    for (const category of ['HTTP', 'DATABASE', 'SECURITY', 'CACHE', 'QUEUE']) expect(categories).toContain(category);
    expect(sample.filter((e) => /database|sql/i.test(e.message)).length).toBeGreaterThan(sample.length * 0.05);
    expect(sample.filter((e) => /auth|permission/i.test(e.message)).length).toBeGreaterThan(sample.length * 0.02);
  });

  it('has bursts where one service logs several errors in a short window', () => {
    let longestRun = 0;
    for (let i = 0; i + 10 <= sample.length; i++) {
      const window = sample.slice(i, i + 10).filter((e) => levelRank(e.level) >= levelRank('ERROR'));
      const perService = new Map<string, number>();
      for (const e of window) perService.set(e.service, (perService.get(e.service) ?? 0) + 1);
      longestRun = Math.max(longestRun, ...perService.values(), 0);
    }
    expect(longestRun).toBeGreaterThanOrEqual(4);
  });

  it('sometimes logs a multi-line stack trace', () => {
    expect(sample.some((e) => e.message.includes('\n    at '))).toBe(true);
  });

  it('simulates only the services it is given, and rejects invalid ones', () => {
    const entries = take(3, 300, ['alpha', 'beta']);
    expect(new Set(entries.map((e) => e.service))).toEqual(new Set(['alpha', 'beta']));
    expect(() => take(3, 1, [])).toThrow(RangeError);
    expect(() => take(3, 1, ['a/b'])).toThrow(/services/);
  });
});

describe('startDemoSource', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('emits about linesPerSecond entries in batches of a few per tick, and stops', () => {
    vi.useFakeTimers();
    const seen: LogEntry[] = [];
    const source = startDemoSource({ sink: (e) => seen.push(e), linesPerSecond: 20, seed: 1, now: () => 42 });
    vi.advanceTimersByTime(100);
    expect(seen).toHaveLength(2);
    vi.advanceTimersByTime(900);
    expect(seen).toHaveLength(20);
    expect(source.emitted).toBe(20);
    expect(seen).toEqual(take(1, 20).map((e) => ({ ...e, ts: 42 })));
    source.stop();
    vi.advanceTimersByTime(1000);
    expect(seen).toHaveLength(20);
  });

  it('spreads a low rate over fewer ticks and carries fractions', () => {
    vi.useFakeTimers();
    let count = 0;
    const slow = startDemoSource({ sink: () => count++, linesPerSecond: 2, seed: 1 });
    vi.advanceTimersByTime(499);
    expect(count).toBe(0);
    vi.advanceTimersByTime(1);
    expect(count).toBe(1);
    slow.stop();
    count = 0;
    const fractional = startDemoSource({ sink: () => count++, linesPerSecond: 25, seed: 1 });
    vi.advanceTimersByTime(2000);
    expect(count).toBe(50);
    fractional.stop();
  });

  it('keeps generating when the sink throws, reporting each error', () => {
    vi.useFakeTimers();
    const errors: unknown[] = [];
    const source = startDemoSource({
      sink: () => {
        throw new Error('sink broke');
      },
      linesPerSecond: 10,
      seed: 1,
      onError: (e) => errors.push(e),
    });
    vi.advanceTimersByTime(1000);
    expect(source.emitted).toBe(10);
    expect(errors).toHaveLength(10);
    source.stop();
  });

  it('validates its options', () => {
    const sink = () => undefined;
    expect(() => startDemoSource({ sink, linesPerSecond: 0 })).toThrow(/linesPerSecond/);
    expect(() => startDemoSource({ sink, linesPerSecond: Number.NaN })).toThrow(RangeError);
    expect(() => startDemoSource({ sink, services: [] })).toThrow(/services/);
    expect(() => startDemoSource({ sink: undefined as unknown as () => void })).toThrow(TypeError);
  });
});
