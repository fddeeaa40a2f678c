/**
 * The added cost of recording one hook call on the runtime's hot path (issue 13, target < 20 µs p50):
 *
 *   npm run build && npx tsx bench/observer-cost.bench.ts
 *
 * The runtime calls its observer synchronously on the main thread after every hook call. `with` is the app's
 * RuntimeEventsObserver, whose `runtime.call` event reaches every subscriber of the built app (Prometheus
 * counters, the minute buckets, usage stats, the log recorder); `without` is the same observer class on an event
 * bus nobody listens to. 100,000 calls each, over 100 installations, 1 % failing, in alternating rounds of 1,000
 * calls; the figure is the median per-call time of the rounds and the difference between the two, beside each
 * side's mean CPU time per call (which a loaded machine distorts less than wall time). Flushing to
 * Mongo happens between rounds, off the hot path, and is reported on its own.
 */
import { performance } from 'node:perf_hooks';
import { fromDist, inProcessApp, loadAverage, median } from './support.js';

const { RuntimeEventsObserver } = await fromDist<typeof import('../apps/api/src/runtime/runtime-events.observer.js')>(
  'runtime/runtime-events.observer.js',
);
const { ObservationFlusher } = await fromDist<typeof import('../apps/api/src/metrics/observation-flusher.js')>(
  'metrics/observation-flusher.js',
);
const { EventBus, JsonLogger, LogOutput } = await import('@app/common');

const app = await inProcessApp({
  PLUGHUB_METRICS_FLUSH_MS: '60000', // flushed by hand between rounds
});
const observed = app.get(RuntimeEventsObserver);
const flusher = app.get(ObservationFlusher);
const bare = new RuntimeEventsObserver(new EventBus(new JsonLogger(new LogOutput('silent'))));

type Call = Parameters<typeof observed.onCall>[0];
const calls: Call[] = Array.from({ length: 1000 }, (_, i) => ({
  installationId: `inst-${i % 100}`,
  pluginKey: `bench.plugin-${i % 100}`,
  version: '1.0.0',
  hook: 'onMessage',
  outcome: i % 100 === 7 ? 'error' : 'ok',
  durationMs: 0.2 + (i % 37),
  memoryBytes: 300_000 + i,
  cpuMs: 0.1,
  error: i % 100 === 7 ? { code: 'PLUGIN_ERROR', message: 'bench failure' } : undefined,
  at: new Date(),
}));

/** CPU time (user + system, µs) each side spent in its rounds: on a loaded machine wall time includes waiting. */
const cpu = new Map<unknown, number>();

function round(observer: InstanceType<typeof RuntimeEventsObserver>): number {
  const used = process.cpuUsage();
  const started = performance.now();
  for (const call of calls) observer.onCall(call);
  const wall = ((performance.now() - started) * 1000) / calls.length; // µs per call
  const spent = process.cpuUsage(used);
  cpu.set(observer, (cpu.get(observer) ?? 0) + spent.user + spent.system);
  return wall;
}

const ROUNDS = 100; // 100 × 1,000 = 100,000 calls each
for (let i = 0; i < 10; i++) {
  round(observed);
  round(bare);
}
await flusher.flush();
cpu.clear();
const withObserver: number[] = [];
const withoutObserver: number[] = [];
const flushes: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  withObserver.push(round(observed));
  withoutObserver.push(round(bare));
  if (i % 10 === 9) {
    const started = performance.now();
    await flusher.flush();
    flushes.push(performance.now() - started);
  }
}
const p50With = median(withObserver);
const p50Without = median(withoutObserver);
const cpuWith = (cpu.get(observed) ?? 0) / (ROUNDS * calls.length);
const cpuWithout = (cpu.get(bare) ?? 0) / (ROUNDS * calls.length);
console.table({
  'µs per call, p50 of rounds': {
    'with (all subscribers)': Number(p50With.toFixed(3)),
    'without (no subscriber)': Number(p50Without.toFixed(3)),
    'added by recording': Number((p50With - p50Without).toFixed(3)),
  },
  'CPU µs per call, mean': {
    'with (all subscribers)': Number(cpuWith.toFixed(3)),
    'without (no subscriber)': Number(cpuWithout.toFixed(3)),
    'added by recording': Number((cpuWith - cpuWithout).toFixed(3)),
  },
});
console.log('load average', loadAverage());
console.log(`flush of 10,000 calls over 100 installations (off the hot path): p50 ${median(flushes).toFixed(1)} ms`);
await app.close();
