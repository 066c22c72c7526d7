/**
 * System load from Node's own measures: event-loop utilisation, heap use, and an optional
 * network figure, mixed with weights (by default cpu 0.4, memory 0.3, network 0.3).
 *
 * Node's `v8` and `perf_hooks` are loaded by the monitor that measures, not imported:
 * importing the library needs no Node module, and a monitor with its own `sample` source runs
 * anywhere.
 *
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import type { EventLoopUtilization, Performance } from 'node:perf_hooks';
import type * as V8 from 'node:v8';
import { reportError } from '../errors.js';
import { nodeBuiltin } from '../internal/node-builtins.js';

/** One reading, each measure in [0, 1]. */
export interface LoadSample {
  /** Event-loop utilisation since the previous sample (the share of time the loop was busy). */
  cpu: number;
  /** Heap used / heap size limit. */
  memory: number;
  /** The caller's network figure, if a `network` source was given. */
  network?: number;
}

/** Weights of the measures in the mix; each >= 0, not all 0. */
interface LoadWeights {
  cpu: number;
  memory: number;
  network: number;
}

/** Options of {@link LoadMonitor}. */
export interface LoadMonitorOptions {
  /**
   * Milliseconds between samples while started. Minimum: 1.
   * @default 1000
   */
  intervalMs?: number;
  /**
   * Load above which `'high-load'` is emitted. From 0 to 1.
   * @default 0.8
   */
  threshold?: number;
  /**
   * Weights of the measures, each a finite number >= 0, not all 0; a measure left out keeps
   * its default. The load is the weighted mean of the measures a sample has: without a
   * network figure, cpu and memory are mixed with their weights rescaled to sum to 1
   * (0.4 / 0.3 becomes 4/7 and 3/7).
   * @default { cpu: 0.4, memory: 0.3, network: 0.3 }
   */
  weights?: { cpu?: number; memory?: number; network?: number };
  /**
   * The network figure in [0, 1] (say, bytes queued / budget), read on each sample.
   * @default none
   */
  network?: () => number;
  /**
   * Replaces the built-in measurements (for tests, custom sources, and runtimes other than
   * Node).
   * @default event-loop utilisation and heap use from Node
   */
  sample?: () => LoadSample;
}

/** Event signatures of {@link LoadMonitor}. */
export interface LoadMonitorEvents {
  /** Every sample, then the mixed load it gives. */
  sample: [sample: LoadSample, load: number];
  /** A sample whose mixed load is above the threshold. */
  'high-load': [load: number, sample: LoadSample];
  /**
   * Taking a sample on the timer failed (the `sample` or `network` source threw, or gave a
   * measure that is not a number). Without a listener it becomes a `'LogcasterWarning'`
   * process warning; sampling goes on.
   */
  error: [error: unknown];
}

const clamp01 = (value: number): number => (value > 1 ? 1 : value >= 0 ? value : 0);

/**
 * Samples system load periodically and mixes it into one number in [0, 1], which a
 * {@link RateLimiter} can read to slow refill under load. The timer is `unref()`ed, so a
 * monitor never keeps a process alive.
 *
 * @example
 * ```ts
 * const monitor = new LoadMonitor({ network: () => sendQueueBytes / sendBudget }).start();
 * monitor.on('high-load', (load) => console.warn(`load ${load.toFixed(2)}: slowing producers`));
 * const limiter = new RateLimiter({ load: monitor });
 * ```
 */
export class LoadMonitor extends EventEmitter<LoadMonitorEvents> implements Disposable {
  private readonly intervalMs: number;
  private readonly threshold: number;
  private readonly weights: LoadWeights;
  private readonly network: (() => number) | undefined;
  private readonly source: () => LoadSample;
  private timer: NodeJS.Timeout | undefined = undefined;
  private lastElu: EventLoopUtilization | undefined = undefined;
  private current = 0;

