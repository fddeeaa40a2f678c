import { mergeCounts, quantile } from './latency-histogram.js';
import { type MetricName, type MetricWindow, RESOLUTION_MS, type Resolution } from './metrics.entity.js';

/** The most windows one answer carries: a week of minutes, five weeks of 5-minute windows, a year of hours … */
export const MAX_METRIC_WINDOWS = 10_080;

const MINUTE = 60_000;
const MIB = 1024 * 1024;

/**
 * One series as built: the windows it has a point for and each point's value, in typed arrays (a 5-minute answer
 * over 30 days has some 60,000 points: no object per point is made; the answer's JSON is written from these).
 */
export interface SeriesColumn {
  /** Index (from the first window) of each point's window; null when the series has a point for every window. */
  at: Int32Array | null;
  values: Float64Array;
  /** Points used (the arrays are sized for a point per window). */
  length: number;
}

/** What the metrics endpoint answers, before it becomes JSON (metricsAnswerJson). */
export interface MetricSeries {
  /** `start` rounded down to the resolution: the first window's start. */
  start: Date;
  end: Date;
  resolution: Resolution;
  /** Windows in the range: window i starts at `start + i × the resolution`. */
  windows: number;
  series: Partial<Record<MetricName, SeriesColumn>>;
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

/** A number as JSON.stringify writes it (null for NaN and the infinities, which rounding never makes). */
const numberJson = (value: number) => (Number.isFinite(value) ? String(value) : 'null');
const round3 = (value: number) => Math.round(value * 1000) / 1000;
const round4 = (value: number) => Math.round(value * 10_000) / 10_000;

/** The counting series, a point for every window. */
const DENSE: ReadonlySet<MetricName> = new Set(['calls', 'errors', 'requests_per_minute', 'error_rate']);

function column(name: MetricName, count: number): SeriesColumn {
  const dense = DENSE.has(name);
  return { at: dense ? null : new Int32Array(count), values: new Float64Array(count), length: dense ? count : 0 };
}

function push(c: SeriesColumn | undefined, at: number, value: number): void {
  if (c === undefined) return;
  c.at![c.length] = at;
  c.values[c.length++] = value;
}

/**
 * The series the caller asked for, from the windows that had data (oldest first, as the repository folds them).
 * Counting series (calls, errors, requests_per_minute, error_rate) have a point for every window of the range, 0
 * where nothing ran; response times only where there were calls, memory only where a call measured it. One pass
 * over the windows of the range, walking the stored ones alongside (no lookup per window), into typed arrays; a
 * series not asked for is not built.
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
  for (const name of names) series[name] = column(name, count);
  const calls$ = series.calls?.values;
  const errors$ = series.errors?.values;
  const rpm$ = series.requests_per_minute?.values;
  const errorRate$ = series.error_rate?.values;
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
    let w: MetricWindow | undefined;
    while (next < windows.length) {
      const start = windows[next].start.getTime();
      if (start > at) break;
      if (start === at) w = windows[next];
      next++;
    }
    // The dense arrays start zeroed: an empty window leaves them so.
    if (w === undefined) continue;
    const n = w.calls;
    const e = w.errors;
    if (calls$) calls$[i] = n;
    if (errors$) errors$[i] = e;
    if (rpm$) rpm$[i] = round4(n / perMinute);
    if (errorRate$) errorRate$[i] = n === 0 ? 0 : round4(e / n);
    if (n > 0) {
      push(avg$, i, round3(w.durationSumMs / n));
      push(p95$, i, round3(quantile(w.latency, 0.95) ?? 0));
    }
    if (w.memoryMaxBytes !== null) {
      push(memory$, i, round3(w.memoryMaxBytes / MIB));
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
    windows: count,
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

/**
 * The JSON of GET /api/plugins/{plugin}/metrics/ (PluginMetricsResponseDto's shape, keys in its order), written
 * from the built columns: each window's `{"timestamp":"…","value":` once, shared by every series, then each point
 * as that head, its number and `}`. What JSON.stringify would give for the same answer as objects, without the
 * objects (a property test holds the two equal); numbers are finite (rounded counts and ratios), the strings
 * around them go through JSON.stringify.
 */
export function metricsAnswerJson(plugin: string, installationId: string, s: MetricSeries): string {
  const size = RESOLUTION_MS[s.resolution];
  const first = s.start.getTime();
  const heads = new Array<string>(s.windows);
  for (let i = 0; i < s.windows; i++) heads[i] = `{"timestamp":"${new Date(first + i * size).toISOString()}","value":`;
  let json =
    `{"plugin":${JSON.stringify(plugin)},"installation_id":${JSON.stringify(installationId)},` +
    `"time_range":${JSON.stringify({ start: s.start.toISOString(), end: s.end.toISOString(), resolution: s.resolution })},` +
    '"metrics":{';
  let firstSeries = true;
  for (const name in s.series) {
    const c = s.series[name as MetricName]!;
    const parts = new Array<string>(c.length);
    for (let p = 0; p < c.length; p++) parts[p] = heads[c.at === null ? p : c.at[p]] + numberJson(c.values[p]) + '}';
    json += `${firstSeries ? '' : ','}"${name}":[${parts.join(',')}]`;
    firstSeries = false;
  }
  const t = s.totals;
  const totals = {
    calls: t.calls,
    errors: t.errors,
    error_rate: t.errorRate,
    response_time_ms: t.avgResponseMs,
    response_time_p95_ms: t.p95ResponseMs,
    memory_usage_mb: t.memoryMaxBytes === null ? null : round3(t.memoryMaxBytes / MIB),
  };
  return `${json}},"totals":${JSON.stringify(totals)}}`;
}
