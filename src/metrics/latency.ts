/**
 * Latency recording on Node's own HDR histogram (`perf_hooks.createHistogram`), loaded when
 * the first recorder is made rather than imported, so that importing the library needs no
 * Node module.
 *
 * @module
 */
import type { RecordableHistogram } from 'node:perf_hooks';
import { nodeBuiltin } from '../internal/node-builtins.js';

/** A latency distribution in microseconds; all zero when nothing was recorded. */
export interface LatencySummary {
  /** Values recorded. */
  count: number;
  /** Smallest value, µs. */
  min: number;
  /** Arithmetic mean, µs. */
  mean: number;
  /** Median, µs. */
  p50: number;
  /** 95th percentile, µs. */
  p95: number;
  /** 99th percentile, µs. */
  p99: number;
  /** 99.9th percentile, µs. */
  p999: number;
  /** Largest value, µs. */
  max: number;
}

/** The histogram tracks 1 ns to 1 hour with 3 significant digits (about 10 KiB each). */
const HIGHEST_NS = 3_600_000_000_000;

const round = (microseconds: number): number => Math.round(microseconds * 1000) / 1000;

/**
 * @internal Records millisecond durations, reports microseconds.
 * @throws InvalidStateError outside Node (the histogram is Node's).
 */
export class LatencyRecorder {
  private histogram: RecordableHistogram = nodeBuiltin('node:perf_hooks', 'BroadcastMetrics (latency percentiles)').createHistogram({
    lowest: 1,
    highest: HIGHEST_NS,
    figures: 3,
  });

  /** Records one duration given in milliseconds (as `performance.now()` differences are). */
  record(milliseconds: number): void {
    // The histogram takes integers >= 1; sub-nanosecond and negative (clock) noise clamp to 1 ns.
    let ns = Math.round(milliseconds * 1e6);
    if (!(ns >= 1)) ns = 1;
    else if (ns > HIGHEST_NS) ns = HIGHEST_NS;
    this.histogram.record(ns);
  }

  get count(): number {
    return this.histogram.count;
  }

  summary(): LatencySummary {
    const h = this.histogram;
    if (h.count === 0) return { count: 0, min: 0, mean: 0, p50: 0, p95: 0, p99: 0, p999: 0, max: 0 };
    return {
      count: h.count,
      min: round(h.min / 1000),
      mean: round(h.mean / 1000),
      p50: round(h.percentile(50) / 1000),
      p95: round(h.percentile(95) / 1000),
      p99: round(h.percentile(99) / 1000),
      p999: round(h.percentile(99.9) / 1000),
      max: round(h.max / 1000),
    };
  }

  /** The `percentile` (0–100) in seconds, straight from the nanosecond histogram; 0 when empty. */
  percentileSeconds(percentile: number): number {
    return this.histogram.count === 0 ? 0 : this.histogram.percentile(percentile) / 1e9;
  }

  /** Sum of recorded values in seconds (mean × count; the histogram keeps no exact sum). */
  sumSeconds(): number {
    const h = this.histogram;
    return h.count === 0 ? 0 : (h.mean * h.count) / 1e9;
  }

  /** Adds every value recorded by `other` (for totals across recorders). */
  merge(other: LatencyRecorder): void {
    if (other.histogram.count > 0) this.histogram.add(other.histogram);
  }

  reset(): void {
    this.histogram.reset();
  }
}
