/**
 * The Prometheus text exposition format (version 0.0.4), written by hand: it is a few
 * lines of escaping rules, not worth a dependency.
 *
 * @module
 */

/** @internal A metric family's type. */
export type PrometheusType = 'counter' | 'gauge' | 'summary';

/** @internal One sample line. `suffix` extends the family name (`_sum`, `_count`). */
export interface PrometheusSample {
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: number;
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

/** @internal Collects metric families and renders them in the text format. */
export class PrometheusWriter {
  private readonly lines: string[] = [];

  family(name: string, type: PrometheusType, help: string, samples: readonly PrometheusSample[]): this {
    this.lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
    for (const sample of samples) {
      this.lines.push(`${name}${sample.suffix ?? ''}${formatLabels(sample.labels)} ${formatValue(sample.value)}`);
    }
    return this;
  }

  toString(): string {
    return this.lines.length === 0 ? '' : `${this.lines.join('\n')}\n`;
  }
}
