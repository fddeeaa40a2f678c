/**
 * Runtime benchmark (not a test): `NODE_OPTIONS=--expose-gc npx tsx bench/runtime.bench.ts` (the gc makes memory
 * figures steadier). `BENCH_ONLY=roundtrip` runs the round trip and throughput only (~10 s: for rounds
 * alternating two builds of the runtime on a loaded machine). Message round-trip latency and throughput to a loaded
 * sandbox plugin, CPU per message on the main thread, in the sandbox workers and in the other threads (from /proc,
 * so it holds on a loaded machine where latency does not), cold
 * start of one instance in a warm worker pool, memory per idle instance (process RSS delta over 50 idle
 * instances: worker threads live in this process, so their WASM heaps are included), and 1,000 idle instances.
 * Only the public API is used, so the same script measures another build too: `BENCH_RUNTIME=<dir>` loads the
 * runtime from that directory's index.ts and testing.ts instead (a copy of another commit's libs/runtime/src inside
 * this repository, so its imports resolve), e.g. to alternate rounds of two builds in one session.
 * `BENCH_WARMUP` and `BENCH_MESSAGES` (20,000 each) are the sequential calls made before and during the measure.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LoadSpec } from '@app/runtime';
import type * as Runtime from '@app/runtime';
import type * as RuntimeTesting from '@app/runtime/testing.js';

const build = process.env.BENCH_RUNTIME;
const from = (file: string) => pathToFileURL(resolve(build!, file)).href;
const { PluginRuntime } = (build ? await import(from('index.ts')) : await import('@app/runtime')) as typeof Runtime;
const { inlinePlugin } = (
  build ? await import(from('testing.ts')) : await import('@app/runtime/testing.js')
) as typeof RuntimeTesting;
type PluginRuntime = Runtime.PluginRuntime;

const ECHO = 'let n = 0; export default { onMessage(m) { n++; return { n, echo: m.data }; } };';
const IDLE = `let ctx; export default { onInit(c) { ctx = c; }, onMessage: (m) => m.data, onHealth: () => [] };`;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const mb = (bytes: number) => bytes / (1024 * 1024);
const fmt = (n: number, digits = 2) => n.toFixed(digits);

interface Row {
  metric: string;
  value: string;
  target: string;
  ok?: boolean;
}

/** CPU milliseconds per thread of this process (utime + stime from /proc; empty where there is no /proc). */
function threadCpu(): Map<string, number> {
  const ticks = new Map<string, number>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks.set(tid, (Number(fields[11]) + Number(fields[12])) * 10); // clock ticks of 10 ms
    }
  } catch {
    // not Linux, or a thread ended while it was read
  }
  return ticks;
}

async function settle(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return process.memoryUsage().rss;
}

/** Thread ids of the sandbox workers (see main). */
const workerThreads = new Set<string>();

async function main(): Promise<void> {
  const rows: Row[] = [];
  const loadAtStart = loadavg()[0];
  // A budget no loop here can spend: the default (5 s of CPU per 10 s) is a limit, and a long loop on a loaded
  // machine would trip it and measure refusals.
  const runtime = new PluginRuntime({ workers: 2, cpu: { windowMs: 10_000, budgetMs: 1_000_000 } });

  const threadsBefore = new Set(threadCpu().keys());
  const t = performance.now();
  await runtime.warmUp();
  // The threads warmUp started are the sandbox workers (V8's helper threads and libuv's already run).
  for (const tid of threadCpu().keys()) if (!threadsBefore.has(tid)) workerThreads.add(tid);
  rows.push({
    metric: 'worker pool start (2 workers, from .ts via tsx)',
    value: `${fmt(performance.now() - t, 0)} ms`,
    target: '-',
  });

  const full = process.env.BENCH_ONLY !== 'roundtrip';
  if (full) await memoryAndColdStart(runtime, rows);
  await roundTrip(runtime, rows);
  if (full) await thousand(runtime, rows);
  await runtime.close();

  const width = [Math.max(...rows.map((r) => r.metric.length)), Math.max(...rows.map((r) => r.value.length)), 9];
  const line = (a: string, b: string, c: string, d: string) =>
    `| ${a.padEnd(width[0])} | ${b.padStart(width[1])} | ${c.padEnd(width[2])} | ${d.padEnd(4)} |`;
  console.log(`\nPlughub runtime benchmark: Node ${process.version}, ${process.platform}/${process.arch}`);
  console.log(`load average (1 min) at start ${fmt(loadAtStart, 1)}, at end ${fmt(loadavg()[0], 1)}`);
  console.log(`runtime: ${build ?? '@app/runtime'}\n`);
  console.log(line('metric', 'value', 'target', ''));
  console.log(`|${'-'.repeat(width[0] + 2)}|${'-'.repeat(width[1] + 2)}|${'-'.repeat(width[2] + 2)}|------|`);
  for (const r of rows) console.log(line(r.metric, r.value, r.target, r.ok === undefined ? '' : r.ok ? 'ok' : 'MISS'));
}

