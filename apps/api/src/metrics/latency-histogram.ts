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

/** Adds `from` into `into`. */
export function mergeCounts(into: LatencyCounts, from: LatencyCounts): LatencyCounts {
  for (const [k, n] of Object.entries(from)) into[Number(k)] = (into[Number(k)] ?? 0) + n;
  return into;
}

/** The q-quantile (0 < q <= 1), interpolated linearly inside its bucket; null without any call. */
export function quantile(counts: LatencyCounts, q: number): number | null {
  const entries = Object.entries(counts)
    .map(([k, n]) => [Number(k), n] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => a[0] - b[0]);
  const total = entries.reduce((s, [, n]) => s + n, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (const [index, n] of entries) {
    if (seen + n >= rank) {
      const low = index === 0 ? 0 : upperBound(index - 1);
      const high = upperBound(index);
      return low + (high - low) * ((rank - seen) / n);
    }
    seen += n;
  }
  return upperBound(entries[entries.length - 1][0]);
}
