/**
 * A metrics query over 30 days of 1-minute buckets for one installation (issue 13, target < 100 ms):
 *
 *   npm run build && npx tsx bench/metrics-query.bench.ts
 *
 * Writes 43,200 minute buckets (each with a latency histogram of a few buckets and two hooks) for one installation
 * through the app's MetricBucketRepository (which also keeps the hourly ones) on an in-memory embedded engine, then
 * times `series` over the whole 30 days at each resolution (1m and 15m fold minutes, 1h and 1d read hours).
 */
import { performance } from 'node:perf_hooks';
import { fromDist, inProcessApp, median } from './support.js';

const { MetricBucketRepository } = await fromDist<
  typeof import('../apps/api/src/metrics/persistence/metric-bucket.repository.js')
>('metrics/persistence/metric-bucket.repository.js');
const { RESOLUTION_MS } =
  await fromDist<typeof import('../apps/api/src/metrics/metrics.entity.js')>('metrics/metrics.entity.js');

const app = await inProcessApp();
const repo = app.get(MetricBucketRepository);
const MINUTES = 30 * 24 * 60;
const end = Math.floor(Date.now() / 60_000) * 60_000;
const start = end - MINUTES * 60_000;
const RETENTION = 40 * 86_400_000;

const filled = performance.now();
for (const installationId of ['bench-a']) {
  for (let offset = 0; offset < MINUTES; offset += 2000) {
    const batch = Array.from({ length: Math.min(2000, MINUTES - offset) }, (_, i) => {
      const m = offset + i;
      return {
        installationId,
        pluginKey: 'bench.plugin',
        minute: new Date(start + m * 60_000),
        calls: 60,
        errors: m % 50 === 0 ? 1 : 0,
        durationSumMs: 600,
        latency: { 5: 40, 7: 15, 9: 4, 14: 1 },
        memoryMaxBytes: 400_000 + (m % 1000),
        hooks: {
          onMessage: { calls: 58, errors: 0, durationSumMs: 580 },
          onHealth: { calls: 2, errors: 0, durationSumMs: 20 },
        },
      };
    });
    await repo.add(batch, RETENTION);
  }
}
console.log(`wrote ${MINUTES} buckets in ${((performance.now() - filled) / 1000).toFixed(1)} s`);

const rows: Record<string, Record<string, number>> = {};
for (const resolution of ['1d', '1h', '15m'] as const) {
  const times: number[] = [];
  let points = 0;
  for (let i = 0; i < (resolution === '15m' ? 4 : 12); i++) {
    const started = performance.now();
    const windows = await repo.series('bench-a', new Date(start), new Date(end), RESOLUTION_MS[resolution], new Date());
    times.push(performance.now() - started);
    points = windows.length;
  }
  times.splice(0, 1); // warm-up
  const sorted = [...times].sort((a, b) => a - b);
  rows[`30 days at ${resolution}`] = {
    points,
    'ms p50': Number(median(times).toFixed(1)),
    'ms max': Number(sorted[sorted.length - 1].toFixed(1)),
  };
  console.log(resolution, JSON.stringify(rows[`30 days at ${resolution}`]));
}
console.table(rows);
await app.close();
