import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bucketIndex,
  LAST_BUCKET,
  type LatencyCounts,
  mergeCounts,
  quantile,
  upperBound,
} from './latency-histogram.js';

function countsOf(durations: number[]): LatencyCounts {
  const counts: LatencyCounts = {};
  for (const d of durations) counts[bucketIndex(d)] = (counts[bucketIndex(d)] ?? 0) + 1;
  return counts;
}

describe('latency histogram', () => {
  it('puts a duration in the bucket whose bounds contain it', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 200_000, noNaN: true }), (ms) => {
        const i = bucketIndex(ms);
        expect(ms).toBeLessThanOrEqual(upperBound(i) * (1 + 1e-9));
        if (i > 0) expect(ms).toBeGreaterThan(upperBound(i - 1) * (1 - 1e-9));
      }),
    );
  });

  it('keeps everything past the last bound in the last bucket, and nonsense in the first', () => {
    expect(bucketIndex(10 * 60_000)).toBe(LAST_BUCKET);
    expect(bucketIndex(-5)).toBe(0);
    expect(bucketIndex(Number.NaN)).toBe(0);
  });

  it('estimates a quantile within the width of the bucket holding the true one', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.01, max: 60_000, noNaN: true }), { minLength: 1, maxLength: 300 }),
        (ds) => {
          const sorted = [...ds].sort((a, b) => a - b);
          const exact = sorted[Math.max(0, Math.ceil(0.95 * sorted.length) - 1)];
          const estimate = quantile(countsOf(ds), 0.95)!;
          const i = bucketIndex(exact);
          expect(estimate).toBeGreaterThanOrEqual((i === 0 ? 0 : upperBound(i - 1)) * (1 - 1e-9));
          expect(estimate).toBeLessThanOrEqual(upperBound(i) * (1 + 1e-9));
        },
      ),
    );
  });

  it('merges minutes by adding counts, giving the quantile of all their calls', () => {
    const a = [1, 2, 3, 400];
    const b = [5, 6, 7, 8, 9];
    expect(quantile(mergeCounts(countsOf(a), countsOf(b)), 0.5)).toBe(quantile(countsOf([...a, ...b]), 0.5));
  });

  it('has no quantile without calls', () => {
    expect(quantile({}, 0.95)).toBeNull();
  });
});
