/**
 * Catalog search over 10,000 published plugins in the embedded engine (not a test):
 *
 *   npm run build && npx tsx bench/registry-catalog.bench.ts [seconds]
 *
 * The server (bench/registry-catalog.server.ts) runs as a child process on an in-memory engine. Latency
 * percentiles come from sequential requests (one in flight, so they measure the request, not a queue);
 * throughput from autocannon with 16 connections. The server's CPU time per request (from /proc) is reported
 * too: on a shared machine it is the figure that other processes do not distort. Target: p95 of GET /api/plugins/?search=…&category=…
 * under 50 ms.
 */
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { load, startServer, stopServer } from './support.js';

const seconds = Number(process.argv[2] ?? 5);
const N = Number(process.env.BENCH_PLUGINS ?? 10_000);
if (!existsSync('dist/apps/api/src/main.js')) throw new Error('run `npm run build` first');

const admin = { email: 'bench@plughub.local', password: 'bench-password-1' };
const server = await startServer(['--import', 'tsx', 'bench/registry-catalog.server.ts'], {
  PLUGHUB_LOG_LEVEL: 'warn',
  PLUGHUB_ADMIN_EMAIL: admin.email,
  PLUGHUB_ADMIN_PASSWORD: admin.password,
  PLUGHUB_SAMPLES: 'false',
  NODE_ENV: 'production',
  BENCH_PLUGINS: String(N),
});
const base = `http://127.0.0.1:${server.port}`;

async function json<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${base}${path}`, init);
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
const post = <T>(path: string, body: unknown, token?: string) =>
  json<T>(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });

// A plain user, so the visibility filter is the full one (admins see everything).
type Token = { access_token: string };
const adminToken = (await post<Token>('/api/auth/token/', admin)).access_token;
const reader = { email: 'reader@plughub.local', password: 'reader-password-1', name: 'Reader' };
await post<unknown>('/api/users/', reader, adminToken);
const token = (await post<Token>('/api/auth/token/', { email: reader.email, password: reader.password })).access_token;
const auth = { authorization: `Bearer ${token}` };

const queries = {
  'search + category': '/api/plugins/?search=sensor&category=iot',
  'search only': '/api/plugins/?search=weather',
  'category only, -downloads': '/api/plugins/?category=ai&ordering=-downloads',
  'no filter (first page)': '/api/plugins/',
};

/** CPU time (user + system) the server process has used so far, in ms; Linux clock ticks are 10 ms. */
const serverCpuMs = () => {
  const fields = readFileSync(`/proc/${server.child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
};

const rows: Record<string, Record<string, number | string>> = {};
for (const [label, path] of Object.entries(queries)) {
  const first = await json<{ count: number }>(path, { headers: auth });
  for (let i = 0; i < 20; i++) await fetch(`${base}${path}`, { headers: auth }).then((r) => r.arrayBuffer());
  const lat: number[] = [];
  const cpu0 = serverCpuMs();
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until) {
    const t0 = performance.now();
    const res = await fetch(`${base}${path}`, { headers: auth });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`status ${res.status}`);
    lat.push(performance.now() - t0);
  }
  const cpuPerRequest = (serverCpuMs() - cpu0) / lat.length;
  const loadRes = await load(`${base}${path}`, auth, seconds);
  if (loadRes.errors || loadRes.non2xx) throw new Error(`failed requests: ${JSON.stringify(loadRes)}`);
  rows[label] = {
    matches: first.count,
    'p50 ms': Number(pct(lat, 0.5).toFixed(2)),
    'p95 ms': Number(pct(lat, 0.95).toFixed(2)),
    'p99 ms': Number(pct(lat, 0.99).toFixed(2)),
    'sequential n': lat.length,
    'server CPU ms/req': Number(cpuPerRequest.toFixed(1)),
    'req/s (16 conn)': Math.round(loadRes.rps),
    'p50 ms (16 conn)': loadRes.p50,
    'p99 ms (16 conn)': loadRes.p99,
  };
  console.log(label, JSON.stringify(rows[label]));
}
await stopServer(server.child);
console.log(`\nGET /api/plugins/ over ${N} published plugins (90% public), embedded engine in memory:`);
console.table(rows);
const p95 = rows['search + category']['p95 ms'] as number;
console.log(`search + category p95 ${p95} ms: ${p95 < 50 ? 'within' : 'OVER'} the 50 ms target`);
