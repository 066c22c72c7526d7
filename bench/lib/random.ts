/**
 * Deterministic pseudo-random numbers for the bench data: the same seed gives the same
 * subscriptions and topics on every machine, so two runs measure the same work.
 *
 * @module
 */

/** A seeded generator of uniform numbers in [0, 1) (a 32-bit xorshift-multiply mix). */
export class Random {
  private state: number;

  constructor(seed: number) {
    // Avoid the all-zero state, which would stay zero.
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  /** A uniform number in [0, 1). */
  next(): number {
    let x = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** One element of `items`, uniformly. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
}

/**
 * Draws indices in [0, n) with a Zipf-like skew (weight of rank k is 1 / (k + 1)^s): a few
 * values are very common and a long tail is rare, as topics are in a real log stream.
 */
export class Zipf {
  private readonly cumulative: Float64Array;

  constructor(
    private readonly random: Random,
    n: number,
    s = 1,
  ) {
    this.cumulative = new Float64Array(n);
    let total = 0;
    for (let k = 0; k < n; k++) {
      total += 1 / Math.pow(k + 1, s);
      this.cumulative[k] = total;
    }
    for (let k = 0; k < n; k++) this.cumulative[k] /= total;
  }

  /** The next rank, 0 being the most frequent. */
  next(): number {
    const u = this.random.next();
    const c = this.cumulative;
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (c[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
