/**
 * The latency histogram kept in each per-minute bucket: log-spaced buckets, each 1.5 times as wide as the one
 * before, from 0.5 ms up (bucket 0 holds everything up to 0.5 ms, the last one everything past ~4.5 minutes).
 * Counts are stored sparsely by bucket index, so they add up across minutes with a plain `$inc` and merge by
 * summing. A quantile interpolated inside its bucket is within the bucket's width of the true value: good enough
 * for p95 on a dashboard, with 36 numbers at most per minute.
 */
export const FIRST_BOUND_MS = 0.5;
export const GROWTH = 1.5;
export const LAST_BUCKET = 35;

/** Sparse counts: bucket index → calls. */
export type LatencyCounts = Record<number, number>;

/** The index of the bucket a duration falls in. */
export function bucketIndex(durationMs: number): number {
  if (!(durationMs > FIRST_BOUND_MS)) return 0; // also NaN and negatives
  const index = Math.ceil(Math.log(durationMs / FIRST_BOUND_MS) / Math.log(GROWTH) - 1e-9);
  return Math.min(LAST_BUCKET, index);
}

/** The upper bound of bucket `index` (its lower bound is the bound of `index - 1`, or 0). */
export function upperBound(index: number): number {
  return FIRST_BOUND_MS * GROWTH ** index;
}

/** Adds `from` into `into` (no arrays built: series fold thousands of these per query). */
export function mergeCounts(into: LatencyCounts, from: LatencyCounts): LatencyCounts {
  for (const k in from) {
    const index = Number(k);
    into[index] = (into[index] ?? 0) + from[index];
  }
  return into;
}

/**
 * The q-quantile (0 < q <= 1), interpolated linearly inside its bucket; null without any call. One pass over the
 * bucket indices in order, nothing allocated.
 */
export function quantile(counts: LatencyCounts, q: number): number | null {
  let total = 0;
  let highest = -1;
  for (let i = 0; i <= LAST_BUCKET; i++) {
    const n = counts[i];
    if (n > 0) {
      total += n;
      highest = i;
    }
  }
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i <= highest; i++) {
    const n = counts[i];
    if (!(n > 0)) continue;
    if (seen + n >= rank) {
      const low = i === 0 ? 0 : upperBound(i - 1);
      const high = upperBound(i);
      return low + (high - low) * ((rank - seen) / n);
    }
    seen += n;
  }
  return upperBound(highest);
}
