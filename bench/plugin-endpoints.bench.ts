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
import {
  alternatingRounds,
  loadAverage,
  loginToken,
  medianOf,
  requestJson,
  roundArgs,
  startBenchServer,
  type SideRound,
  startServer,
  stopServer,
} from './support.js';

const { seconds, rounds } = roundArgs();
const api = await startBenchServer();
const apiUrl = api.url;
const token = await loginToken(apiUrl);
const auth = { authorization: `Bearer ${token}` };
await requestJson(apiUrl, '/api/plugins/', {
  method: 'POST',
  token,
  body: {
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
});
await requestJson(apiUrl, '/api/plugins/bench.echo/install/', { method: 'POST', token, body: {} });

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

// The echo really goes through the plugin.
const echoed = await fetch(endpointUrl, {
  method: 'POST',
  headers: { 'content-type': 'application/json', ...auth },
  body: payload,
});
if (JSON.stringify(await echoed.json()) !== payload) throw new Error('the plugin did not echo the body');

const [b, p] = await alternatingRounds(
  [
    { label: 'bare', url: `${bareUrl}/echo`, pid: bare.child.pid! },
    { label: 'plugin endpoint', url: endpointUrl, headers: auth, pid: api.child.pid! },
  ],
  { seconds, rounds, request: { method: 'POST', body: payload } },
);
await stopServer(api.child);
await stopServer(bare.child);

const latencies = (rs: SideRound[]) => `${medianOf(rs, (r) => r.p50)} / ${medianOf(rs, (r) => r.p99)}`;
console.table({
  'bare Fastify echo req/s (median)': Math.round(medianOf(b, (r) => r.rps)),
  'bare Fastify p50 / p99 ms (median)': latencies(b),
  'bare Fastify CPU µs per request (median)': Math.round(medianOf(b, (r) => r.cpuUs)),
  'plugin endpoint echo req/s (median)': Math.round(medianOf(p, (r) => r.rps)),
  'plugin endpoint p50 / p99 ms (median)': latencies(p),
  'plugin endpoint CPU µs per request (median, API process)': Math.round(medianOf(p, (r) => r.cpuUs)),
  ratio: Number((medianOf(p, (r) => r.rps) / medianOf(b, (r) => r.rps)).toFixed(3)),
  'load average': loadAverage(),
});
