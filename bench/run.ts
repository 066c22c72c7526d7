/**
 * The bench suite: `npm run bench` runs every scenario, `npm run bench -- <filter> …` only the
 * scenarios whose name contains one of the filters. Prints a table per comparison with medians
 * and ratios logcaster / peer, and the progress (scenario k of N, elapsed time) as it goes.
 * It writes nothing unless asked: `--save` writes bench/results/latest.{json,md} and
 * docs/bench/<scenario>.svg.
 *
 * Environment: BENCH_TIME scales every time budget (e.g. BENCH_TIME=0.3 for a quick look).
 *
 * @module
 */
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { budget, observed, type GroupResult } from './lib/harness.js';
import { describeMachine, formatGroup, formatTarget, toMarkdown, writeResults } from './lib/report.js';
import type { Scenario, ScenarioContext, ScenarioResult, TargetCheck } from './lib/scenario.js';
import { writeChart } from './lib/svg.js';

/** Every scenario, in run order; each is a module whose default export is a {@link Scenario}. */
const SCENARIOS: { name: string; load: () => Promise<{ default: Scenario }> }[] = [
  { name: 'match', load: () => import('./scenarios/match.js') },
  { name: 'routing', load: () => import('./scenarios/routing.js') },
  { name: 'churn', load: () => import('./scenarios/churn.js') },
  { name: 'fan-out', load: () => import('./scenarios/fan-out.js') },
  { name: 'rate-limit', load: () => import('./scenarios/rate-limit.js') },
  { name: 'queues', load: () => import('./scenarios/queues.js') },
  { name: 'queued', load: () => import('./scenarios/queued.js') },
  { name: 'drain', load: () => import('./scenarios/drain.js') },
  { name: 'caches', load: () => import('./scenarios/caches.js') },
  { name: 'metrics', load: () => import('./scenarios/metrics.js') },
  { name: 'e2e', load: () => import('./scenarios/e2e.js') },
  { name: 'e2e-vs-ircd', load: () => import('./scenarios/e2e-vs-ircd.js') },
];

const root = fileURLToPath(new URL('..', import.meta.url));
const resultsPath = `${root}bench/results/latest.json`;
const chartsDir = `${root}docs/bench`;

