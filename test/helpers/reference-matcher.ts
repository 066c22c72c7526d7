/**
 * The naive matcher the trie is checked against: the spec written as plainly as possible,
 * level by level, with recursion (fine for the short topics the property tests use).
 */
export function referenceMatches(pattern: string, topic: string, sep = '/', one = '*', many = '#'): boolean {
  const p = pattern.split(sep);
  const t = topic.split(sep);
  if (t[0].startsWith('$') && (p[0] === one || p[0] === many)) return false;
  const walk = (i: number, j: number): boolean => {
    if (i === p.length) return j === t.length;
    if (p[i] === many) return true; // zero or more remaining levels
    if (j === t.length) return false;
    if (p[i] === one || p[i] === t[j]) return walk(i + 1, j + 1);
    return false;
  };
  return walk(0, 0);
}
