/**
 * The Prometheus text exposition format (version 0.0.4), written by hand: it is a few
 * lines of escaping rules, not worth a dependency.
 *
 * @module
 */

/** A metric family's type, as written on its `# TYPE` line. */
export type PrometheusType = 'counter' | 'gauge' | 'summary';

/** One sample line of a family. */
export interface PrometheusSample {
  /** Label names and values; values are escaped when written. @default no labels */
  readonly labels?: Readonly<Record<string, string>>;
  /** The value; `NaN` and infinities are written as Prometheus spells them. */
  readonly value: number;
  /** Appended to the family name, e.g. `_sum` or `_count` of a summary. @default '' */
  readonly suffix?: string;
}

/** Escapes a label value: backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** Escapes `# HELP` text: backslash and line feed. */
const escapeHelp = (text: string): string => text.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\'));

const formatValue = (value: number): string => {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
};

const formatLabels = (labels: Readonly<Record<string, string>> | undefined): string => {
  if (labels === undefined) return '';
  const parts: string[] = [];
  for (const name of Object.keys(labels)) parts.push(`${name}="${escapeLabelValue(labels[name])}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
};

/**
 * Collects metric families and renders them in the Prometheus text exposition format
 * (0.0.4): `# HELP` and `# TYPE` lines, then one line per sample, with help text and label
 * values escaped. `BroadcastMetrics.toPrometheus()` uses it; use it for your own counters so
 * one `/metrics` page can hold both.
 *
 * @example
 * ```ts
 * const text = new PrometheusWriter()
 *   .family('app_clients', 'gauge', 'Connected clients.', [{ value: 3 }])
 *   .family('app_lines_total', 'counter', 'Lines sent.', [{ labels: { channel: '#ops' }, value: 120 }])
 *   .toString();
 * ```
 */
export class PrometheusWriter {
  private readonly lines: string[] = [];

  /**
   * Adds one family. `name` and label names are written as given (they must already be
   * valid Prometheus names); help text and label values are escaped.
   *
   * @returns this writer, to chain calls.
   */
  family(name: string, type: PrometheusType, help: string, samples: readonly PrometheusSample[]): this {
    this.lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
    for (const sample of samples) {
      this.lines.push(`${name}${sample.suffix ?? ''}${formatLabels(sample.labels)} ${formatValue(sample.value)}`);
    }
    return this;
  }

  /** The families added so far as exposition text, ending with a newline (empty when none). */
  toString(): string {
    return this.lines.length === 0 ? '' : `${this.lines.join('\n')}\n`;
  }
}