/** Memory per idle instance (measured first, on the fresh pool, so no freed heap is reused) and cold start. */
async function memoryAndColdStart(runtime: PluginRuntime, rows: Row[]): Promise<void> {
  let t: number;
  const before = await settle();
  const idle: LoadSpec[] = Array.from({ length: 50 }, (_, i) => inlinePlugin(IDLE, { installationId: `idle-${i}` }));
  for (const spec of idle) await runtime.load(spec);
  for (const spec of idle) await runtime.message(spec.installationId, { type: 'x', data: null }); // memory reported per call
  const after = await settle();
  const perInstance = mb(after - before) / idle.length;
  const heaps = idle.map((s) => runtime.status(s.installationId)!.memoryBytes ?? 0);
  rows.push({
    metric: 'RSS per idle instance (50 loaded)',
    value: `${fmt(perInstance)} MB`,
    target: '<= 1 MB',
    ok: perInstance <= 1,
  });
  rows.push({
    metric: 'QuickJS heap per idle instance',
    value: `${fmt(mb(heaps.reduce((a, b) => a + b, 0) / heaps.length), 3)} MB`,
    target: '-',
  });

  for (const spec of idle) await runtime.stop(spec.installationId);

  // Cold start: load() of one instance into the warm pool, onInit included.
  const cold: number[] = [];
  for (let i = 0; i < 30; i++) {
    const spec = inlinePlugin(IDLE, { installationId: `cold-${i}` });
    t = performance.now();
    await runtime.load(spec);
    cold.push(performance.now() - t);
    await runtime.stop(spec.installationId);
  }
  cold.sort((a, b) => a - b);
  const coldP50 = percentile(cold, 0.5);
  rows.push({
    metric: 'cold start, one instance (p50)',
    value: `${fmt(coldP50)} ms`,
    target: '< 50 ms',
    ok: coldP50 < 50,
  });
  rows.push({ metric: 'cold start, one instance (max of 30)', value: `${fmt(cold.at(-1)!)} ms`, target: '-' });
}

