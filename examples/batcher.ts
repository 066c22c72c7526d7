// A `Batcher` writing log lines to a file: a few large writes instead of one per line.
//
// Shows: `add()` only collects; the batch goes to `flush` (one file write) when it holds
// `maxItems` lines, when `maxDelayMs` has passed since its first line, or at once when a
// 'high' priority line arrives (that line goes first in its batch). Flushes never overlap,
// and `close()` flushes what is left.
//
// Watch: 251 lines become 4 writes: 100 (maxItems), 51 (sealed by the ERROR line, which
// leads it), 70 (the 50 ms delay, no more lines came), 30 (close). The file is read back:
// every line is there, once.
//
// Run: npm run example -- batcher [file]   (or: npx tsx examples/batcher.ts [file])
// Without a file it writes to a temporary one and removes it at the end.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Batcher } from 'logcaster';

const scratch = process.argv[2] === undefined ? mkdtempSync(join(tmpdir(), 'logcaster-batcher-')) : undefined;
const path = process.argv[2] ?? join(scratch ?? '.', 'batched.log');
const file = await open(path, 'w');

let writes = 0;
const batcher = new Batcher<string>({
  maxItems: 100,
  maxDelayMs: 50,
  flush: async (lines) => {
    writes++;
    await file.write(lines.join(''));
    console.log(`write ${writes}: ${lines.length} lines, first: ${lines[0].trimEnd()}`);
  },
});
// A failed write is reported with its lines, so they could be retried.
batcher.on('error', (error, lines) => console.error(`write of ${lines.length} lines failed:`, error));

for (let n = 0; n < 220; n++) {
  batcher.add(`INFO request ${n} served\n`);
  if (n === 149) batcher.add('ERROR disk almost full\n', 'high');
}
await sleep(100); // longer than maxDelayMs: the open batch flushes on its timer
for (let n = 220; n < 250; n++) batcher.add(`INFO request ${n} served\n`);
await batcher.close({ drain: true }); // flushes the rest and waits for every write
await file.close();

const written = readFileSync(path, 'utf8').split('\n').filter((line) => line !== '');
const distinct = new Set(written).size;
const { batches, items } = batcher.stats();
console.log(`${items} lines in ${batches} writes; ${path} has ${written.length} lines, ${distinct} distinct`);
if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
