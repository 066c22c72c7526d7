/**
 * The measuring side of the suite: a thin wrapper around tinybench that compares contenders
 * doing the same work, in the same process and run, and reports medians and ratios.
 *
 * Sub-microsecond operations cannot be timed one call at a time (the clock costs as much as
 * the work), so each tinybench iteration runs a calibrated batch of operations and reports
 * the mean cost per operation as its sample (tinybench's `overriddenDuration`). Contenders are
 * measured in several short rounds in rotating order and the samples pooled, so a burst of
 * load from a neighbour on a shared machine smears over all contenders instead of hitting one.
 *
 * @module
 */
import { Bench, type FnReturnedObject } from 'tinybench';

/** One contender in a comparison. */
export interface Contender {
  /** Shown in tables and charts; the subject of a comparison is the logcaster contender. */
  name: string;
  /**
   * Performs `ops` operations. Return something derived from the work (a count, a length):
   * it is accumulated so the engine cannot drop the work as dead code.
   */
  run(ops: number): number | void;
}

/** A measured value for one contender. */
export interface Measurement {
  name: string;
  /** Median rate in the group's unit (or the recorded value for {@link record}). */
  median: number;
  /** Median absolute deviation of the samples, as a percentage of the median. */
  madPercent: number;
  /** How many samples the median is taken over. */
  samples: number;
}

/** A group of contenders measured on the same work, with ratios subject / peer. */
export interface GroupResult {
  /** What was measured, e.g. "100k subscriptions, 1,000 skewed topics". */
  group: string;
  /** The unit of `median`, e.g. "matches/s" or "bytes/subscription". */
  unit: string;
  /** Whether a bigger number is better (rates) or worse (bytes, milliseconds). */
  higherIsBetter: boolean;
  /** The logcaster contender, if the group compares against peers. */
  subject: string | undefined;
  results: Measurement[];
  /** subject / peer, by peer name. */
  ratios: Record<string, number>;
}

/** Time budgets, scaled once by run.ts (`BENCH_TIME` scales them all). */
export const budget = {
  /** Measured milliseconds per contender, split over the rounds. */
  timeMs: 600,
  /** Warm-up milliseconds per contender (in the first round only). */
  warmupMs: 120,
  /** Rounds per comparison, in rotating order. */
  rounds: 3,
  /** Target duration of one sample (a batch of operations), in milliseconds. */
  sampleMs: 1,
};

let blackhole = 0;

/** The accumulated results of every contender's work; printed at the end so it is observed. */
export function observed(): number {
  return blackhole;
}

/** How long each contender runs before its batch size is decided. */
const CALIBRATION_WARMUP_MS = 30;

/** One pass of doubling batches until a batch lasts about half a sample; the batch size that would last a whole one. */
function searchBatch(contender: Contender, maxBatch: number): number {
  let ops = 1;
  for (;;) {
    const start = performance.now();
    const result = contender.run(ops);
    const elapsed = performance.now() - start;
    if (typeof result === 'number') blackhole += result;
    if (elapsed >= budget.sampleMs / 2 || ops >= maxBatch) {
      if (elapsed <= 0) return Math.min(maxBatch, ops);
      return Math.max(1, Math.min(maxBatch, Math.round((ops * budget.sampleMs) / elapsed)));
    }
    ops *= 2;
  }
}

/**
 * Finds the batch size that makes one sample last about `budget.sampleMs`, once the code
 * is warm.
 */
function calibrate(contender: Contender, maxBatch: number): number {
  if (maxBatch <= 1) return 1;
  // Run long enough for the engine's optimizing tier to take over: batches sized in the
  // interpreter would be far too small once the code is compiled.
  const warmUntil = performance.now() + CALIBRATION_WARMUP_MS;
  let ops = 1;
  while (performance.now() < warmUntil) {
    const start = performance.now();
    const result = contender.run(ops);
    if (typeof result === 'number') blackhole += result;
    if (performance.now() - start < budget.sampleMs && ops < maxBatch) ops *= 2;
  }
  // A collection during a short batch makes it look slow; the larger of two answers wins.
  return Math.max(searchBatch(contender, maxBatch), searchBatch(contender, maxBatch));
}

/** Options of {@link compare}. */
export interface CompareOptions {
  group: string;
  /** The unit of the reported rate, e.g. "matches/s". */
  unit: string;
  /** Name of the logcaster contender; ratios are subject / every other contender. */
  subject: string;
  contenders: Contender[];
  /**
   * How many units one operation is worth (a publish to 1,000 subscribers is 1,000
   * deliveries). Rates are reported in units per second.
   * @default 1
   */
  unitsPerOp?: number;
  /**
   * Largest batch (operations per sample), for operations that consume finite prepared
   * input.
   * @default Infinity
   */
  maxBatch?: number;
  /** Overrides `budget.timeMs` for this comparison. */
  timeMs?: number;
  /**
   * Least samples per contender per round, for operations so slow that the time budget
   * alone would allow only a handful.
   * @default 8
   */
  minSamples?: number;
}

