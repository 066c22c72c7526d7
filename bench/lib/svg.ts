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

const MIN_WIDTH = 820;
const MIN_BAR = 200;
const BAR = 18;
const GAP = 6;
const SUBJECT_COLOR = '#2563eb';
const PEER_COLOR = '#9ca3af';
/**
 * Conservative widths of one character, in pixels, for the sans-serif fonts at the sizes
 * used (digits and most letters are narrower): every label is laid out to fit inside the
 * chart, the chart widening where a label needs it.
 */
const CHAR_12 = 7.2;
const CHAR_14_BOLD = 8.6;
const CHAR_16_BOLD = 9.8;

const escape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Where the bars start, how long the longest is, and how wide the chart is. */
interface Layout {
  label: number;
  barMax: number;
  width: number;
}

const ratioText = (group: GroupResult, name: string): string => {
  const ratio = group.ratios[name];
  return ratio === undefined ? '' : `${group.subject ?? ''} / this = ${formatRatio(ratio)}`;
};

/** Sizes the columns so that names, values and ratios all fit inside the chart. */
function layout(result: ScenarioResult, subtitle: string): Layout {
  let names = 0;
  let values = 0;
  let titles = Math.max(result.title.length * CHAR_16_BOLD, subtitle.length * 6.6);
  for (const group of result.groups) {
    titles = Math.max(titles, group.group.length * CHAR_14_BOLD, `${group.unit}, higher is better`.length * CHAR_12);
    for (const r of group.results) {
      names = Math.max(names, r.name.length * CHAR_12);
      const ratio = ratioText(group, r.name);
      values = Math.max(values, (formatNumber(r.median).length + (ratio === '' ? 0 : ratio.length + 2)) * CHAR_12);
    }
  }
  const label = Math.ceil(16 + names + 8);
  const width = Math.ceil(Math.max(MIN_WIDTH, titles + 32, label + MIN_BAR + 6 + values + 16));
  return { label, barMax: Math.floor(width - label - 6 - values - 16), width };
}

function panel(group: GroupResult, top: number, size: Layout): { svg: string; height: number } {
  const parts: string[] = [];
  const better = group.higherIsBetter ? 'higher is better' : 'lower is better';
  parts.push(
    `<text x="16" y="${top + 16}" font-size="14" font-weight="600">${escape(group.group)}</text>`,
    `<text x="16" y="${top + 33}" font-size="12" fill="#4b5563">${escape(`${group.unit}, ${better}`)}</text>`,
  );
  const max = Math.max(...group.results.map((r) => (Number.isFinite(r.median) ? Math.max(0, r.median) : 0)), 1e-12);
  let y = top + 44;
  for (const r of group.results) {
    const isSubject = r.name === group.subject;
    const value = Number.isFinite(r.median) ? Math.max(0, r.median) : 0;
    const length = Math.max(1, Math.round((value / max) * size.barMax));
    const ratio = ratioText(group, r.name);
    const ratioSpan = ratio === '' ? '' : `<tspan dx="10" fill="${SUBJECT_COLOR}">${escape(ratio)}</tspan>`;
    parts.push(
      `<text x="${size.label - 8}" y="${y + 13}" font-size="12" text-anchor="end"${isSubject ? ' font-weight="600"' : ''}>${escape(r.name)}</text>`,
      `<rect x="${size.label}" y="${y}" width="${length}" height="${BAR}" rx="2" fill="${isSubject ? SUBJECT_COLOR : PEER_COLOR}"/>`,
      `<text x="${size.label + length + 6}" y="${y + 13}" font-size="12">${escape(formatNumber(r.median))}${ratioSpan}</text>`,
    );
    y += BAR + GAP;
  }
  return { svg: parts.join('\n'), height: y - top + 14 };
}

/** The chart of one scenario as an SVG document; every label fits inside its width. */
export function renderChart(result: ScenarioResult, machine: Machine): string {
  const subtitle = `${result.date.slice(0, 10)} · node ${machine.node} · ${machine.nproc} cores · ${machine.cpu}`;
  const size = layout(result, subtitle);
  const body: string[] = [];
  let y = 44;
  for (const group of result.groups) {
    const p = panel(group, y, size);
    body.push(p.svg);
    y += p.height;
  }
  const height = y + 8;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size.width}" height="${height}" viewBox="0 0 ${size.width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif">`,
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
