import { afterEach, describe, expect, it, vi } from 'vitest';
import { LoadMonitor, type LoadSample } from '../src/index.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('LoadMonitor', () => {
  it("mixes cpu, memory and network with the seed's weights 0.4 / 0.3 / 0.3", () => {
    const monitor = new LoadMonitor({ sample: () => ({ cpu: 1, memory: 0.5, network: 0 }) });
    monitor.sampleNow();
    expect(monitor.load).toBeCloseTo(0.4 + 0.15);
  });

  it('rescales cpu and memory weights when there is no network figure', () => {
    const monitor = new LoadMonitor({ sample: () => ({ cpu: 1, memory: 0 }) });
    monitor.sampleNow();
    expect(monitor.load).toBeCloseTo(0.4 / 0.7);
  });

  it('emits high-load only above the threshold', () => {
    let reading: LoadSample = { cpu: 0.5, memory: 0.5, network: 0.5 };
    const monitor = new LoadMonitor({ threshold: 0.8, sample: () => reading });
    const high: number[] = [];
    monitor.on('high-load', (load) => high.push(load));
    monitor.sampleNow();
    reading = { cpu: 0.9, memory: 0.9, network: 0.9 };
    monitor.sampleNow();
    expect(high).toHaveLength(1);
    expect(high[0]).toBeCloseTo(0.9);
  });

  it('clamps readings outside [0, 1]', () => {
    const monitor = new LoadMonitor({ sample: () => ({ cpu: 7, memory: -1, network: 5 }) });
    monitor.sampleNow();
    expect(monitor.load).toBeCloseTo(0.7);
  });

  it('emits every sample with the load it gives', () => {
    const seen: [LoadSample, number][] = [];
    const monitor = new LoadMonitor({ weights: { cpu: 1, memory: 1, network: 2 }, sample: () => ({ cpu: 0.2, memory: 0.4, network: 0.9 }) });
    monitor.on('sample', (sample, load) => seen.push([sample, load]));
    monitor.sampleNow();
    expect(seen).toHaveLength(1);
    expect(seen[0][0]).toEqual({ cpu: 0.2, memory: 0.4, network: 0.9 });
    expect(seen[0][1]).toBeCloseTo((0.2 + 0.4 + 2 * 0.9) / 4);
  });

  it('samples on an unref()ed interval between start() and stop()', () => {
    vi.useFakeTimers();
    let samples = 0;
    const monitor = new LoadMonitor({ intervalMs: 100, sample: () => ({ cpu: 0, memory: 0 }) });
    monitor.on('sample', () => samples++);
    monitor.start().start();
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(350);
    expect(samples).toBe(3);
    monitor.stop();
    monitor.stop();
    vi.advanceTimersByTime(1000);
    expect(samples).toBe(3);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not keep the process alive: its timer is unref()ed', () => {
    // Only timers that hold the process open are listed as active resources.
    const holding = (): number => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
    const before = holding();
    const monitor = new LoadMonitor({ intervalMs: 60_000, sample: () => ({ cpu: 0, memory: 0 }) });
    try {
      monitor.start();
      expect(holding()).toBe(before);
    } finally {
      monitor.stop();
    }
  });

  it("reports a failing source on the timer as 'error' when someone listens", () => {
    vi.useFakeTimers();
    const failure = new Error('network probe failed');
    const monitor = new LoadMonitor({
      intervalMs: 10,
      network: () => {
        throw failure;
      },
    });
    const errors: unknown[] = [];
    monitor.on('error', (error) => errors.push(error));
    monitor.start();
    vi.advanceTimersByTime(25);
    monitor.stop();
    expect(errors).toEqual([failure, failure]);
    expect(() => monitor.sampleNow()).toThrow(failure);
  });

  it("measures Node's own event-loop utilisation and heap by default", () => {
    const monitor = new LoadMonitor({ network: () => 0.25 });
    const sample = monitor.sampleNow();
    expect(sample.cpu).toBeGreaterThanOrEqual(0);
    expect(sample.cpu).toBeLessThanOrEqual(1);
    expect(sample.memory).toBeGreaterThan(0);
    expect(sample.memory).toBeLessThan(1);
    expect(sample.network).toBe(0.25);
  });

  it('rejects bad options naming the value', () => {
    expect(() => new LoadMonitor({ threshold: 1.5 })).toThrow(/threshold.*1.5/);
    expect(() => new LoadMonitor({ intervalMs: 0 })).toThrow(/intervalMs.*0/);
    expect(() => new LoadMonitor({ weights: { cpu: -1 } })).toThrow(/weights.cpu.*-1/);
    expect(() => new LoadMonitor({ weights: { cpu: 0, memory: 0 } })).toThrow(/all be 0/);
    expect(() => new LoadMonitor({ weights: { network: Infinity } })).toThrow(/weights.network.*Infinity/);
    expect(() => new LoadMonitor({ weights: { cpu: 0, memory: 0 }, network: () => 0.5 })).not.toThrow();
    expect(() => new LoadMonitor({ network: 0.5 as unknown as () => number })).toThrow(TypeError);
  });
});
