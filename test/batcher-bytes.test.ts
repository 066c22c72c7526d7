import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Batcher } from '../src/index.js';

/** Lets queued microtasks (the flush pump) run. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

/** The batching rule written plainly: measure every item, seal before passing maxBytes, seal at a bound. */
function referenceBatches(items: string[], maxItems: number, maxBytes: number): string[][] {
  const out: string[][] = [];
  let open: string[] = [];
  let bytes = 0;
  const seal = (): void => {
    if (open.length > 0) out.push(open);
    open = [];
    bytes = 0;
  };
  for (const item of items) {
    const size = Buffer.byteLength(item, 'utf8');
    if (open.length > 0 && bytes + size > maxBytes) seal();
    open.push(item);
    bytes += size;
    if (open.length >= maxItems || bytes >= maxBytes) seal();
  }
  seal();
  return out;
}

describe('Batcher byte bound with strings measured lazily', () => {
  it('cuts exactly the batches an item-by-item UTF-8 count would, for any text (property)', async () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'é', '€', '😀', '中', ' '), maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(fc.array(text, { maxLength: 60 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 64 }), async (items, maxItems, maxBytes) => {
        const batches: string[][] = [];
        const batcher = new Batcher<string>({ maxItems, maxBytes, maxDelayMs: 60_000, flush: (batch) => void batches.push(batch) });
        for (const item of items) batcher.add(item);
        await batcher.close({ drain: true });
        await settle();
        expect(batches).toEqual(referenceBatches(items, maxItems, maxBytes));
      }),
      { numRuns: 400 },
    );
  });

  it('never hands over a batch past maxBytes unless it is one item bigger than the bound', async () => {
    const batches: string[][] = [];
    const batcher = new Batcher<string>({ maxItems: 1000, maxBytes: 100, maxDelayMs: 60_000, flush: (batch) => void batches.push(batch) });
    for (let i = 0; i < 200; i++) batcher.add(i % 7 === 0 ? '😀😀😀' : 'line €\n');
    batcher.add('x'.repeat(150));
    await batcher.close({ drain: true });
    for (const batch of batches) {
      const bytes = batch.reduce((sum, item) => sum + Buffer.byteLength(item), 0);
      if (batch.length > 1) expect(bytes).toBeLessThanOrEqual(100);
    }
    expect(batches.flat()).toHaveLength(201);
  });
});
