/**
 * A metrics query over 30 days of 1-minute buckets for one installation (issue 13, target < 100 ms):
 *
 *   npm run build && npx tsx bench/metrics-query.bench.ts [resolution …]
 *
 * Writes 43,200 minute buckets (each with a latency histogram of a few buckets and two hooks) for one installation
 * through the app's MetricBucketRepository (which also keeps the hourly and daily ones) on an in-memory embedded
 * engine, packs the settled days' levels (as MetricLevelsPacker does; not with BENCH_UNPACKED=1), then times
 * `series` over the whole 30 days at each resolution (1d, 1h, 15m and 5m read one level of the
 * 30 day documents; 1m reads the hour documents' minute slots, over the 7 days it is allowed for), and the
 * endpoint's whole read: `series`, `buildSeries` into every metric (zero-filled counting series, p95 per window,
 * in typed arrays) and `metricsAnswerJson` writing the answer's JSON from them, which is what
 * GET /api/plugins/{plugin}/metrics/ does besides finding the installation. On a shared,
 * loaded machine wall time mostly measures waiting for a core: the process CPU time per query (engine included,
 * it runs in this process) is printed beside it, split into its steps (the read, the series and the JSON), with the load average.
 */
import { performance } from 'node:perf_hooks';
import { fromDist, inProcessApp, inspectorProfiler, loadAverage, median } from './support.js';

const { MetricBucketRepository } = await fromDist<
  typeof import('../apps/api/src/metrics/persistence/metric-bucket.repository.js')
>('metrics/persistence/metric-bucket.repository.js');
const { RESOLUTION_MS, METRIC_NAMES } =
  await fromDist<typeof import('../apps/api/src/metrics/metrics.entity.js')>('metrics/metrics.entity.js');
const { buildSeries, metricsAnswerJson } =
  await fromDist<typeof import('../apps/api/src/metrics/metric-series.js')>('metrics/metric-series.js');

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
// The settled days packed, as MetricLevelsPacker does within the hour (BENCH_UNPACKED=1 reads them as written).
if (!process.env.BENCH_UNPACKED) {
  const packing = performance.now();
  let packed = 0;
  for (let after: string | null = null, more = true; more;) {
    const batch = await repo.packLevels(after, 50, new Date());
    packed += batch.updated;
    after = batch.last;
    more = batch.last !== null;
  }
  console.log(`packed ${packed} level documents in ${((performance.now() - packing) / 1000).toFixed(1)} s`);
}

const rows: Record<string, Record<string, number>> = {};
// Every resolution over the 30 days, except 1m: 43,200 points is past MAX_METRIC_WINDOWS (400 too_many_points), so
// 1m is timed over the longest range it is answered for, 7 days (10,080 points).
const cases = [
  ['30 days', '1d', start],
  ['30 days', '1h', start],
  ['30 days', '15m', start],
  ['30 days', '5m', start],
  ['7 days', '1m', end - 7 * 86_400_000],
] as const;
// Resolutions named on the command line (`5m 15m`) are the only ones timed. BENCH_CPU_PROF=<dir> writes a CPU
// profile of each resolution's queries alone (not the fill) there, for bench/cpu-profile-summary.ts.
const only = process.argv.slice(2);
const profileDir = process.env.BENCH_CPU_PROF;
const profiler = inspectorProfiler();
for (const [label, resolution, from] of cases.filter(([, r]) => only.length === 0 || only.includes(r))) {
  const times: number[] = [];
  const whole: number[] = [];
  const cpu: number[] = [];
  /** CPU time of each step: the read (driver and engine, both in this process), the series, the JSON. */
  const steps = { read: [] as number[], build: [] as number[], json: [] as number[] };
  const cpuMs = (since: NodeJS.CpuUsage) => {
    const spent = process.cpuUsage(since);
    return (spent.user + spent.system) / 1000;
  };
  let points = 0;
  let bytes = 0;
  if (profileDir) await profiler.start();
  for (let i = 0; i < 12; i++) {
    const started = performance.now();
    const used = process.cpuUsage();
    const windows = await repo.series('bench-a', new Date(from), new Date(end), RESOLUTION_MS[resolution], new Date());
    times.push(performance.now() - started);
    steps.read.push(cpuMs(used));
    const built0 = process.cpuUsage();
    const built = buildSeries(windows, { start: new Date(from), end: new Date(end), resolution }, METRIC_NAMES);
    steps.build.push(cpuMs(built0));
    const json0 = process.cpuUsage();
    bytes = metricsAnswerJson('bench.plugin', 'bench-a', built).length;
    steps.json.push(cpuMs(json0));
    whole.push(performance.now() - started);
    cpu.push(cpuMs(used));
    points = windows.length;
  }
  if (profileDir) await profiler.stop(`${profileDir}/metrics-query-${resolution}.cpuprofile`);
  for (const list of [times, whole, cpu, steps.read, steps.build, steps.json]) list.splice(0, 2); // warm-up
  const sorted = [...times].sort((a, b) => a - b);
  rows[`${label} at ${resolution}`] = {
    points,
    'ms p50': Number(median(times).toFixed(1)),
    'ms max': Number(sorted[sorted.length - 1].toFixed(1)),
    'ms p50 whole': Number(median(whole).toFixed(1)),
    'answer KiB': Math.round(bytes / 1024),
    // The engine runs in this process: its work and the driver's are both in here.
    'cpu ms p50 whole': Number(median(cpu).toFixed(1)),
    'cpu ms read': Number(median(steps.read).toFixed(1)),
    'cpu ms series': Number(median(steps.build).toFixed(1)),
    'cpu ms json': Number(median(steps.json).toFixed(1)),
  };
  console.log(label, resolution, JSON.stringify(rows[`${label} at ${resolution}`]));
}
console.table(rows);
console.log('load average', loadAverage());
await app.close();
