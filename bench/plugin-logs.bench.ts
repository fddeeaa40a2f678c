/**
 * Searching 1,000,000 stored plugin log lines (issue 13, p95):
 *
 *   npm run build && npx tsx bench/plugin-logs.bench.ts [lines]
 *
 * Appends the lines for one installation (plus 10 % for a neighbour) through the app's PluginLogRepository on an
 * in-memory embedded engine, in batches as the flusher writes them, then times the logs endpoint's queries: the
 * newest page, a minimum level, a time range, a search that matches often (its word head, "ord", is in every line;
 * its pair of words, "ord 12", in about 1 line in 90), a word in every line, and one that matches rarely (its word
 * head narrows the lines to read). Each query runs 20 times; p50 and p95 are reported, of the wall time and of the
 * process CPU time (the engine included), the documents the engine read, with the count and whether it is exact
 * (counting stops past 10,000 matches). Names after the line count time only those queries ('newest 50' …);
 * BENCH_CPU_PROF=<dir> profiles them.
 */
import { performance } from 'node:perf_hooks';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { fromDist, inProcessApp, inspectorProfiler, loadAverage, timed } from './support.js';

const { PluginLogRepository } = await fromDist<
  typeof import('../apps/api/src/metrics/persistence/plugin-log.repository.js')
>('metrics/persistence/plugin-log.repository.js');
type Line = import('../apps/api/src/metrics/metrics.entity.js').PluginLogLine;
type Query = import('../apps/api/src/metrics/metrics.entity.js').PluginLogQuery;

const LINES = Number(process.argv[2] ?? 1_000_000);
const app = await inProcessApp();
const repo = app.get(PluginLogRepository);
const connection = app.get<Connection>(getConnectionToken());
/** Documents the engine has read so far (serverStatus scannedObjects): their growth over a query is its cost. */
const scanned = async () => {
  const status = (await connection.db!.admin().command({ serverStatus: 1 })) as {
    metrics: { queryExecutor: { scannedObjects: number | { toNumber(): number } } };
  };
  const n = status.metrics.queryExecutor.scannedObjects;
  return typeof n === 'number' ? n : n.toNumber();
};
const LEVELS = ['debug', 'info', 'info', 'info', 'warn', 'error'] as const;
const end = Date.now();
const start = end - 7 * 86_400_000;
const step = (end - start) / LINES;

const filled = performance.now();
for (const [installationId, count] of [
  ['bench-a', LINES],
  ['bench-b', LINES / 10],
] as const) {
  for (let offset = 0; offset < count; offset += 5000) {
    const batch: Line[] = Array.from({ length: Math.min(5000, count - offset) }, (_, i) => {
      const n = offset + i;
      return {
        installationId,
        pluginKey: 'bench.plugin',
        at: new Date(start + n * step * (LINES / count)),
        level: LEVELS[n % LEVELS.length],
        message: n % 10_000 === 0 ? `reconciliation drift on account ${n}` : `processed order ${n} in ${n % 97} ms`,
        source: 'plugin',
        truncated: false,
      };
    });
    await repo.append(batch, 30 * 86_400_000);
  }
  console.log(`appended ${count} lines for ${installationId} (${((performance.now() - filled) / 1000).toFixed(0)} s)`);
}

const queries: Record<string, Omit<Query, 'installationId'>> = {
  'newest 50': {},
  'level >= error': { minLevel: 'error' },
  'last hour': { from: new Date(end - 3_600_000), to: new Date(end) },
  'search "order 12" (frequent)': { search: 'order 12' },
  'search "processed" (every line)': { search: 'processed' },
  'level >= warn, search "order 12"': { minLevel: 'warn', search: 'order 12' },
  'search "drift" (1 in 10,000)': { search: 'drift' },
};
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(p * xs.length) - 1)];
const rows: Record<string, Record<string, number>> = {};
// Queries named on the command line after the line count (`'newest 50'`) are the only ones timed. BENCH_CPU_PROF=<dir>
// writes a CPU profile of each query's runs alone (not the fill) there, for bench/cpu-profile-summary.ts.
const only = process.argv.slice(3);
const profileDir = process.env.BENCH_CPU_PROF;
const profiler = inspectorProfiler();
for (const [name, q] of Object.entries(queries).filter(([n]) => only.length === 0 || only.includes(n))) {
  const times: number[] = [];
  const cpu: number[] = [];
  const examined: number[] = [];
  let count = 0;
  let relation = '';
  if (profileDir) await profiler.start();
  for (let i = 0; i < 22; i++) {
    const before = await scanned();
    const run = await timed(() =>
      repo.find(
        { installationId: 'bench-a', ...q },
        { limit: 50, offset: 0 },
        new Date(Date.now() - 30 * 86_400_000),
        new Date(),
      ),
    );
    examined.push((await scanned()) - before);
    times.push(run.ms);
    cpu.push(run.cpuMs);
    count = run.value.count;
    relation = run.value.countRelation;
  }
  if (profileDir) await profiler.stop(`${profileDir}/plugin-logs-${name.replace(/[^a-z0-9]+/gi, '-')}.cpuprofile`);
  for (const list of [times, cpu, examined]) list.splice(0, 2); // warm-up
  rows[name] = {
    matches: count,
    exact: relation === 'eq' ? 1 : 0,
    'ms p50': Number(pct(times, 0.5).toFixed(1)),
    'ms p95': Number(pct(times, 0.95).toFixed(1)),
    // The engine runs in this process: on a loaded machine its CPU per query says more than the wall time.
    'cpu ms p50': Number(pct(cpu, 0.5).toFixed(1)),
    'cpu ms p95': Number(pct(cpu, 0.95).toFixed(1)),
    // Documents the engine read per query (index entries it only walked are not counted).
    'docs read p50': pct(examined, 0.5),
  };
  console.log(name, JSON.stringify(rows[name]));
}
console.table(rows);
console.log('load average', loadAverage());
await app.close();