/** Round-trip latency one message at a time, CPU per message per thread, and throughput with 2 x 32 in flight. */
async function roundTrip(runtime: PluginRuntime, rows: Row[]): Promise<void> {
  let t: number;

  const echo = inlinePlugin(ECHO, { installationId: 'echo', limits: { max_pending: 64 } });
  await runtime.load(echo);
  // Warm up (BENCH_WARMUP calls, default 20,000): V8 tiers QuickJS's WebAssembly and the runtime's code up on its
  // helper threads over the first thousands of calls, once per process. After 500 calls that work still added 32-34
  // us of CPU per message to the other threads (and ~15 us to each side) over the next 5,000; after 20,000, 4-6 us.
  const warmup = Number(process.env.BENCH_WARMUP ?? 20_000);
  for (let i = 0; i < warmup; i++) await runtime.message('echo', { type: 'x', data: i });
  const latencies: number[] = [];
  const cpuBefore = threadCpu();
  for (let i = 0; i < Number(process.env.BENCH_MESSAGES ?? 20_000); i++) {
    t = performance.now();
    await runtime.message('echo', { type: 'x', data: { i, text: 'hello' } });
    latencies.push(performance.now() - t);
  }
  const cpuAfter = threadCpu();
  latencies.sort((a, b) => a - b);
  const p50 = percentile(latencies, 0.5);
  rows.push({
    metric: 'message round-trip p50 (sequential)',
    value: `${fmt(p50, 3)} ms`,
    target: '< 0.1 ms',
    ok: p50 < 0.1,
  });
  rows.push({
    metric: 'message round-trip p99 (sequential)',
    value: `${fmt(percentile(latencies, 0.99), 3)} ms`,
    target: '-',
  });
  if (cpuAfter.size > 0) {
    const main = String(process.pid);
    let workers = 0;
    let others = 0;
    for (const [tid, ms] of cpuAfter) {
      const spent = ms - (cpuBefore.get(tid) ?? 0);
      if (workerThreads.has(tid)) workers += spent;
      else if (tid !== main) others += spent;
    }
    const perMessage = (ms: number) => `${fmt((ms * 1000) / latencies.length, 0)} us`;
    rows.push({
      metric: 'CPU per message, main thread (sequential)',
      value: perMessage((cpuAfter.get(main) ?? 0) - (cpuBefore.get(main) ?? 0)),
      target: '-',
    });
    rows.push({ metric: 'CPU per message, sandbox workers (sequential)', value: perMessage(workers), target: '-' });
    rows.push({ metric: 'CPU per message, other threads (V8 helpers, libuv)', value: perMessage(others), target: '-' });
  }
  rows.push({
    metric: 'sequential throughput',
    value: `${fmt(1000 / (latencies.reduce((a, b) => a + b, 0) / latencies.length), 0)} msg/s`,
    target: '-',
  });

  // Throughput with concurrency: two plugins (one per worker), 32 calls in flight each, for 2 seconds.
  const echo2 = inlinePlugin(ECHO, { installationId: 'echo-2', limits: { max_pending: 64 } });
  await runtime.load(echo2);
  let done = 0;
  const until = performance.now() + 2000;
  const loop = async (id: string) => {
    while (performance.now() < until) {
      await runtime.message(id, { type: 'x', data: done });
      done++;
    }
  };
  t = performance.now();
  await Promise.all(['echo', 'echo-2'].flatMap((id) => Array.from({ length: 32 }, () => loop(id))));
  rows.push({
    metric: 'throughput, 2 plugins x 32 in flight',
    value: `${fmt(done / ((performance.now() - t) / 1000), 0)} msg/s`,
    target: '-',
  });
  await runtime.stop('echo');
  await runtime.stop('echo-2');
}

/** 1,000 idle instances at once: load time, memory, and a round trip to a random one of them. */
async function thousand(runtime: PluginRuntime, rows: Row[]): Promise<void> {
  let t: number;

  const thousandBefore = await settle();
  t = performance.now();
  const many = Array.from({ length: 1000 }, (_, i) => inlinePlugin(IDLE, { installationId: `many-${i}` }));
  for (const spec of many) await runtime.load(spec);
  const loadMs = performance.now() - t;
  const thousandAfter = await settle();
  rows.push({ metric: '1,000 instances: load all (sequential)', value: `${fmt(loadMs / 1000, 1)} s`, target: '-' });
  const perThousand = mb(thousandAfter - thousandBefore) / many.length;
  rows.push({
    metric: '1,000 instances: RSS per instance',
    value: `${fmt(perThousand)} MB`,
    target: '<= 1 MB',
    ok: perThousand <= 1,
  });
  const spread: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const id = many[Math.floor(Math.random() * many.length)].installationId;
    t = performance.now();
    await runtime.message(id, { type: 'x', data: i });
    spread.push(performance.now() - t);
  }
  spread.sort((a, b) => a - b);
  rows.push({
    metric: '1,000 instances: round-trip p50 / p99 (random instance)',
    value: `${fmt(percentile(spread, 0.5), 3)} / ${fmt(percentile(spread, 0.99), 3)} ms`,
    target: '-',
  });
}

await main();