function selectScenarios(filters: string[]): typeof SCENARIOS {
  if (filters.length === 0) return SCENARIOS;
  const wanted = filters.map((f) => f.toLowerCase());
  // A filter that names a scenario exactly selects only it; otherwise any name containing it.
  const names = new Set(SCENARIOS.map((s) => s.name));
  const selected = SCENARIOS.filter((s) => wanted.some((f) => (names.has(f) ? s.name === f : s.name.includes(f))));
  if (selected.length === 0) {
    throw new Error(`no scenario matches ${filters.join(', ')}; scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  }
  return selected;
}

/** Seconds since the suite started, for the progress lines. */
let suiteStart = performance.now();
const elapsed = (): string => `${((performance.now() - suiteStart) / 1000).toFixed(0)} s`;

async function runScenario(entry: (typeof SCENARIOS)[number], k: number, n: number): Promise<ScenarioResult> {
  const result: ScenarioResult = {
    name: entry.name,
    title: entry.name,
    date: new Date().toISOString(),
    groups: [],
    targets: [],
    notes: [],
  };
  const context: ScenarioContext = {
    group(group: GroupResult) {
      result.groups.push(group);
      console.log(formatGroup(group).join('\n'));
      console.log(`    [${entry.name} ${k}/${n} · ${elapsed()} elapsed]`);
    },
    target(label, value, kind, target, unit) {
      const met = kind === 'at-least' ? value >= target : value <= target;
      const check: TargetCheck = { label, value, kind, target, met, ...(unit === undefined ? {} : { unit }) };
      result.targets.push(check);
      console.log(formatTarget(check));
    },
    note(text) {
      result.notes.push(text);
      console.log(`  · ${text}`);
    },
  };
  let scenario: Scenario;
  try {
    scenario = (await entry.load()).default;
  } catch (error) {
    // A scenario whose subject is not written yet must not stop the others.
    result.skipped = `could not load: ${(error as Error).message.split('\n')[0]}`;
    console.log(`\n── scenario ${k} of ${n}, ${entry.name}: SKIPPED (${result.skipped})`);
    return result;
  }
  result.title = scenario.title;
  console.log(`\n── scenario ${k} of ${n} (${elapsed()} elapsed), ${scenario.name}: ${scenario.title}`);
  const started = performance.now();
  try {
    await scenario.run(context);
  } catch (error) {
    result.skipped = `failed: ${(error as Error).stack ?? String(error)}`;
    console.log(`  FAILED: ${(error as Error).stack ?? String(error)}`);
  }
  console.log(`  (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  return result;
}

/**
 * Runs one scenario in a child process of its own: what one scenario ran must not shape how
 * the engine compiles the next (a broker publishing unique topics in one scenario made the
 * same methods slower at fan-out in the next), nor leave its heap behind.
 */
function runInChild(entry: (typeof SCENARIOS)[number], k: number, n: number): Promise<ScenarioResult> {
  return new Promise((resolve) => {
    const child = fork(fileURLToPath(import.meta.url), [], {
      env: { ...process.env, BENCH_CHILD: JSON.stringify({ name: entry.name, k, n, elapsedMs: performance.now() - suiteStart }) },
    });
    let result: ScenarioResult | undefined;
    child.on('message', (message) => {
      result = message as ScenarioResult;
    });
    child.on('exit', (code) => {
      resolve(
        result ?? {
          name: entry.name,
          title: entry.name,
          date: new Date().toISOString(),
          groups: [],
          targets: [],
          notes: [],
          skipped: `failed: the scenario process exited with code ${String(code)}`,
        },
      );
    });
  });
}

/** In a child: run the one scenario named by BENCH_CHILD and hand the result to the parent. */
async function child(spec: string): Promise<void> {
  const { name, k, n, elapsedMs } = JSON.parse(spec) as { name: string; k: number; n: number; elapsedMs: number };
  // Progress is counted from the parent's start.
  suiteStart = performance.now() - elapsedMs;
  const entry = SCENARIOS.find((s) => s.name === name);
  if (entry === undefined) throw new Error(`no scenario ${name}`);
  const result = await runScenario(entry, k, n);
  // What the contenders computed, so the engine cannot drop their work as dead code.
  result.notes.push(`checksum ${observed() % 1000}`);
  await new Promise<void>((resolve) => process.send?.(result, () => resolve()));
}

function scaleBudget(): void {
  const scale = Number(process.env.BENCH_TIME ?? '1');
  if (!(scale > 0)) throw new RangeError(`BENCH_TIME must be a positive number (got ${process.env.BENCH_TIME})`);
  budget.timeMs *= scale;
  budget.warmupMs *= scale;
}

async function main(): Promise<void> {
  scaleBudget();
  const args = process.argv.slice(2);
  const save = args.includes('--save');
  const selected = selectScenarios(args.filter((a) => a !== '--save'));
  const machine = describeMachine();
  console.log(
    `logcaster bench · node ${machine.node} · ${machine.nproc} cores · ${machine.cpu} · ulimit -n ${machine.fdLimit}`,
  );
  const started = performance.now();
  suiteStart = started;
  const results: ScenarioResult[] = [];
  for (const [i, entry] of selected.entries()) {
    results.push(await runInChild(entry, i + 1, selected.length));
  }
  if (save) {
    const file = writeResults(resultsPath, machine, results);
    writeFileSync(resultsPath.replace(/\.json$/, '.md'), toMarkdown(file));
    for (const result of results) {
      if (result.groups.length > 0) writeChart(chartsDir, result, machine);
    }
  }
  const targets = results.flatMap((r) => r.targets);
  if (targets.length > 0) {
    console.log('\n── targets');
    for (const check of targets) console.log(formatTarget(check));
  }
  const took = `${((performance.now() - started) / 1000).toFixed(0)} s`;
  console.log(
    save
      ? `\nwrote ${resultsPath}, its .md and ${chartsDir}/*.svg; ${took}`
      : `\ndone in ${took}; nothing written (add --save to write bench/results and the charts)`,
  );
  const failed = results.filter((r) => r.skipped !== undefined && r.skipped.startsWith('failed'));
  if (failed.length > 0) process.exitCode = 1;
}

if (process.env.BENCH_CHILD !== undefined) {
  scaleBudget();
  await child(process.env.BENCH_CHILD);
} else {
  await main();
}
