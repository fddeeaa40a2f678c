/**
 * How long one hostile (or merely large) request holds the server's event loop.
 *
 *   npm run build && npx tsx bench/hostile-bodies.bench.ts [rounds]
 *
 * The built server runs as a child process with scripts/event-loop.preload.mjs, which samples its
 * event-loop delay (perf_hooks.monitorEventLoopDelay, 1 ms resolution) and reports the largest
 * stall and the CPU time used since the last report on SIGWINCH. For each request below: reset,
 * send it, read both. The CPU time includes the canary's requests: GET /api/health/ every 5 ms,
 * which measures what an unrelated client sees meanwhile.
 * PLUGHUB_MAIN=<path to main.js> runs another build (e.g. an older main) for comparison.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { freePort, median, startServer, stopServer } from './support.js';

const rounds = Number(process.argv[2] ?? 5);
const main = process.env.PLUGHUB_MAIN ?? 'dist/apps/api/src/main.js';
if (!existsSync(main)) throw new Error(`${main} not found: run \`npm run build\` first`);

const admin = { email: 'bench@plughub.local', password: 'bench-password-1' };
const port = await freePort();
const { child } = await startServer(['--import', './scripts/event-loop.preload.mjs', main], {
  PORT: String(port),
  HOST: '127.0.0.1',
  PLUGHUB_DB_MEMORY: 'true',
  PLUGHUB_LOG_LEVEL: 'info', // the "listening" line; access lines are read and dropped
  PLUGHUB_ADMIN_EMAIL: admin.email,
  PLUGHUB_ADMIN_PASSWORD: admin.password,
  PLUGHUB_SAMPLES: 'false',
  NODE_ENV: 'production',
});
const base = `http://127.0.0.1:${port}`;

interface Sample {
  stall: number;
  cpu: number;
}
const waiting: Array<(sample: Sample) => void> = [];
let pending = '';
child.stdout!.on('data', (chunk: Buffer) => {
  pending += chunk.toString();
  let nl: number;
  while ((nl = pending.indexOf('\n')) >= 0) {
    const line = pending.slice(0, nl);
    pending = pending.slice(nl + 1);
    const m = /^EVENT_LOOP_MAX_MS ([\d.]+) CPU_MS ([\d.]+)$/.exec(line);
    if (m) waiting.shift()?.({ stall: Number(m[1]), cpu: Number(m[2]) });
  }
});
/** The largest stall and the CPU time used since the previous call. */
const sample = () =>
  new Promise<Sample>((resolve) => {
    waiting.push(resolve);
    child.kill('SIGWINCH');
  });

const token = (
  (await (
    await fetch(`${base}/api/auth/token/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(admin),
    })
  ).json()) as { access_token: string }
).access_token;
const json = { 'content-type': 'application/json' };
const authed = { ...json, authorization: `Bearer ${token}` };

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const keys = (n: number) => `{${Array.from({ length: n }, (_, i) => `"k${i}":1`).join(',')}}`;
let published = 0;
const upload = (bytes: number) =>
  JSON.stringify({
    manifest: {
      key: `bench.upload-${published++}`,
      name: 'Upload',
      version: '1.0.0',
      description: 'A large package',
      runtime: { type: 'sandbox', entry: 'runner.js' },
    },
    files: {
      runner: 'export default {};',
      icon: { content: randomBytes(bytes).toString('base64'), encoding: 'base64' },
    },
  });

interface Case {
  name: string;
  path: string;
  headers: Record<string, string>;
  body?: () => string;
}
const cases: Case[] = [
  { name: 'GET /api/health/ (baseline)', path: '/api/health/', headers: {} },
  { name: 'token: 3,000-level nesting', path: '/api/auth/token/', headers: json, body: () => nested(3000) },
  { name: 'token: 4 MB nested body', path: '/api/auth/token/', headers: json, body: () => nested(2 * 1024 * 1024) },
  { name: 'token: 100,000 unknown keys (1 MB)', path: '/api/auth/token/', headers: json, body: () => keys(100_000) },
  { name: 'token: 300 unknown keys', path: '/api/auth/token/', headers: json, body: () => keys(300) },
  { name: 'publish: 4 MB nested body', path: '/api/plugins/', headers: authed, body: () => nested(2 * 1024 * 1024) },
  { name: 'publish: 5,000 keys, one object', path: '/api/plugins/', headers: authed, body: () => keys(5_000) },
  { name: 'publish: 1 MB package', path: '/api/plugins/', headers: authed, body: () => upload(1024 * 1024) },
  { name: 'publish: 5 MB package', path: '/api/plugins/', headers: authed, body: () => upload(5 * 1024 * 1024 - 4096) },
];

/** Runs GET /api/health/ every 5 ms until stopped; resolves with the slowest answer. */
function canary(): { stop: () => Promise<number> } {
  let running = true;
  let slowest = 0;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      await (await fetch(`${base}/api/health/`)).arrayBuffer();
      slowest = Math.max(slowest, performance.now() - started);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return slowest;
    },
  };
}

const results = new Map<string, { status: string; stall: number[]; cpu: number[]; canary: number[] }>();
for (let round = 0; round < rounds; round++) {
  for (const c of cases) {
    const body = c.body?.(); // built before measuring: the client's work is not the server's
    await sample();
    const watch = canary();
    let status: string;
    try {
      const res = await fetch(`${base}${c.path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: c.headers,
        body,
      });
      await res.arrayBuffer();
      status = String(res.status);
    } catch {
      // Refused on its Content-Length: the server answers and closes while the body is still being sent.
      status = 'closed early';
    }
    const slowest = await watch.stop();
    const { stall, cpu } = await sample();
    const entry = results.get(c.name) ?? { status, stall: [], cpu: [], canary: [] };
    entry.stall.push(stall);
    entry.cpu.push(cpu);
    entry.canary.push(slowest);
    results.set(c.name, entry);
  }
  console.log(`round ${round + 1}/${rounds} done`);
}
await stopServer(child);

console.table(
  Object.fromEntries(
    [...results].map(([name, r]) => [
      name,
      {
        status: r.status,
        'server stall ms (median)': median(r.stall),
        'server stall ms (max)': Math.max(...r.stall),
        'server CPU ms (median)': median(r.cpu),
        'canary slowest ms (median)': Number(median(r.canary).toFixed(1)),
      },
    ]),
  ),
);
