/**
 * One SVG bar chart per scenario: a panel per group, a bar per contender scaled to the
 * group's largest value, logcaster's bar highlighted, the ratio printed beside each peer.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GroupResult } from './harness.js';
import { formatNumber, formatRatio, type Machine } from './report.js';
import type { ScenarioResult } from './scenario.js';

const WIDTH = 820;
const LABEL = 200;
const BAR_MAX = 400;
const BAR = 18;
const GAP = 6;
const SUBJECT_COLOR = '#2563eb';
const PEER_COLOR = '#9ca3af';

const escape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function panel(group: GroupResult, top: number): { svg: string; height: number } {
  const parts: string[] = [];
  const better = group.higherIsBetter ? 'higher is better' : 'lower is better';
  parts.push(
    `<text x="16" y="${top + 16}" font-size="14" font-weight="600">${escape(group.group)}</text>`,
    `<text x="16" y="${top + 33}" font-size="12" fill="#4b5563">${escape(`${group.unit}, ${better}`)}</text>`,
  );
  const max = Math.max(...group.results.map((r) => (Number.isFinite(r.median) ? r.median : 0)), 1e-12);
  let y = top + 44;
  for (const r of group.results) {
    const isSubject = r.name === group.subject;
    const value = Number.isFinite(r.median) ? r.median : 0;
    const length = Math.max(1, Math.round((value / max) * BAR_MAX));
    const ratio = group.ratios[r.name];
    const ratioText =
      ratio === undefined ? '' : `<tspan dx="10" fill="${SUBJECT_COLOR}">${escape(`${group.subject ?? ''} / this = ${formatRatio(ratio)}`)}</tspan>`;
    parts.push(
      `<text x="${LABEL - 8}" y="${y + 13}" font-size="12" text-anchor="end"${isSubject ? ' font-weight="600"' : ''}>${escape(r.name)}</text>`,
      `<rect x="${LABEL}" y="${y}" width="${length}" height="${BAR}" rx="2" fill="${isSubject ? SUBJECT_COLOR : PEER_COLOR}"/>`,
      `<text x="${LABEL + length + 6}" y="${y + 13}" font-size="12">${escape(formatNumber(r.median))}${ratioText}</text>`,
    );
    y += BAR + GAP;
  }
  return { svg: parts.join('\n'), height: y - top + 14 };
}

/** The chart of one scenario as an SVG document. */
export function renderChart(result: ScenarioResult, machine: Machine): string {
  const body: string[] = [];
  let y = 44;
  for (const group of result.groups) {
    const p = panel(group, y);
    body.push(p.svg);
    y += p.height;
  }
  const subtitle = `${result.date.slice(0, 10)} · node ${machine.node} · ${machine.nproc} cores · ${machine.cpu}`;
  const height = y + 8;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="16" y="22" font-size="16" font-weight="700">${escape(result.title)}</text>`,
    `<text x="16" y="38" font-size="11" fill="#6b7280">${escape(subtitle)}</text>`,
    ...body,
    `</svg>`,
    '',
  ].join('\n');
}

/** Writes `<dir>/<scenario>.svg`; returns the path. */
export function writeChart(dir: string, result: ScenarioResult, machine: Machine): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${result.name}.svg`);
  writeFileSync(path, renderChart(result, machine));
  return path;
}
