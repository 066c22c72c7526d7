/**
 * The reporting side: the console table, the machine description, and
 * bench/results/latest.json.
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { dirname } from 'node:path';
import type { GroupResult } from './harness.js';
import type { ScenarioResult, TargetCheck } from './scenario.js';

/** Where and on what the numbers were taken. */
export interface Machine {
  node: string;
  nproc: number;
  cpu: string;
  platform: string;
  memoryGiB: number;
  /** `ulimit -n` of the bench process, which bounds the end-to-end client count. */
  fdLimit: string;
}

export function describeMachine(): Machine {
  let fdLimit: string;
  try {
    fdLimit = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
  } catch (error) {
    fdLimit = `unknown (${(error as Error).message})`;
  }
  return {
    node: process.version,
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    platform: `${process.platform} ${process.arch}`,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    fdLimit,
  };
}

/** 1234567 → "1,234,567"; small numbers keep three significant digits. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toLocaleString('en-US', { maximumSignificantDigits: 3 });
}

export function formatRatio(ratio: number): string {
  return `${ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}×`;
}

const pad = (text: string, width: number, right = false): string =>
  right ? text.padStart(width) : text.padEnd(width);

/** The table of one group, as lines of text. */
export function formatGroup(group: GroupResult): string[] {
  const better = group.higherIsBetter ? 'higher is better' : 'lower is better';
  const lines = [`  ${group.group} (${group.unit}, ${better})`];
  const nameWidth = Math.max(12, ...group.results.map((r) => r.name.length)) + 2;
  const hasSpread = group.results.some((r) => r.samples > 1);
  const ratioWidth = Math.max(18, `${group.subject ?? ''} / peer`.length + 2);
  const header =
    `    ${pad('contender', nameWidth)}${pad('median', 16, true)}` +
    (hasSpread ? `${pad('±MAD', 8, true)}${pad('samples', 9, true)}` : '') +
    (group.subject === undefined ? '' : `${pad(`${group.subject} / peer`, ratioWidth, true)}`);
  lines.push(header);
  for (const r of group.results) {
    const ratio = group.ratios[r.name];
    lines.push(
      `    ${pad(r.name, nameWidth)}${pad(formatNumber(r.median), 16, true)}` +
        (hasSpread ? `${pad(`${r.madPercent.toFixed(1)}%`, 8, true)}${pad(String(r.samples), 9, true)}` : '') +
        (group.subject === undefined ? '' : pad(ratio === undefined ? '—' : formatRatio(ratio), ratioWidth, true)),
    );
  }
  return lines;
}

export function formatTarget(check: TargetCheck): string {
  const op = check.kind === 'at-least' ? '≥' : '≤';
  const show = (v: number): string => (check.unit === undefined ? formatRatio(v) : `${formatNumber(v)} ${check.unit}`);
  return `  target ${check.met ? 'MET   ' : 'MISSED'} ${check.label}: ${show(check.value)} (${op} ${show(check.target)})`;
}

/** The shape of bench/results/latest.json. */
export interface ResultsFile {
  /** When the file was last written. */
  updated: string;
  machine: Machine;
  /** By scenario name; a filtered run replaces only the scenarios it ran. */
  scenarios: Record<string, ScenarioResult>;
}

/** Merges `results` into the JSON file (a filtered run keeps the other scenarios). */
export function writeResults(path: string, machine: Machine, results: ScenarioResult[]): ResultsFile {
  let previous: ResultsFile | undefined;
  try {
    previous = JSON.parse(readFileSync(path, 'utf8')) as ResultsFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      console.warn(`ignoring unreadable ${path}: ${(error as Error).message}`);
    }
  }
  const file: ResultsFile = {
    updated: new Date().toISOString(),
    machine,
    scenarios: { ...(previous?.scenarios ?? {}) },
  };
  for (const result of results) file.scenarios[result.name] = result;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
  return file;
}

/** The whole results file as Markdown tables (bench/results/latest.md), for READMEs. */
export function toMarkdown(file: ResultsFile): string {
  const m = file.machine;
  const out: string[] = [
    `Taken ${file.updated.slice(0, 10)} on ${m.cpu}, ${m.nproc} cores, ${m.memoryGiB} GiB, node ${m.node}, ${m.platform}, \`ulimit -n\` ${m.fdLimit}.`,
    '',
  ];
  for (const result of Object.values(file.scenarios)) {
    out.push(`### ${result.title} (\`${result.name}\`, ${result.date.slice(0, 10)})`, '');
    if (result.skipped !== undefined) {
      out.push(`Not run: ${result.skipped.split('\n')[0]}`, '');
      continue;
    }
    for (const group of result.groups) {
      const better = group.higherIsBetter ? 'higher is better' : 'lower is better';
      out.push(`**${group.group}** (${group.unit}, ${better})`, '');
      const withRatio = group.subject !== undefined;
      out.push(withRatio ? `| contender | median | ${group.subject} / peer |` : '| run | value |');
      out.push(withRatio ? '| --- | ---: | ---: |' : '| --- | ---: |');
      for (const r of group.results) {
        const ratio = group.ratios[r.name];
        const name = r.name === group.subject ? `**${r.name}**` : r.name;
        out.push(
          withRatio
            ? `| ${name} | ${formatNumber(r.median)} | ${ratio === undefined ? '—' : formatRatio(ratio)} |`
            : `| ${name} | ${formatNumber(r.median)} |`,
        );
      }
      out.push('');
    }
    for (const check of result.targets) out.push(`- ${formatTarget(check).trim()}`);
    for (const note of result.notes) out.push(`- ${note}`);
    out.push('');
  }
  return out.join('\n');
}
