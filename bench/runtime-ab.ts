/**
 * Alternating rounds of the runtime's round-trip bench for two or more builds, in one session (not a test):
 *
 *   npx tsx bench/runtime-ab.ts <rounds> <build> <build> ...
 *
 * A build is `current` (@app/runtime) or a directory holding a copy of another commit's libs/runtime/src inside
 * this repository (see BENCH_RUNTIME in runtime.bench.ts), e.g. `mkdir .bench-main && git archive main
 * libs/runtime/src | tar -x -C .bench-main --strip-components=3` (remove it afterwards: its specs would run with the
 * others, and `duplicates` reads it). Each round runs `BENCH_ONLY=roundtrip` once per build, in turn, each in
 * a fresh process; the medians of every figure per build are printed with the load average over the rounds. On a
 * shared machine compare CPU per message (and the share of rounds one build was ahead), not one round's latency.
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';

const [roundsArg, ...builds] = process.argv.slice(2);
const rounds = Number(roundsArg);
if (!(rounds > 0) || builds.length === 0) {
  console.error('usage: npx tsx bench/runtime-ab.ts <rounds> <build|current> ...');
  process.exit(2);
}

/** Figures per build, per metric, one per round. */
const figures = new Map<string, Map<string, number[]>>(builds.map((b) => [b, new Map()]));
const loads: number[] = [];

for (let round = 1; round <= rounds; round++) {
  for (const build of builds) {
    loads.push(loadavg()[0]);
    const env: NodeJS.ProcessEnv = { ...process.env, BENCH_ONLY: 'roundtrip', NODE_OPTIONS: '--expose-gc' };
    if (build === 'current') delete env.BENCH_RUNTIME;
    else env.BENCH_RUNTIME = build;
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/runtime.bench.ts'], { env, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`${build}: the bench failed\n${run.stderr}`);
    for (const line of run.stdout.split('\n')) {
      // | metric | 0.085 ms | target | ok |
      const cells = line.split('|').map((c) => c.trim());
      const value = Number.parseFloat(cells[2] ?? '');
      if (cells.length < 4 || Number.isNaN(value)) continue;
      const byMetric = figures.get(build)!;
      byMetric.set(cells[1], [...(byMetric.get(cells[1]) ?? []), value]);
    }
    console.error(`round ${round}/${rounds} ${build} done (load ${loadavg()[0].toFixed(1)})`);
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
console.log(
  `\n${rounds} alternating rounds, load average ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}`,
);
console.log('medians (each round in brackets):');
for (const metric of figures.get(builds[0])!.keys()) {
  console.log(`  ${metric}`);
  for (const build of builds) {
    const values = figures.get(build)!.get(metric) ?? [];
    console.log(`    ${build.padEnd(28)} ${String(median(values)).padStart(8)}  [${values.join(' ')}]`);
  }
}
