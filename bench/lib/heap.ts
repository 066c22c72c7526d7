/**
 * Heap measurements: a full garbage collection on demand, and the bytes a structure keeps.
 *
 * @module
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Collect = () => void;

function resolveGc(): Collect {
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === 'function') return exposed as Collect;
  // Same effect as starting node with --expose-gc, without re-spawning: the flag is read
  // when a new context is created, and that context's `gc` collects the whole isolate.
  setFlagsFromString('--expose-gc');
  const gc: unknown = runInNewContext('gc');
  if (typeof gc !== 'function') throw new Error('could not expose gc (try: node --expose-gc --import tsx bench/run.ts)');
  return gc as Collect;
}

const gc = resolveGc();

/** Runs full collections until the heap stops shrinking (at most 5). */
export function collectGarbage(): void {
  let last = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    gc();
    const used = process.memoryUsage().heapUsed;
    if (used >= last - 1024) return;
    last = used;
  }
}

/**
 * The heap bytes retained by what `build` returns: a full collection before and after, so
 * garbage made while building does not count. Inputs should be allocated before the call.
 */
export function retainedBytes<T>(build: () => T): { bytes: number; value: T } {
  collectGarbage();
  const before = process.memoryUsage().heapUsed;
  const value = build();
  collectGarbage();
  const after = process.memoryUsage().heapUsed;
  return { bytes: after - before, value };
}
