import { mergeCounts, quantile } from './latency-histogram.js';
import { type MetricName, type MetricWindow, RESOLUTION_MS, type Resolution } from './metrics.entity.js';

/** The most windows one answer carries: a week of minutes, five weeks of 5-minute windows, a year of hours … */
export const MAX_METRIC_WINDOWS = 10_080;

const MINUTE = 60_000;
const MIB = 1024 * 1024;

export interface MetricPoint {
  timestamp: Date;
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

const round = (value: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

/**
 * The series the caller asked for, from the windows that had data (oldest first, as the repository folds them).
 * Counting series (calls, errors, requests_per_minute, error_rate) have a point for every window of the range, 0
 * where nothing ran; response times only where there were calls, memory only where a call measured it.
 */
export function buildSeries(
  windows: readonly MetricWindow[],
  range: { start: Date; end: Date; resolution: Resolution },
  names: readonly MetricName[],
): MetricSeries {
  const size = RESOLUTION_MS[range.resolution];
  const first = Math.floor(range.start.getTime() / size) * size;
  const count = windowCount(range.start, range.end, range.resolution);
  const byStart = new Map(windows.map((w) => [w.start.getTime(), w]));
  const wanted = new Set(names);
  const series: MetricSeries['series'] = {};
  for (const name of names) series[name] = [];

  const latency = {};
  let calls = 0;
  let errors = 0;
  let durationSum = 0;
  let memoryMax: number | null = null;

  for (let i = 0; i < count; i++) {
    const at = first + i * size;
    const timestamp = new Date(at);
    const w = byStart.get(at);
    const n = w?.calls ?? 0;
    const e = w?.errors ?? 0;
    const push = (name: MetricName, value: number) => {
      if (wanted.has(name)) series[name]!.push({ timestamp, value });
    };
    push('calls', n);
    push('errors', e);
    push('requests_per_minute', round(n / (size / MINUTE), 4));
    push('error_rate', n === 0 ? 0 : round(e / n, 4));
    if (w && n > 0) {
      push('response_time_ms', round(w.durationSumMs / n, 3));
      push('response_time_p95_ms', round(quantile(w.latency, 0.95) ?? 0, 3));
    }
    if (w && w.memoryMaxBytes !== null) push('memory_usage_mb', round(w.memoryMaxBytes / MIB, 3));
    if (w) {
      calls += n;
      errors += e;
      durationSum += w.durationSumMs;
      mergeCounts(latency, w.latency);
      if (w.memoryMaxBytes !== null) memoryMax = Math.max(memoryMax ?? 0, w.memoryMaxBytes);
    }
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
      errorRate: calls === 0 ? 0 : round(errors / calls, 4),
      avgResponseMs: calls === 0 ? null : round(durationSum / calls, 3),
      p95ResponseMs: p95 === null ? null : round(p95, 3),
      memoryMaxBytes: memoryMax,
    },
  };
}
