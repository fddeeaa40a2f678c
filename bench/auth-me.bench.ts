/**
 * GET /api/auth/me/ with a JWT through the whole Plughub stack (Nest, Fastify, the JWT guard, user
 * lookup in the embedded engine) against a bare Fastify route returning the same JSON, in one run.
 *
 *   npm run build && npx tsx bench/auth-me.bench.ts [seconds-per-round] [rounds]
 *
 * Servers run as child processes; autocannon runs here, on loopback. Rounds alternate between the
 * two so machine noise hits both; medians, the ratio and each server's CPU time per request (utime + stime
 * from /proc, so it does not depend on how much CPU the loaded machine left the server) are reported.
 *
 * BENCH_BASE=<dir> (a checkout of another commit, built there) adds that build's server as a third side of every
 * round, so old and new are compared in one run (see bench/registry-catalog.bench.ts for making one).
 */
import {
  alternatingRounds,
  loadAverage,
  loginToken,
  medianOf,
  roundArgs,
  startBenchServer,
  startServer,
  stopServer,
} from './support.js';

const { seconds, rounds } = roundArgs();
const api = await startBenchServer();
const auth = { authorization: `Bearer ${await loginToken(api.url)}` };
const me = await (await fetch(`${api.url}/api/auth/me/`, { headers: auth })).json();
const baseDir = process.env.BENCH_BASE;
const old = baseDir ? await startBenchServer({}, `${baseDir}/dist/apps/api/src/main.js`) : undefined;
const oldAuth: Record<string, string> = old ? { authorization: `Bearer ${await loginToken(old.url)}` } : {};

const bare = await startServer(['--import', 'tsx', 'bench/bare-fastify.server.ts'], { BARE_BODY: JSON.stringify(me) });
const bareUrl = `http://127.0.0.1:${bare.port}`;

const [b, p, o] = await alternatingRounds(
  [
    { label: 'bare', url: `${bareUrl}/api/auth/me/`, pid: bare.child.pid! },
    { label: 'plughub', url: `${api.url}/api/auth/me/`, headers: auth, pid: api.child.pid! },
    ...(old ? [{ label: 'base', url: `${old.url}/api/auth/me/`, headers: oldAuth, pid: old.child.pid! }] : []),
  ],
  { seconds, rounds },
);
await stopServer(api.child);
if (old) await stopServer(old.child);
await stopServer(bare.child);

const ratio = medianOf(p, (r) => r.rps) / medianOf(b, (r) => r.rps);
console.table({
  'bare Fastify req/s (median)': Math.round(medianOf(b, (r) => r.rps)),
  'Plughub GET /api/auth/me/ req/s (median)': Math.round(medianOf(p, (r) => r.rps)),
  'Plughub latency p50 ms (median)': medianOf(p, (r) => r.p50),
  'Plughub latency p99 ms (median)': medianOf(p, (r) => r.p99),
  'Plughub server CPU µs/request (median)': Math.round(medianOf(p, (r) => r.cpuUs)),
  'bare Fastify server CPU µs/request (median)': Math.round(medianOf(b, (r) => r.cpuUs)),
  'CPU ratio bare/Plughub': Number((medianOf(b, (r) => r.cpuUs) / medianOf(p, (r) => r.cpuUs)).toFixed(3)),
  'ratio (target >= 0.35)': Number(ratio.toFixed(3)),
  ...(o
    ? {
        'BENCH_BASE server CPU µs/request (median)': Math.round(medianOf(o, (r) => r.cpuUs)),
        'BENCH_BASE ratio': Number((medianOf(o, (r) => r.rps) / medianOf(b, (r) => r.rps)).toFixed(3)),
      }
    : {}),
  'load average': loadAverage(),
});