  /**
   * @throws RangeError naming the option when one is out of range.
   * @throws InvalidStateError without a `sample` source outside Node (the built-in measures
   * are Node's).
   */
  constructor(options: LoadMonitorOptions = {}) {
    super();
    const intervalMs = options.intervalMs ?? 1000;
    if (!Number.isFinite(intervalMs) || intervalMs < 1) {
      throw new RangeError(`intervalMs must be a number >= 1 (got ${String(intervalMs)})`);
    }
    const threshold = options.threshold ?? 0.8;
    if (!(threshold >= 0 && threshold <= 1)) {
      throw new RangeError(`threshold must be a number from 0 to 1 (got ${String(threshold)})`);
    }
    for (const name of Object.keys(options.weights ?? {})) {
      if (name !== 'cpu' && name !== 'memory' && name !== 'network') {
        throw new RangeError(`weights.${name} is not a measure (known: cpu, memory, network)`);
      }
    }
    const weights: LoadWeights = { cpu: 0.4, memory: 0.3, network: 0.3, ...options.weights };
    for (const name of ['cpu', 'memory', 'network'] as const) {
      const weight = weights[name];
      if (!(weight >= 0) || weight === Infinity) {
        throw new RangeError(`weights.${name} must be a finite number >= 0 (got ${String(weight)})`);
      }
    }
    const networkInUse = options.network !== undefined || options.sample !== undefined;
    if (weights.cpu + weights.memory + (networkInUse ? weights.network : 0) === 0) {
      throw new RangeError(
        `weights must not all be 0 for the measures in use (got cpu ${weights.cpu}, memory ${weights.memory}, network ${weights.network})`,
      );
    }
    if (options.network !== undefined && typeof options.network !== 'function') {
      throw new TypeError(`network must be a function (got ${typeof options.network})`);
    }
    if (options.sample !== undefined && typeof options.sample !== 'function') {
      throw new TypeError(`sample must be a function (got ${typeof options.sample})`);
    }
    this.intervalMs = intervalMs;
    this.threshold = threshold;
    this.weights = weights;
    this.network = options.network;
    if (options.sample !== undefined) {
      this.source = options.sample;
    } else {
      const user = 'LoadMonitor (without a sample source)';
      const v8 = nodeBuiltin('node:v8', user);
      // perf_hooks' own `performance`, not the global one (which fake timers replace).
      const { performance } = nodeBuiltin('node:perf_hooks', user);
      this.source = () => this.measure(v8, performance);
    }
  }

  /** The mixed load of the latest sample, in [0, 1] (0 before the first). */
  get load(): number {
    return this.current;
  }

  /** Starts sampling every `intervalMs`. Idempotent. */
  start(): this {
    if (this.timer !== undefined) return this;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  /** Stops sampling (`start()` resumes it). Idempotent. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Same as {@link LoadMonitor.stop}; lets `using` stop the monitor. */
  [Symbol.dispose](): void {
    this.stop();
  }

  /**
   * Takes a sample now, updates {@link LoadMonitor.load} and emits `'sample'` (and
   * `'high-load'` when above the threshold).
   *
   * @throws whatever the `sample` or `network` source throws.
   * @throws RangeError when a measure of the sample is not a number.
   */
  sampleNow(): LoadSample {
    const sample = this.source();
    for (const name of ['cpu', 'memory', 'network'] as const) {
      const value = sample[name];
      if (value === undefined && name === 'network') continue;
      if (typeof value !== 'number' || Number.isNaN(value)) {
        throw new RangeError(`sample.${name} must be a number (got ${String(value)})`);
      }
    }
    const { cpu, memory } = this.weights;
    const network = sample.network === undefined ? 0 : this.weights.network;
    const total = cpu + memory + network;
    const mixed =
      total === 0
        ? 0
        : (clamp01(sample.cpu) * cpu + clamp01(sample.memory) * memory + clamp01(sample.network ?? 0) * network) / total;
    this.current = mixed;
    this.emit('sample', sample, mixed);
    if (mixed > this.threshold) this.emit('high-load', mixed, sample);
    return sample;
  }

  private tick(): void {
    try {
      this.sampleNow();
    } catch (error) {
      reportError(this, 'LoadMonitor', error);
    }
  }

  private measure(v8: typeof V8, performance: Performance): LoadSample {
    const elu = performance.eventLoopUtilization();
    const cpu = this.lastElu === undefined ? elu.utilization : performance.eventLoopUtilization(elu, this.lastElu).utilization;
    this.lastElu = elu;
    const heap = v8.getHeapStatistics();
    const memory = heap.used_heap_size / heap.heap_size_limit;
    const sample: LoadSample = { cpu, memory };
    if (this.network !== undefined) sample.network = this.network();
    return sample;
  }
}
