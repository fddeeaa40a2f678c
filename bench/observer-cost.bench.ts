/**
 * The added cost of recording one hook call on the runtime's hot path (issue 13, target < 20 µs p50):
 *
 *   npm run build && npx tsx bench/observer-cost.bench.ts
 *
 * The runtime calls its observer synchronously on the main thread after every hook call. `with` is the app's
 * RuntimeEventsObserver, whose `runtime.call` event reaches every subscriber of the built app (Prometheus
 * counters, the minute buckets, usage stats, the log recorder); `without` is the same observer class on an event
 * bus nobody listens to. 100,000 calls each, over 100 installations, 1 % failing, in alternating rounds of 1,000
 * calls; the figure is the median per-call time of the rounds and the difference between the two. Flushing to
 * Mongo happens between rounds, off the hot path, and is reported on its own.
 */
import { performance } from 'node:perf_hooks';
import { fromDist, inProcessApp, median } from './support.js';

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

function round(observer: InstanceType<typeof RuntimeEventsObserver>): number {
  const started = performance.now();
  for (const call of calls) observer.onCall(call);
  return ((performance.now() - started) * 1000) / calls.length; // µs per call
}

const ROUNDS = 100; // 100 × 1,000 = 100,000 calls each
for (let i = 0; i < 10; i++) {
  round(observed);
  round(bare);
}
await flusher.flush();
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
console.table({
  'µs per call, p50': {
    'with (all subscribers)': Number(p50With.toFixed(3)),
    'without (no subscriber)': Number(p50Without.toFixed(3)),
    'added by recording': Number((p50With - p50Without).toFixed(3)),
  },
});
console.log(`flush of 10,000 calls over 100 installations (off the hot path): p50 ${median(flushes).toFixed(1)} ms`);
await app.close();
