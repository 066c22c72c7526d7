/**
 * The bench suite: `npm run bench` runs every scenario, `npm run bench -- <filter> …` only the
 * scenarios whose name contains one of the filters. Prints a table per comparison with medians
 * and ratios logcaster / peer, writes bench/results/latest.json and docs/bench/<scenario>.svg.
 *
 * Environment: BENCH_TIME scales every time budget (e.g. BENCH_TIME=0.3 for a quick look).
 *
 * @module
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { budget, observed, type GroupResult } from './lib/harness.js';
import { collectGarbage } from './lib/heap.js';
import { describeMachine, formatGroup, formatTarget, toMarkdown, writeResults } from './lib/report.js';
import type { Scenario, ScenarioContext, ScenarioResult, TargetCheck } from './lib/scenario.js';
import { writeChart } from './lib/svg.js';

/** Every scenario, in run order; each is a module whose default export is a {@link Scenario}. */
const SCENARIOS: { name: string; load: () => Promise<{ default: Scenario }> }[] = [
  { name: 'match', load: () => import('./scenarios/match.js') },
  { name: 'churn', load: () => import('./scenarios/churn.js') },
  { name: 'fan-out', load: () => import('./scenarios/fan-out.js') },
  { name: 'rate-limit', load: () => import('./scenarios/rate-limit.js') },
  { name: 'queues', load: () => import('./scenarios/queues.js') },
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
  const selected = SCENARIOS.filter((s) => wanted.some((f) => s.name.includes(f)));
  if (selected.length === 0) {
    throw new Error(`no scenario matches ${filters.join(', ')}; scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  }
  return selected;
}

async function runScenario(entry: (typeof SCENARIOS)[number]): Promise<ScenarioResult> {
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
    console.log(`\n── ${entry.name}: SKIPPED (${result.skipped})`);
    return result;
  }
  result.title = scenario.title;
  console.log(`\n── ${scenario.name}: ${scenario.title}`);
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

async function main(): Promise<void> {
  const scale = Number(process.env.BENCH_TIME ?? '1');
  if (!(scale > 0)) throw new RangeError(`BENCH_TIME must be a positive number (got ${process.env.BENCH_TIME})`);
  budget.timeMs *= scale;
  budget.warmupMs *= scale;
  const selected = selectScenarios(process.argv.slice(2));
  const machine = describeMachine();
  console.log(
    `logcaster bench · node ${machine.node} · ${machine.nproc} cores · ${machine.cpu} · ulimit -n ${machine.fdLimit}`,
  );
  const started = performance.now();
  const results: ScenarioResult[] = [];
  for (const entry of selected) {
    results.push(await runScenario(entry));
    // Each scenario starts on a clean heap: what one built must not slow the next.
    collectGarbage();
  }
  const file = writeResults(resultsPath, machine, results);
  writeFileSync(resultsPath.replace(/\.json$/, '.md'), toMarkdown(file));
  for (const result of results) {
    if (result.groups.length > 0) writeChart(chartsDir, result, machine);
  }
  const targets = results.flatMap((r) => r.targets);
  if (targets.length > 0) {
    console.log('\n── targets');
    for (const check of targets) console.log(formatTarget(check));
  }
  console.log(
    `\nwrote ${resultsPath} and ${chartsDir}/*.svg in ${((performance.now() - started) / 1000).toFixed(0)} s (checksum ${observed() % 1000})`,
  );
  const failed = results.filter((r) => r.skipped !== undefined && r.skipped.startsWith('failed'));
  if (failed.length > 0) process.exitCode = 1;
}

await main();
