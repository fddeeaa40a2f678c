/**
 * POST through a plugin endpoint that echoes its JSON body (Nest, Fastify, JWT, the effective-set lookup, the
 * sandbox's onRequest in a worker thread, the answer checked and passed through) against a bare Fastify route
 * echoing the same body, in one run.
 *
 *   npm run build && npx tsx bench/plugin-endpoints.bench.ts [seconds-per-round] [rounds]
 *
 * Servers run as child processes; autocannon runs here, on loopback. Rounds alternate between the two so machine
 * noise hits both; medians, the ratio and the server's CPU time per request (from /proc) are reported.
 */
import { existsSync, readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { median, startPlughub, startServer, stopServer } from './support.js';

const seconds = Number(process.argv[2] ?? 5);
const rounds = Number(process.argv[3] ?? 3);
if (!existsSync('dist/apps/api/src/main.js')) throw new Error('run `npm run build` first');

const admin = { email: 'bench@plughub.local', password: 'bench-password-1' };
const api = await startPlughub({
  PLUGHUB_DB_MEMORY: 'true',
  PLUGHUB_LOG_LEVEL: 'warn',
  PLUGHUB_ADMIN_EMAIL: admin.email,
  PLUGHUB_ADMIN_PASSWORD: admin.password,
  PLUGHUB_SAMPLES: 'false',
  NODE_ENV: 'production',
});
const apiUrl = `http://127.0.0.1:${api.port}`;

async function call(path: string, method: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${apiUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const answer = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(answer)}`);
  return answer;
}

const { access_token } = (await call('/api/auth/token/', 'POST', admin)) as { access_token: string };
const auth = { authorization: `Bearer ${access_token}` };
await call(
  '/api/plugins/',
  'POST',
  {
    manifest: {
      key: 'bench.echo',
      name: 'Echo',
      version: '1.0.0',
      description: 'answers the body it is sent',
      runtime: { type: 'sandbox', entry: 'runner.js' },
      permissions: ['endpoints:serve'],
      endpoints: [{ path: 'echo', methods: ['POST'], description: 'Echo' }],
    },
    files: { runner: 'module.exports = { onRequest: (request) => ({ body: request.body }) };' },
  },
  auth,
);
await call('/api/plugins/bench.echo/install/', 'POST', {}, auth);

const bare = await startServer(['--import', 'tsx', 'bench/bare-echo.server.ts']);
const bareUrl = `http://127.0.0.1:${bare.port}`;

const payload = JSON.stringify({
  order: 42,
  items: [
    { sku: 'A-1', qty: 2 },
    { sku: 'B-7', qty: 1 },
  ],
  note: 'ship',
});
const endpointUrl = `${apiUrl}/api/plugins/bench.echo/endpoints/echo/`;

/** utime + stime of a process, in milliseconds (clock ticks are 10 ms on Linux). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function round(url: string, headers: Record<string, string>, pid: number, duration: number) {
  const cpuBefore = cpuMs(pid);
  const r = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: payload,
    duration,
    connections: 16,
    pipelining: 1,
  });
  const cpu = cpuMs(pid) - cpuBefore;
  if (r.errors || r.timeouts || r.non2xx)
    throw new Error(`failed requests at ${url}: ${JSON.stringify(r.statusCodeStats)}`);
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    cpuUsPerRequest: (cpu * 1000) / r.requests.total,
  };
}

// The echo really goes through the plugin.
const echoed = await fetch(endpointUrl, {
  method: 'POST',
  headers: { 'content-type': 'application/json', ...auth },
  body: payload,
});
if (JSON.stringify(await echoed.json()) !== payload) throw new Error('the plugin did not echo the body');

await round(endpointUrl, auth, api.child.pid!, 2); // warm-up: JIT, worker, caches
await round(`${bareUrl}/echo`, {}, bare.child.pid!, 2);

const r = {
  bare: [] as number[],
  plughub: [] as number[],
  p50: [] as number[],
  p99: [] as number[],
  bp50: [] as number[],
  bp99: [] as number[],
  cpu: [] as number[],
  bcpu: [] as number[],
};
for (let i = 0; i < rounds; i++) {
  const b = await round(`${bareUrl}/echo`, {}, bare.child.pid!, seconds);
  const p = await round(endpointUrl, auth, api.child.pid!, seconds);
  r.bare.push(b.rps);
  r.bp50.push(b.p50);
  r.bp99.push(b.p99);
  r.bcpu.push(b.cpuUsPerRequest);
  r.plughub.push(p.rps);
  r.p50.push(p.p50);
  r.p99.push(p.p99);
  r.cpu.push(p.cpuUsPerRequest);
  console.log(
    `round ${i + 1}: bare ${b.rps.toFixed(0)} req/s (p50 ${b.p50} ms, p99 ${b.p99} ms), ` +
      `plugin endpoint ${p.rps.toFixed(0)} req/s (p50 ${p.p50} ms, p99 ${p.p99} ms)`,
  );
}
await stopServer(api.child);
await stopServer(bare.child);

console.table({
  'bare Fastify echo req/s (median)': Math.round(median(r.bare)),
  'bare Fastify p50 / p99 ms (median)': `${median(r.bp50)} / ${median(r.bp99)}`,
  'bare Fastify CPU µs per request (median)': Math.round(median(r.bcpu)),
  'plugin endpoint echo req/s (median)': Math.round(median(r.plughub)),
  'plugin endpoint p50 / p99 ms (median)': `${median(r.p50)} / ${median(r.p99)}`,
  'plugin endpoint CPU µs per request (median, API process)': Math.round(median(r.cpu)),
  ratio: Number((median(r.plughub) / median(r.bare)).toFixed(3)),
});
