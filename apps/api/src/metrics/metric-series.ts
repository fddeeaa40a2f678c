import { mergeCounts, quantile } from './latency-histogram.js';
import { type MetricName, type MetricWindow, RESOLUTION_MS, type Resolution } from './metrics.entity.js';

/** The most windows one answer carries: a week of minutes, five weeks of 5-minute windows, a year of hours … */
export const MAX_METRIC_WINDOWS = 10_080;

const MINUTE = 60_000;
const MIB = 1024 * 1024;

export interface MetricPoint {
  /** Start of the window (ISO 8601): one string per window, shared by every series. */
  timestamp: string;
  value: number;
}

/** What the metrics endpoint answers, before it becomes JSON. */
export interface MetricSeries {
  /** `start` rounded down to the resolution: the first window's start. */
  start: Date;
  end: Date;
  resolution: Resolution;
  series: Partial<Record<MetricName, MetricPoint[]>>;
  totals: {
    calls: number;
    errors: number;
    errorRate: number;
    avgResponseMs: number | null;
    p95ResponseMs: number | null;
    memoryMaxBytes: number | null;
  };
}

/** Windows of `resolution` from `start` rounded down to it up to `end` (exclusive). */
export function windowCount(start: Date, end: Date, resolution: Resolution): number {
  const size = RESOLUTION_MS[resolution];
  const first = Math.floor(start.getTime() / size) * size;
  return Math.max(0, Math.ceil((end.getTime() - first) / size));
}

const round3 = (value: number) => Math.round(value * 1000) / 1000;
const round4 = (value: number) => Math.round(value * 10_000) / 10_000;

/**
 * The series the caller asked for, from the windows that had data (oldest first, as the repository folds them).
 * Counting series (calls, errors, requests_per_minute, error_rate) have a point for every window of the range, 0
 * where nothing ran; response times only where there were calls, memory only where a call measured it. One pass
 * over the windows of the range, walking the stored ones alongside (no lookup per window), one timestamp string per
 * window; a series not asked for is not built.
 */
export function buildSeries(
  windows: readonly MetricWindow[],
  range: { start: Date; end: Date; resolution: Resolution },
  names: readonly MetricName[],
): MetricSeries {
  const size = RESOLUTION_MS[range.resolution];
  const first = Math.floor(range.start.getTime() / size) * size;
  const count = windowCount(range.start, range.end, range.resolution);
  const series: MetricSeries['series'] = {};
  for (const name of names) series[name] = [];
  const calls$ = series.calls;
  const errors$ = series.errors;
  const rpm$ = series.requests_per_minute;
  const errorRate$ = series.error_rate;
  const avg$ = series.response_time_ms;
  const p95$ = series.response_time_p95_ms;
  const memory$ = series.memory_usage_mb;
  const perMinute = size / MINUTE;

  const latency = {};
  let calls = 0;
  let errors = 0;
  let durationSum = 0;
  let memoryMax: number | null = null;

  let next = 0;
  while (next < windows.length && windows[next].start.getTime() < first) next++;
  for (let i = 0; i < count; i++) {
    const at = first + i * size;
    const timestamp = new Date(at).toISOString();
    let w: MetricWindow | undefined;
    while (next < windows.length) {
      const start = windows[next].start.getTime();
      if (start > at) break;
      if (start === at) w = windows[next];
      next++;
    }
    const n = w?.calls ?? 0;
    const e = w?.errors ?? 0;
    calls$?.push({ timestamp, value: n });
    errors$?.push({ timestamp, value: e });
    rpm$?.push({ timestamp, value: round4(n / perMinute) });
    errorRate$?.push({ timestamp, value: n === 0 ? 0 : round4(e / n) });
    if (w === undefined) continue;
    if (n > 0) {
      avg$?.push({ timestamp, value: round3(w.durationSumMs / n) });
      p95$?.push({ timestamp, value: round3(quantile(w.latency, 0.95) ?? 0) });
    }
    if (w.memoryMaxBytes !== null) {
      memory$?.push({ timestamp, value: round3(w.memoryMaxBytes / MIB) });
      memoryMax = Math.max(memoryMax ?? 0, w.memoryMaxBytes);
    }
    calls += n;
    errors += e;
    durationSum += w.durationSumMs;
    mergeCounts(latency, w.latency);
  }

  const p95 = quantile(latency, 0.95);
  return {
    start: new Date(first),
    end: range.end,
    resolution: range.resolution,
    series,
    totals: {
      calls,
      errors,
      errorRate: calls === 0 ? 0 : round4(errors / calls),
      avgResponseMs: calls === 0 ? null : round3(durationSum / calls),
      p95ResponseMs: p95 === null ? null : round3(p95),
      memoryMaxBytes: memoryMax,
    },
  };
}
