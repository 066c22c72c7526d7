import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const scratch = join(root, '.tmp', 'readme');

/** The README's TypeScript blocks that import logcaster: the quick starts a user copies. */
async function readmeExamples(): Promise<string[]> {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks.filter((code) => /from 'logcaster'/.test(code));
}

describe('README quick starts', () => {
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('type-check and run as written', async () => {
    const examples = await readmeExamples();
    expect(examples.length).toBeGreaterThanOrEqual(3);
    await mkdir(scratch, { recursive: true });
    const files: string[] = [];
    for (const [i, code] of examples.entries()) {
      const file = join(scratch, `example-${i}.ts`);
      await writeFile(file, `${code}\nexport {};\n`);
      files.push(file);
    }
    await writeFile(
      join(scratch, 'tsconfig.json'),
      JSON.stringify({ extends: '../../tsconfig.json', compilerOptions: { noEmit: true }, include: ['./*.ts'] }),
    );
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    await run(process.execPath, [tsc, '-p', join(scratch, 'tsconfig.json')], { cwd: root }).catch((error: { stdout?: string }) => {
      throw new Error(`README examples do not type-check:\n${error.stdout ?? String(error)}`);
    });
    const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    for (const file of files) {
      const { stderr } = await run(process.execPath, [tsx, file], { cwd: root, timeout: 15_000 });
      expect(stderr).toBe('');
    }
  }, 60_000);
});
