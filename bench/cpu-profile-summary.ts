/**
 * Where a server's CPU time went, from a `--cpu-prof` profile: self time by area (the Nest pipeline, Fastify, JWT,
 * the database driver and embedded engine, Node's HTTP and streams, the kernel send, the app's own code)
 * and the top functions, over the profile's last seconds (the last bench round, not the boot).
 *
 *   BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" npx tsx bench/auth-me.bench.ts 6 3
 *   npx tsx bench/cpu-profile-summary.ts /tmp/prof/CPU.*.cpuprofile [last-seconds=6] [skip-end-seconds=0.5]
 *
 * A sampling profile counts wall time on the thread: on a loaded machine, time the thread was descheduled lands on
 * whatever ran, mostly the syscalls (writev). Read the shares of JavaScript areas against each other.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface Profile {
  nodes: Array<{ id: number; callFrame: CallFrame }>;
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const AREAS: Array<[string, RegExp]> = [
  ['JWT (jsonwebtoken, jws, HMAC)', /node_modules\/(jws|jwa|jsonwebtoken|@nestjs\/jwt)\/|node:internal\/crypto/],
  [
    'Nest pipeline (core, common, rxjs)',
    /node_modules\/(@nestjs\/core|@nestjs\/common|@nestjs\/platform-fastify|rxjs|iterare)\//,
  ],
  ['class-transformer / class-validator', /node_modules\/(class-transformer|class-validator)\//],
  [
    'Fastify (router, hooks, reply)',
    /node_modules\/(fastify|find-my-way|@fastify\/|light-my-request|avvio|toad-cache)/,
  ],
  [
    'database (driver, embedded engine)',
    /node_modules\/(mongodb|bson|mongoose|mingo|kareem|mpath|sift|mquery)\/|embedded-mongo|libs\/database/,
  ],
  ['metrics (prom-client, HTTP histogram)', /node_modules\/prom-client|\/src\/metrics\//],
  ['logging', /\/logging\//],
  ['app: auth guard, user cache', /\/src\/(auth|users)\//],
  ['app: audit', /\/src\/admin\//],
  [
    'app: plugin call (endpoints, runtime, installation)',
    /\/src\/(runtime|plugin-endpoints|installation)\/|libs\/runtime/,
  ],
  ['app: other', /\/dist\//],
  ['Node (http, net, streams, promises)', /^node:/],
];
const NATIVE: Record<string, string> = {
  '(idle)': 'idle',
  '(garbage collector)': 'GC',
  writev: 'kernel send (writev)',
  writeBuffer: 'kernel send (writev)',
  writeUtf8String: 'kernel send (writev)',
  postMessage: 'worker postMessage',
};

const areaOf = (frame: CallFrame): string =>
  frame.url
    ? (AREAS.find(([, pattern]) => pattern.test(frame.url))?.[0] ?? 'other')
    : (NATIVE[frame.functionName] ?? 'native (V8, libuv)');

const [file, lastArg, skipArg] = process.argv.slice(2);
if (!file) throw new Error('usage: npx tsx bench/cpu-profile-summary.ts <file.cpuprofile> [last-seconds] [skip-end]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const to = profile.endTime - Number(skipArg ?? 0.5) * 1e6;
const from = to - Number(lastArg ?? 6) * 1e6;
const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));

const byArea = new Map<string, number>();
const byFunction = new Map<string, number>();
let at = profile.startTime;
let busy = 0;
for (let i = 0; i < profile.samples.length; i++) {
  at += profile.timeDeltas[i];
  if (at < from || at > to) continue;
  const frame = frames.get(profile.samples[i])!;
  const area = areaOf(frame);
  const us = profile.timeDeltas[i + 1] ?? 0;
  byArea.set(area, (byArea.get(area) ?? 0) + us);
  if (area === 'idle') continue;
  busy += us;
  const where = frame.url ? `${frame.url.replace(/^.*\/(node_modules|dist)\//, '')}:${frame.lineNumber + 1}` : '';
  const name = `${frame.functionName || '(anonymous)'} ${where}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + us);
}

const share = (us: number) => `${((100 * us) / Math.max(1, busy)).toFixed(1)}%`;
const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
console.log(`busy ${(busy / 1000).toFixed(0)} ms, idle ${((byArea.get('idle') ?? 0) / 1000).toFixed(0)} ms`);
console.table(
  Object.fromEntries(
    top(byArea, 30)
      .filter(([a]) => a !== 'idle')
      .map(([a, us]) => [a, share(us)]),
  ),
);
console.table(Object.fromEntries(top(byFunction, 25).map(([f, us]) => [f, share(us)])));
