/**
 * A fixed-bucket latency histogram in microseconds: 10 µs buckets up to 100 ms, then 1 ms
 * buckets up to 10 s. Recording is an array increment, so millions of samples cost nothing
 * in memory and do not disturb what is measured.
 *
 * @module
 */
const FINE_LIMIT_US = 100_000;
const FINE_STEP_US = 10;
const COARSE_STEP_US = 1_000;
const FINE_BUCKETS = FINE_LIMIT_US / FINE_STEP_US;
const COARSE_BUCKETS = 9_900;

export class LatencyHistogram {
  private readonly buckets = new Uint32Array(FINE_BUCKETS + COARSE_BUCKETS + 1);
  /** Samples recorded. */
  count = 0;
  /** Largest sample, in microseconds. */
  max = 0;

  /** Records one latency in microseconds (negative values count as 0). */
  record(us: number): void {
    const v = us < 0 ? 0 : us;
    let index: number;
    if (v < FINE_LIMIT_US) index = Math.floor(v / FINE_STEP_US);
    else index = Math.min(FINE_BUCKETS + Math.floor((v - FINE_LIMIT_US) / COARSE_STEP_US), this.buckets.length - 1);
    this.buckets[index]++;
    this.count++;
    if (v > this.max) this.max = v;
  }

  /** The `q`-quantile in milliseconds (upper edge of its bucket); NaN when empty. */
  quantileMs(q: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.ceil(q * this.count);
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i];
      if (seen >= rank) {
        const upper = i < FINE_BUCKETS ? (i + 1) * FINE_STEP_US : FINE_LIMIT_US + (i - FINE_BUCKETS + 1) * COARSE_STEP_US;
        return Math.min(upper, this.max) / 1000;
      }
    }
    return this.max / 1000;
  }
}
