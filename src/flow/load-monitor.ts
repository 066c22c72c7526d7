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
import { mustBe, numberRule, optionalFunction, requireNumber } from '../internal/checks.js';
import { invalidReturnValue, outOfRange } from '../internal/coded-errors.js';
import { nodeBuiltin } from '../internal/node-builtins.js';
import { checkOptions, optionKeys } from '../internal/options.js';
import { MAX_TIMER_MS } from '../internal/timers.js';

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
   * Milliseconds between samples while started. From 1 to 2147483647 (the longest delay a
   * timer honours).
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

/** The keys of {@link LoadMonitorOptions}, for the check of unknown keys. */
export const LOAD_MONITOR_OPTION_KEYS = /* @__PURE__ */ optionKeys<LoadMonitorOptions>({
  intervalMs: true,
  threshold: true,
  weights: true,
  network: true,
  sample: true,
});

/** The keys of {@link LoadMonitorOptions.weights}. */
export const LOAD_WEIGHT_KEYS = /* @__PURE__ */ optionKeys<NonNullable<LoadMonitorOptions['weights']>>({ cpu: true, memory: true, network: true });

const INTERVAL_RULE = /* @__PURE__ */ numberRule({ min: 1, max: MAX_TIMER_MS });
const THRESHOLD_RULE = /* @__PURE__ */ numberRule({ min: 0, max: 1 });
const WEIGHT_RULE = /* @__PURE__ */ numberRule({ min: 0 });

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
   * @throws TypeError (`ERR_INVALID_ARG_TYPE`) when `options` or `weights` is not an object,
   *   or an option has the wrong type; (`ERR_UNKNOWN_OPTION`) for a key that is not an
   *   option or a measure, naming the nearest one.
   * @throws RangeError (`ERR_OUT_OF_RANGE`) naming the option when one is out of range.
   * @throws InvalidStateError without a `sample` source outside Node (the built-in measures
   * are Node's).
   */
  constructor(options: LoadMonitorOptions = {}) {
    super();
    checkOptions('new LoadMonitor', options, LOAD_MONITOR_OPTION_KEYS);
    this.intervalMs = requireNumber('intervalMs', options.intervalMs ?? 1000, INTERVAL_RULE);
    this.threshold = requireNumber('threshold', options.threshold ?? 0.8, THRESHOLD_RULE);
    if (options.weights !== undefined) checkOptions('new LoadMonitor', options.weights, LOAD_WEIGHT_KEYS, 'weights');
    const given = options.weights ?? {};
    const weights: LoadWeights = {
      cpu: requireNumber('weights.cpu', given.cpu ?? 0.4, WEIGHT_RULE),
      memory: requireNumber('weights.memory', given.memory ?? 0.3, WEIGHT_RULE),
      network: requireNumber('weights.network', given.network ?? 0.3, WEIGHT_RULE),
    };
    this.network = optionalFunction('network', options.network);
    const sample = optionalFunction('sample', options.sample);
    const networkInUse = this.network !== undefined || sample !== undefined;
    if (weights.cpu + weights.memory + (networkInUse ? weights.network : 0) === 0) {
      throw outOfRange(
        `weights must not all be 0 for the measures in use (got cpu ${weights.cpu}, memory ${weights.memory}, network ${weights.network})`,
      );
    }
    this.weights = weights;
    if (sample !== undefined) {
      this.source = sample;
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
   * @throws RangeError (`ERR_INVALID_RETURN_VALUE`) when a measure of the sample is not a number.
   */
  sampleNow(): LoadSample {
    const sample = this.source();
    for (const name of ['cpu', 'memory', 'network'] as const) {
      const value = sample[name];
      if (value === undefined && name === 'network') continue;
      if (typeof value !== 'number' || Number.isNaN(value)) {
        throw invalidReturnValue(mustBe(`sample.${name}`, 'a number', value));
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
