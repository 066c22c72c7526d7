import { describe, expect, it } from 'vitest';
import { SnapshotCache, type Snapshot } from '../src/broker/snapshot-cache.js';
import { resolveTopicSyntax } from '../src/topics/topic.js';

const syntax = resolveTopicSyntax();
const snapshotOf = (topic: string): Snapshot<string> => ({ targets: [topic], sinks: undefined, length: 1, plain: true, handlers: undefined, liveAt: -1 });

/** What a broker does per publish: the cached snapshot, or resolve and offer it. Returns whether it resolved. */
function publish(cache: SnapshotCache<string>, topic: string): boolean {
  const found = cache.get(topic);
  if (found !== undefined) {
    expect(found.targets[0]).toBe(topic);
    return false;
  }
  cache.set(topic, snapshotOf(topic));
  return true;
}

describe('SnapshotCache', () => {
  it('serves a repeated topic without resolving it again', () => {
    const cache = new SnapshotCache<string>(1024, syntax);
    expect(publish(cache, 'a/b')).toBe(true);
    for (let i = 0; i < 100; i++) expect(publish(cache, 'a/b')).toBe(false);
  });

  it('still serves a burst on one topic from its memo once unique topics have switched the cache off', () => {
    const cache = new SnapshotCache<string>(1024, syntax);
    for (let i = 0; i < 20_000; i++) publish(cache, `jobs/${i}/done`);
    // The stream of unique topics switched the cache off (nothing in it repeats).
    expect((cache as unknown as { cache: { active: boolean } }).cache.active).toBe(false);
    let resolved = 0;
    for (let i = 0; i < 1_000; i++) if (publish(cache, 'alerts/db/down')) resolved++;
    // Memoised within the first 16 resolves (one in 16 while off), then served from the memo.
    expect(resolved).toBeGreaterThan(0);
    expect(resolved).toBeLessThanOrEqual(16);
  });

  it('forgets a memo the moment a subscription change could affect it', () => {
    const cache = new SnapshotCache<string>(1024, syntax);
    publish(cache, 'a/b');
    cache.invalidate('a/#');
    expect(publish(cache, 'a/b')).toBe(true);
  });
});
