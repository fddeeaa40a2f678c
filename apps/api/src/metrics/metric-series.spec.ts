import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucketIndex, LAST_BUCKET, quantile } from './latency-histogram.js';
import { buildSeries, type MetricSeries, metricsAnswerJson, windowCount } from './metric-series.js';
import { METRIC_NAMES, type MetricWindow, RESOLUTION_MS } from './metrics.entity.js';

const T0 = Date.UTC(2026, 11, 1, 11, 0);
const MIN = 60_000;

interface Point {
  timestamp: string;
  value: number;
}
/** The series as a client reads them: the JSON metricsAnswerJson writes, parsed. */
const pointsOf = (s: MetricSeries) =>
  (JSON.parse(metricsAnswerJson('acme.orders', 'i-1', s)) as { metrics: Partial<Record<string, Point[]>> }).metrics;

const win = (offsetMin: number, w: Partial<MetricWindow> = {}): MetricWindow => ({
  start: new Date(T0 + offsetMin * MIN),
  calls: 0,
  errors: 0,
  durationSumMs: 0,
  latency: {},
  memoryMaxBytes: null,
  ...w,
});

describe('windowCount', () => {
  it('counts windows from the start rounded down to the resolution up to the end (exclusive)', () => {
    expect(windowCount(new Date(T0), new Date(T0 + 60 * MIN), '1m')).toBe(60);
    expect(windowCount(new Date(T0 + 30_000), new Date(T0 + 2 * MIN), '1m')).toBe(2);
    expect(windowCount(new Date(T0 + 7 * MIN), new Date(T0 + 16 * MIN), '5m')).toBe(3); // 11:05, 11:10, 11:15
    expect(windowCount(new Date(T0), new Date(T0 + 1), '1d')).toBe(1);
  });
});

describe('buildSeries', () => {
  it('gives counting series a point per window and response times only where there were calls', () => {
    const s = buildSeries(
      [
        win(0, {
          calls: 4,
          errors: 1,
          durationSumMs: 100,
          latency: { [bucketIndex(25)]: 4 },
          memoryMaxBytes: 2 * 1024 * 1024,
        }),
        win(2, { calls: 2, durationSumMs: 10, latency: { [bucketIndex(5)]: 2 } }),
      ],
      { start: new Date(T0), end: new Date(T0 + 3 * MIN), resolution: '1m' },
      METRIC_NAMES,
    );
    const values = (name: keyof typeof s.series) => pointsOf(s)[name]!.map((p) => p.value);
    expect(values('calls')).toEqual([4, 0, 2]);
    expect(values('errors')).toEqual([1, 0, 0]);
    expect(values('requests_per_minute')).toEqual([4, 0, 2]);
    expect(values('error_rate')).toEqual([0.25, 0, 0]);
    expect(values('response_time_ms')).toEqual([25, 5]);
    expect(pointsOf(s).response_time_ms!.map((p) => Date.parse(p.timestamp))).toEqual([T0, T0 + 2 * MIN]);
    expect(values('memory_usage_mb')).toEqual([2]);
    expect(s.totals).toMatchObject({ calls: 6, errors: 1, errorRate: 0.1667, avgResponseMs: 18.333 });
    expect(s.totals.memoryMaxBytes).toBe(2 * 1024 * 1024);
  });

  it('divides by the window length for requests per minute, and returns only the series asked for', () => {
    const s = buildSeries(
      [win(5, { calls: 10, durationSumMs: 10, latency: { 0: 10 } })],
      { start: new Date(T0), end: new Date(T0 + 10 * MIN), resolution: '5m' },
      ['requests_per_minute'],
    );
    expect(Object.keys(s.series)).toEqual(['requests_per_minute']);
    expect(pointsOf(s).requests_per_minute!.map((p) => p.value)).toEqual([0, 2]);
  });

  it('has no response times without calls', () => {
    const s = buildSeries([], { start: new Date(T0), end: new Date(T0 + MIN), resolution: '1m' }, METRIC_NAMES);
    expect(s.totals).toEqual({
      calls: 0,
      errors: 0,
      errorRate: 0,
      avgResponseMs: null,
      p95ResponseMs: null,
      memoryMaxBytes: null,
    });
    expect(pointsOf(s).response_time_ms).toEqual([]);
  });

  it('totals equal the sum of the calls series for any windows', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 59 }), { maxLength: 30 }),
        fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 30, maxLength: 30 }),
        (minutes, calls) => {
          const windows = [...minutes].sort((a, b) => a - b).map((m, i) => win(m, { calls: calls[i], errors: 0 }));
          const s = buildSeries(windows, { start: new Date(T0), end: new Date(T0 + 60 * MIN), resolution: '1m' }, [
            'calls',
          ]);
          expect(pointsOf(s).calls).toHaveLength(60);
          expect(pointsOf(s).calls!.reduce((a, p) => a + p.value, 0)).toBe(s.totals.calls);
        },
      ),
    );
  });

  it('gives every series, point by point, what each stored window holds (property, against a lookup per window)', () => {
    const latency = fc.dictionary(
      fc.integer({ min: 0, max: LAST_BUCKET }).map(String),
      fc.integer({ min: 1, max: 50 }),
      { maxKeys: 5 },
    );
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: -20, max: 80 }), { maxLength: 40 }),
        fc.array(
          fc.record({
            calls: fc.integer({ min: 0, max: 500 }),
            errors: fc.integer({ min: 0, max: 5 }),
            durationSumMs: fc.integer({ min: 0, max: 10_000 }),
            latency,
            memoryMaxBytes: fc.option(fc.integer({ min: 0, max: 64 * 1024 * 1024 })),
          }),
          { minLength: 40, maxLength: 40 },
        ),
        fc.constantFrom(...(['1m', '5m', '15m'] as const)),
        (offsets, figures, resolution) => {
          const size = RESOLUTION_MS[resolution] / MIN;
          const windows = [...new Set(offsets.map((m) => Math.floor(m / size) * size))]
            .sort((a, b) => a - b)
            .map((m, i) => win(m, { ...figures[i], latency: { ...figures[i].latency } }));
          const range = { start: new Date(T0), end: new Date(T0 + 60 * MIN), resolution };
          const s = buildSeries(windows, range, METRIC_NAMES);
          const byStart = new Map(windows.map((w) => [w.start.getTime(), w]));
          const inRange = windows.filter((w) => w.start.getTime() >= T0 && w.start.getTime() < T0 + 60 * MIN);
          const count = 60 / size;
          expect(pointsOf(s).calls!.map((p) => p.value)).toEqual(
            Array.from({ length: count }, (_, i) => byStart.get(T0 + i * size * MIN)?.calls ?? 0),
          );
          expect(pointsOf(s).calls!.map((p) => Date.parse(p.timestamp))).toEqual(
            Array.from({ length: count }, (_, i) => T0 + i * size * MIN),
          );
          const busy = inRange.filter((w) => w.calls > 0);
          expect(pointsOf(s).response_time_p95_ms!.map((p) => [Date.parse(p.timestamp), p.value])).toEqual(
            busy.map((w) => [w.start.getTime(), Math.round((quantile(w.latency, 0.95) ?? 0) * 1000) / 1000]),
          );
          expect(pointsOf(s).memory_usage_mb).toHaveLength(inRange.filter((w) => w.memoryMaxBytes !== null).length);
          expect(s.totals.calls).toBe(inRange.reduce((a, w) => a + w.calls, 0));
          expect(s.totals.errors).toBe(inRange.reduce((a, w) => a + w.errors, 0));
        },
      ),
    );
  });
});

