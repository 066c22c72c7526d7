/**
 * IRC wildcard masks (irc/mask.ts) against a reference model: the same mask as an anchored,
 * case-insensitive regular expression (`*` → `.*`, `?` → `.`).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchesMask, normalizeBanMask } from '../irc/mask.js';

function reference(mask: string, text: string): boolean {
  const pattern = mask.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^]*').replace(/\?/g, '[^]');
  return new RegExp(`^${pattern}$`).test(text.replace(/[A-Z]/g, (c) => c.toLowerCase()));
}

const alphabet = fc.constantFrom('a', 'B', 'b', '*', '?', '!', '@', '.', '[', '\\');

describe('matchesMask', () => {
  it('agrees with a regular-expression model on random masks and texts', () => {
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 8 }), fc.array(alphabet, { maxLength: 10 }), (m, t) => {
        const mask = m.join('');
        const text = t.join('');
        const lowered = mask.replace(/[A-Z]/g, (c) => c.toLowerCase());
        expect(matchesMask(mask, text)).toBe(reference(lowered, text));
      }),
      { numRuns: 2000 },
    );
  });

  it('matches the masks people type', () => {
    expect(matchesMask('ali*', 'Alice')).toBe(true);
    expect(matchesMask('*!*@10.0.0.?', 'a!b@10.0.0.7')).toBe(true);
    expect(matchesMask('*!*@10.0.0.?', 'a!b@10.0.0.17')).toBe(false);
    expect(matchesMask('#dev*', '#devops')).toBe(true);
    expect(matchesMask('', '')).toBe(true);
    expect(matchesMask('', 'x')).toBe(false);
  });

  it('completes ban masks as servers do', () => {
    expect(normalizeBanMask('carol')).toBe('carol!*@*');
    expect(normalizeBanMask('*@10.0.0.1')).toBe('*!*@10.0.0.1');
    expect(normalizeBanMask('carol!~c')).toBe('carol!~c@*');
    expect(normalizeBanMask('a!b@c')).toBe('a!b@c');
  });
});
