/**
 * GET /api/auth/me/ with a JWT through the whole Plughub stack (Nest, Fastify, passport-jwt, user
 * lookup in the embedded engine) against a bare Fastify route returning the same JSON, in one run.
 *
 *   npm run build && npx tsx bench/auth-me.bench.ts [seconds-per-round] [rounds]
 *
 * Servers run as child processes; autocannon runs here, on loopback. Rounds alternate between the
 * two so machine noise hits both; medians, the ratio and each server's CPU time per request (utime + stime
 * from /proc, so it does not depend on how much CPU the loaded machine left the server) are reported.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { load, median, startPlughub, startServer, stopServer } from './support.js';

const seconds = Number(process.argv[2] ?? 5);
const rounds = Number(process.argv[3] ?? 3);
if (!existsSync('dist/apps/api/src/main.js')) throw new Error('run `npm run build` first');

const admin = { email: 'bench@plughub.local', password: 'bench-password-1' };
const api = await startPlughub({
  PLUGHUB_DB_MEMORY: 'true',
  // No access log, like the baseline (which logs nothing): both do the same work per request.
  PLUGHUB_LOG_LEVEL: 'warn',
  PLUGHUB_ADMIN_EMAIL: admin.email,
  PLUGHUB_ADMIN_PASSWORD: admin.password,
  PLUGHUB_SAMPLES: 'false',
  NODE_ENV: 'production',
});
const apiUrl = `http://127.0.0.1:${api.port}`;
const tokenRes = await fetch(`${apiUrl}/api/auth/token/`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(admin),
});
const { access_token } = (await tokenRes.json()) as { access_token: string };
const auth = { authorization: `Bearer ${access_token}` };
const me = await (await fetch(`${apiUrl}/api/auth/me/`, { headers: auth })).json();

const bare = await startServer(['--import', 'tsx', 'bench/bare-fastify.server.ts'], { BARE_BODY: JSON.stringify(me) });
const bareUrl = `http://127.0.0.1:${bare.port}`;

// Warm both up (JIT, connection pools).
await load(`${apiUrl}/api/auth/me/`, auth, 2);
await load(`${bareUrl}/api/auth/me/`, {}, 2);

/** utime + stime of a child process so far, in milliseconds (Linux clock ticks are 10 ms). */
function cpuMs(child: ChildProcess): number {
  const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** One round against `url`, with the server's CPU time per request in microseconds. */
async function round(url: string, headers: Record<string, string>, server: ChildProcess) {
  const before = cpuMs(server);
  const r = await load(url, headers, seconds);
  return { ...r, cpuUs: ((cpuMs(server) - before) * 1000) / Math.max(1, r.requests) };
}

const results = {
  plughub: [] as number[],
  bare: [] as number[],
  p50: [] as number[],
  p99: [] as number[],
  cpu: [] as number[],
  bareCpu: [] as number[],
};
for (let i = 0; i < rounds; i++) {
  const b = await round(`${bareUrl}/api/auth/me/`, {}, bare.child);
  const p = await round(`${apiUrl}/api/auth/me/`, auth, api.child);
  if (p.errors || p.non2xx || b.errors || b.non2xx) throw new Error(`failed requests: ${JSON.stringify({ p, b })}`);
  results.bare.push(b.rps);
  results.plughub.push(p.rps);
  results.p50.push(p.p50);
  results.p99.push(p.p99);
  results.cpu.push(p.cpuUs);
  results.bareCpu.push(b.cpuUs);
  console.log(
    `round ${i + 1}: bare ${b.rps.toFixed(0)} req/s (${b.cpuUs.toFixed(0)} µs CPU/req), ` +
      `plughub ${p.rps.toFixed(0)} req/s (${p.cpuUs.toFixed(0)} µs CPU/req, p50 ${p.p50} ms, p99 ${p.p99} ms)`,
  );
}
await stopServer(api.child);
await stopServer(bare.child);

const ratio = median(results.plughub) / median(results.bare);
console.table({
  'bare Fastify req/s (median)': Math.round(median(results.bare)),
  'Plughub GET /api/auth/me/ req/s (median)': Math.round(median(results.plughub)),
  'Plughub latency p50 ms (median)': median(results.p50),
  'Plughub latency p99 ms (median)': median(results.p99),
  'Plughub server CPU µs/request (median)': Math.round(median(results.cpu)),
  'bare Fastify server CPU µs/request (median)': Math.round(median(results.bareCpu)),
  'CPU ratio bare/Plughub': Number((median(results.bareCpu) / median(results.cpu)).toFixed(3)),
  'ratio (target >= 0.35)': Number(ratio.toFixed(3)),
});
