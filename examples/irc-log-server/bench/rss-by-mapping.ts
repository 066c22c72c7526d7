/**
 * Where a process's resident memory is, by kind of mapping, from /proc/<pid>/smaps (Linux):
 * the node binary's own pages (file-backed: code and read-only data the kernel maps in as
 * they are touched, shared with every other node process but counted in each one's RSS),
 * shared libraries, malloc's main arena (`[heap]`) and per-thread arenas, thread stacks, and
 * the rest of the anonymous memory, which in a Node process is mostly V8's heap pages.
 *
 * The kinds of anonymous mappings are told apart by their shape, as glibc and the kernel
 * make them: a thread arena is a 64 MiB-aligned reservation (HEAP_MAX_SIZE) whose used part
 * is read-write and the rest inaccessible; a thread stack is a read-write mapping of
 * 1–9 MiB right above a small inaccessible guard. Used by heap-by-constructor.ts (issue 24 §3).
 *
 * @module
 */
import { readFileSync, readlinkSync } from 'node:fs';

interface Mapping {
  start: number;
  end: number;
  perms: string;
  path: string;
  rssKiB: number;
}

/** The kinds, in the order they are printed. */
export const MAPPING_KINDS = [
  'node binary (file-backed)',
  'shared libraries',
  'malloc main arena ([heap])',
  'malloc thread arenas',
  'thread stacks',
  'V8 code (anonymous, executable)',
  'V8 heap and other anonymous',
  'other',
] as const;

/** A kind of mapping. */
export type MappingKind = (typeof MAPPING_KINDS)[number];

const ARENA = 64 * 2 ** 20;

function mappings(pid: number): Mapping[] {
  const list: Mapping[] = [];
  let current: Mapping | undefined;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'latin1').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head !== null) {
      current = { start: parseInt(head[1], 16), end: parseInt(head[2], 16), perms: head[3], path: head[4].trim(), rssKiB: 0 };
      list.push(current);
    } else if (current !== undefined && line.startsWith('Rss:')) {
      current.rssKiB = Number(/(\d+)/.exec(line)?.[1] ?? 0);
    }
  }
  return list;
}

function kindOf(list: Mapping[], i: number, exe: string): MappingKind {
  const m = list[i];
  if (m.path === exe) return 'node binary (file-backed)';
  if (m.path === '[heap]') return 'malloc main arena ([heap])';
  if (m.path === '[stack]') return 'thread stacks';
  if (m.path !== '') return m.path.includes('.so') ? 'shared libraries' : 'other';
  const next = list[i + 1];
  const prev = list[i - 1];
  const size = m.end - m.start;
  if (m.start % ARENA === 0 && (size === ARENA || (next?.perms === '---p' && next.start === m.end && next.end - m.start === ARENA))) return 'malloc thread arenas';
  if (prev?.perms === '---p' && prev.end === m.start && prev.end - prev.start <= 64 * 1024 && size >= 2 ** 20 && size <= 9 * 2 ** 20) return 'thread stacks';
  if (m.perms.includes('x')) return 'V8 code (anonymous, executable)';
  return 'V8 heap and other anonymous';
}

/** Resident KiB of `pid` by kind of mapping (Linux only). */
export function rssByMapping(pid: number): Map<MappingKind, number> {
  const exe = readlinkSync(`/proc/${pid}/exe`);
  const list = mappings(pid);
  const totals = new Map<MappingKind, number>(MAPPING_KINDS.map((kind) => [kind, 0]));
  for (let i = 0; i < list.length; i++) {
    const kind = kindOf(list, i, exe);
    totals.set(kind, (totals.get(kind) ?? 0) + list[i].rssKiB);
  }
  return totals;
}

/** A Markdown table of several processes' {@link rssByMapping}, MiB, one column each. */
export function mappingTable(columns: { name: string; kinds: Map<MappingKind, number> }[]): string {
  const mib = (kib: number): string => (kib / 1024).toFixed(1);
  const rows = [`| MiB | ${columns.map((c) => c.name).join(' | ')} |`, `| --- |${columns.map(() => ' ---: |').join('')}`];
  for (const kind of MAPPING_KINDS) rows.push(`| ${kind} | ${columns.map((c) => mib(c.kinds.get(kind) ?? 0)).join(' | ')} |`);
  const total = (kinds: Map<MappingKind, number>): number => [...kinds.values()].reduce((a, b) => a + b, 0);
  rows.push(`| **total RSS** | ${columns.map((c) => `**${mib(total(c.kinds))}**`).join(' | ')} |`);
  return rows.join('\n');
}