describe('metricsAnswerJson', () => {
  /** The same answer as objects, through JSON.stringify: what the endpoint sent before it wrote its own JSON. */
  const viaObjects = (plugin: string, id: string, s: MetricSeries) => {
    const size = RESOLUTION_MS[s.resolution];
    const metrics: Record<string, Point[]> = {};
    for (const [name, c] of Object.entries(s.series)) {
      metrics[name] = Array.from({ length: c.length }, (_, p) => ({
        timestamp: new Date(s.start.getTime() + (c.at === null ? p : c.at[p]) * size).toISOString(),
        value: c.values[p],
      }));
    }
    const t = s.totals;
    return JSON.stringify({
      plugin,
      installation_id: id,
      time_range: { start: s.start.toISOString(), end: s.end.toISOString(), resolution: s.resolution },
      metrics,
      totals: {
        calls: t.calls,
        errors: t.errors,
        error_rate: t.errorRate,
        response_time_ms: t.avgResponseMs,
        response_time_p95_ms: t.p95ResponseMs,
        memory_usage_mb: t.memoryMaxBytes === null ? null : Math.round((t.memoryMaxBytes / 1024 / 1024) * 1000) / 1000,
      },
    });
  };

  it('writes what JSON.stringify writes for the answer as objects (property: any windows, series and strings)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            offset: fc.integer({ min: -10, max: 130 }),
            calls: fc.integer({ min: 0, max: 10_000 }),
            errors: fc.integer({ min: 0, max: 50 }),
            // Fractions, tiny and huge sums: the rounded ratios take every form a number's text has (1e-7, 1e+21).
            durationSumMs: fc.oneof(fc.double({ min: 0, max: 1e25, noNaN: true }), fc.integer({ min: 0, max: 99 })),
            latency: fc.dictionary(fc.integer({ min: 0, max: LAST_BUCKET }).map(String), fc.nat(40), { maxKeys: 4 }),
            memoryMaxBytes: fc.option(fc.nat()),
          }),
          { maxLength: 60 },
        ),
        fc.shuffledSubarray([...METRIC_NAMES]),
        fc.constantFrom(...(['1m', '5m', '15m', '1h'] as const)),
        // Any text for the key and id (quotes, controls, lone surrogates): both sides escape it with JSON.stringify.
        fc.string({ unit: 'binary' }),
        fc.string(),
        (drawn, names, resolution, plugin, id) => {
          const size = RESOLUTION_MS[resolution] / MIN;
          const seen = new Set<number>();
          const windows = drawn
            .map((w) => ({ ...w, offset: Math.floor(w.offset / size) * size }))
            .filter((w) => !seen.has(w.offset) && seen.add(w.offset))
            .sort((a, b) => a.offset - b.offset)
            .map(({ offset, ...w }) => win(offset, w));
          const range = { start: new Date(T0 + 7 * MIN), end: new Date(T0 + 120 * MIN), resolution };
          const s = buildSeries(windows, range, names);
          expect(metricsAnswerJson(plugin, id, s)).toBe(viaObjects(plugin, id, s));
        },
      ),
    );
  });
});
