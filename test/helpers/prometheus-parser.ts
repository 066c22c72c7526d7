/**
 * A strict parser for the Prometheus text exposition format (0.0.4), enough to check what
 * BroadcastMetrics writes: HELP/TYPE lines, samples with escaped label values.
 */
export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedFamily {
  name: string;
  type: string;
  help: string;
  samples: ParsedSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

function unescapeHelp(text: string): string {
  return text.replace(/\\(\\|n)/g, (_m, c: string) => (c === 'n' ? '\n' : '\\'));
}

function parseLabels(text: string, line: string): [Record<string, string>, string] {
  const labels: Record<string, string> = {};
  let rest = text;
  if (!rest.startsWith('{')) return [labels, rest];
  rest = rest.slice(1);
  while (!rest.startsWith('}')) {
    const name = LABEL_NAME.exec(rest)?.[0];
    if (name === undefined) throw new Error(`bad label name in: ${line}`);
    rest = rest.slice(name.length);
    if (!rest.startsWith('="')) throw new Error(`expected =" in: ${line}`);
    rest = rest.slice(2);
    let value = '';
    for (;;) {
      const c = rest[0];
      if (c === undefined) throw new Error(`unterminated label value in: ${line}`);
      if (c === '"') break;
      if (c === '\\') {
        const next = rest[1];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new Error(`bad escape \\${String(next)} in: ${line}`);
        rest = rest.slice(2);
        continue;
      }
      if (c === '\n') throw new Error(`raw newline in label value: ${line}`);
      value += c;
      rest = rest.slice(1);
    }
    rest = rest.slice(1);
    if (name in labels) throw new Error(`duplicate label ${name} in: ${line}`);
    labels[name] = value;
    if (rest.startsWith(',')) rest = rest.slice(1);
    else if (!rest.startsWith('}')) throw new Error(`expected , or } in: ${line}`);
  }
  return [labels, rest.slice(1)];
}

function parseValue(text: string, line: string): number {
  if (text === 'NaN') return NaN;
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (!/^-?\d+(\.\d+)?(e[-+]?\d+)?$/i.test(text)) throw new Error(`bad value ${text} in: ${line}`);
  return Number(text);
}

/** Parses the exposition text; throws on anything malformed. */
export function parsePrometheus(text: string): Map<string, ParsedFamily> {
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const families = new Map<string, ParsedFamily>();
  let current: ParsedFamily | undefined;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) {
      const rest = line.slice(7);
      const name = NAME.exec(rest)?.[0];
      if (name === undefined) throw new Error(`bad HELP: ${line}`);
      if (families.has(name)) throw new Error(`family ${name} declared twice`);
      current = { name, type: 'untyped', help: unescapeHelp(rest.slice(name.length + 1)), samples: [] };
      families.set(name, current);
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ');
      if (current?.name !== name) throw new Error(`TYPE without HELP for ${name}`);
      if (!['counter', 'gauge', 'summary', 'histogram', 'untyped'].includes(type)) throw new Error(`bad type ${type}`);
      current.type = type;
      continue;
    }
    if (line.startsWith('#')) continue;
    const name = NAME.exec(line)?.[0];
    if (name === undefined || current === undefined) throw new Error(`bad sample line: ${line}`);
    if (name !== current.name && !(current.type === 'summary' && (name === `${current.name}_sum` || name === `${current.name}_count`))) {
      throw new Error(`sample ${name} outside its family ${current.name}`);
    }
    const [labels, rest] = parseLabels(line.slice(name.length), line);
    if (!rest.startsWith(' ')) throw new Error(`expected a space before the value: ${line}`);
    current.samples.push({ name, labels, value: parseValue(rest.slice(1), line) });
  }
  return families;
}
