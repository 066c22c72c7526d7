/**
 * The user-facing documents (README.md and docs/*.md) as the documentation tests read them:
 * their fenced code blocks and their table rows.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root directory. */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** One document: its path from the root and its text. */
export interface Doc {
  readonly path: string;
  readonly text: string;
}

/** README.md, then every docs/*.md in name order. */
export function userDocs(): Doc[] {
  const docs = readdirSync(join(repoRoot, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs].map((path) => ({ path, text: readFileSync(join(repoRoot, path), 'utf8') }));
}

/** A fenced code block: its language tag, its code, and the line its fence opens on (1-based). */
export interface CodeBlock {
  readonly lang: string;
  readonly code: string;
  readonly line: number;
}

/** Every fenced code block of a Markdown text (fences of three backticks at the start of a line). */
export function codeBlocks(text: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  for (const match of text.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)) {
    const line = text.slice(0, match.index).split('\n').length;
    blocks.push({ lang: match[1], code: match[2], line });
  }
  return blocks;
}

/** The text of a Markdown table's rows (lines starting with `|`), code blocks excluded. */
export function tableRows(text: string): string[] {
  const outsideCode = text.replace(/^```\w*\n[\s\S]*?^```$/gm, '');
  return outsideCode.split('\n').filter((line) => line.startsWith('|'));
}

/** The lines of a document's section: from its `## heading` up to the next `## ` heading. */
export function section(text: string, heading: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line === `## ${heading}`);
  if (start < 0) throw new Error(`no section "## ${heading}"`);
  const end = lines.findIndex((line, i) => i > start && line.startsWith('## '));
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}