/** Measures every contender with tinybench and returns medians and ratios. */
export async function compare(options: CompareOptions): Promise<GroupResult> {
  const { contenders, subject } = options;
  const unitsPerOp = options.unitsPerOp ?? 1;
  const maxBatch = options.maxBatch ?? Number.POSITIVE_INFINITY;
  const timeMs = options.timeMs ?? budget.timeMs;
  const batches = new Map<string, number>();
  for (const contender of contenders) batches.set(contender.name, calibrate(contender, maxBatch));
  if (process.env.BENCH_DEBUG !== undefined) console.log(`    batches: ${[...batches].map(([n, b]) => `${n}=${b}`).join(" ")}`);
  // Per contender, the pooled samples in milliseconds per unit.
  const pooled = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (let round = 0; round < budget.rounds; round++) {
    const bench = new Bench({
      name: options.group,
      time: timeMs / budget.rounds,
      iterations: options.minSamples ?? 8,
      warmup: round === 0,
      warmupTime: budget.warmupMs,
      warmupIterations: Math.min(4, options.minSamples ?? 4),
      retainSamples: true,
      throws: true,
    });
    const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]);
    for (const contender of order) {
      const ops = batches.get(contender.name) ?? 1;
      const units = ops * unitsPerOp;
      bench.add(
        contender.name,
        (): FnReturnedObject => {
          const start = performance.now();
          const result = contender.run(ops);
          const elapsed = performance.now() - start;
          if (typeof result === 'number') blackhole += result;
          return { overriddenDuration: elapsed / units, overriddenIterationCost: elapsed };
        },
        { async: false },
      );
    }
    await bench.run();
    poolSamples(bench, pooled, options.group);
  }
  return summarize(contenders, pooled, options, subject);
}

/** Builds a group from values measured some other way (heap bytes, latency, RSS). */
export function record(
  group: string,
  unit: string,
  higherIsBetter: boolean,
  subject: string | undefined,
  values: { name: string; value: number; samples?: number }[],
): GroupResult {
  return withRatios({
    group,
    unit,
    higherIsBetter,
    subject,
    results: values.map((v) => ({ name: v.name, median: v.value, madPercent: 0, samples: v.samples ?? 1 })),
    ratios: {},
  });
}

function withRatios(result: GroupResult): GroupResult {
  const subject = result.results.find((r) => r.name === result.subject);
  if (subject !== undefined) {
    for (const r of result.results) {
      if (r !== subject) result.ratios[r.name] = subject.median / r.median;
    }
  }
  return result;
}

/** The median of `values` (sorted copy); NaN for none. */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** The `q`-quantile of `values` with linear interpolation; NaN for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

/** A contender whose operation completes asynchronously (queues drained on the event loop). */
export interface AsyncContender {
  name: string;
  /** Performs one batch of work and resolves when all of it is done. */
  run(): Promise<number | void>;
}

/** Options of {@link compareAsync}. */
export interface CompareAsyncOptions {
  group: string;
  unit: string;
  subject: string;
  contenders: AsyncContender[];
  /** Units of work one `run()` performs (e.g. messages × subscribers). */
  unitsPerRun: number;
  /** Overrides `budget.timeMs` for this comparison. */
  timeMs?: number;
}

/**
 * Like {@link compare} for work that completes on the event loop: each tinybench sample is
 * one awaited `run()`, reported per unit; rounds in rotating order, samples pooled.
 */
export async function compareAsync(options: CompareAsyncOptions): Promise<GroupResult> {
  const { contenders, subject, unitsPerRun } = options;
  const timeMs = options.timeMs ?? budget.timeMs;
  const pooled = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (let round = 0; round < budget.rounds; round++) {
    const bench = new Bench({
      name: options.group,
      time: timeMs / budget.rounds,
      iterations: 8,
      warmup: round === 0,
      warmupTime: budget.warmupMs,
      warmupIterations: 4,
      retainSamples: true,
      throws: true,
    });
    const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]);
    for (const contender of order) {
      bench.add(
        contender.name,
        async (): Promise<FnReturnedObject> => {
          const start = performance.now();
          const result = await contender.run();
          const elapsed = performance.now() - start;
          if (typeof result === 'number') blackhole += result;
          return { overriddenDuration: elapsed / unitsPerRun, overriddenIterationCost: elapsed };
        },
        { async: true },
      );
    }
    await bench.run();
    poolSamples(bench, pooled, options.group);
  }
  return summarize(contenders, pooled, options, subject);
}

/** Adds one round's samples (ms per unit) to each contender's pool; a failed task fails the group. */
function poolSamples(bench: Bench, pooled: Map<string, number[]>, group: string): void {
  for (const task of bench.tasks) {
    const result = task.result;
    if (result.state !== 'completed') {
      throw new Error(`${group} / ${task.name}: ${result.state === 'errored' ? String(result.error) : result.state}`);
    }
    const samples = result.latency.samples;
    if (samples !== undefined) pooled.get(task.name)?.push(...samples);
  }
}

/** Each contender's median rate and spread over its pooled samples, with the ratios. */
function summarize(
  contenders: readonly { name: string }[],
  pooled: Map<string, number[]>,
  options: { group: string; unit: string },
  subject: string,
): GroupResult {
  const results: Measurement[] = contenders.map((contender) => {
    const samples = pooled.get(contender.name) ?? [];
    const perUnitMs = median(samples);
    const mad = median(samples.map((s) => Math.abs(s - perUnitMs)));
    return {
      name: contender.name,
      median: perUnitMs > 0 ? 1000 / perUnitMs : Number.POSITIVE_INFINITY,
      madPercent: perUnitMs > 0 ? (100 * mad) / perUnitMs : 0,
      samples: samples.length,
    };
  });
  return withRatios({ group: options.group, unit: options.unit, higherIsBetter: true, subject, results, ratios: {} });
}
