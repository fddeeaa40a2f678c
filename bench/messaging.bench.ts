/**
 * Messages and events through the API (issue 14), not a test:
 *
 *   npm run build && npx tsx bench/messaging.bench.ts [seconds-per-round] [rounds]
 *
 * - Message round-trips: POST /api/plugins/bench.echo/message/ (Nest, Fastify, JWT, the directory lookup, the bus,
 *   the sandbox's onMessage, the answer) with autocannon on loopback (BENCH_CONNECTIONS, default 4), against
 *     in-process: one node without NATS (the in-process bus);
 *     NATS: node A, the echo hosted on node B (B holds its lease), the message crossing a local nats-server.
 *   Rounds alternate between the two so machine noise hits both; medians of requests/s, p50 and p99, and the
 *   servers' CPU time per request (from /proc: one node, or A and B together) are reported.
 * - Event fan-out: one event emitted by the instance's installation of bench.emitter reaches 100 users'
 *   installations of bench.sink (one node): the time from the POST that makes it emit until the last subscriber's
 *   onEvent ran (each sink notes Date.now() in onEvent; asked afterwards), per round, medians reported.
 *
 * All three servers are the built app (dist/) as child processes on one embedded engine started here (each
 * scenario its own database), so the database costs the same on both sides of the comparison.
 */
import { EmbeddedMongoServer } from '../libs/embedded-mongo/src/index.js';
import { NatsTestServer } from '../apps/api/src/messaging/bus/nats-test-server.js';
import {
  BENCH_ADMIN,
  BENCH_SERVER_ENV,
  load,
  type LoadResult,
  loginToken,
  median,
  processCpuMs,
  requestJson,
  requireBuild,
  roundArgs,
  startPlughub,
  stopServer,
} from './support.js';

const { seconds, rounds } = roundArgs();
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 100);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 4);
requireBuild();

const admin = BENCH_ADMIN;
const mongo = await EmbeddedMongoServer.start({ dataDir: null });
const nats = await NatsTestServer.start();
const dbUri = (name: string) => mongo.uri.replace('/?', `/${name}?`);

const common = { ...BENCH_SERVER_ENV, PLUGHUB_JWT_SECRET: 'bench-secret-bench-secret-bench-secret-42' };

type Server = Awaited<ReturnType<typeof startPlughub>>;

const call = (server: Server, path: string, method: string, body: unknown, token?: string) =>
  requestJson(`http://127.0.0.1:${server.port}`, path, { method, body, token });
const login = (server: Server, who: { email: string; password: string }) =>
  loginToken(`http://127.0.0.1:${server.port}`, who);

async function release(server: Server, token: string, key: string, runner: string, extra: Record<string, unknown>) {
  const manifest = {
    key,
    name: key,
    version: '1.0.0',
    description: `${key} for the messaging bench`,
    runtime: { type: 'sandbox', entry: 'runner.js' },
    permissions: ['messages:receive'],
    ...extra,
  };
  await call(server, '/api/plugins/', 'POST', { manifest, files: { runner }, scope: 'public' }, token);
}

const ECHO = 'export default { onMessage: (m) => m.data };';
const EMITTER =
  "let ctx; export default { onInit(c) { ctx = c; }, onMessage(m) { ctx.events.emit('orders.created', m.data); return true; } };";
// Each sink notes when its onEvent ran for a round (the sandbox's clock is the machine's) and says so on asking.
const SINK =
  'const seen = {}; export default { onEvent(e) { seen[e.data.round] = Date.now(); }, onMessage: (m) => seen[m.data.round] ?? null };';

// ---- message round-trips: one node, and A → B over NATS ------------------------------------------------------
const single = await startPlughub({ ...common, MONGODB_URI: dbUri('bench_single') });
/** Node `name` of the two-node cluster: one database, one NATS server. */
const clusterNode = (name: string) =>
  startPlughub({ ...common, MONGODB_URI: dbUri('bench_nodes'), NATS_URL: nats.url, PLUGHUB_NODE_NAME: name });
const b = await clusterNode('b');
const singleToken = await login(single, admin);
const bToken = await login(b, admin);
for (const [server, token] of [
  [single, singleToken],
  [b, bToken],
] as const) {
  await release(server, token, 'bench.echo', ECHO, {});
  await call(server, '/api/plugins/bench.echo/install/', 'POST', {}, token);
}
// A starts once B hosts the echo: it skips B's lease at its start-up load.
const a = await clusterNode('a');
const aToken = await login(a, admin);

const body = JSON.stringify({ target_plugin: 'bench.echo', message_type: 'ping', data: { n: 1, text: 'hello' } });
async function messages(server: Server, token: string, pids: number[]): Promise<LoadResult & { cpuMs: number }> {
  const before = pids.reduce((s, pid) => s + processCpuMs(pid), 0);
  const r = await loadPost(`http://127.0.0.1:${server.port}/api/plugins/bench.echo/message/`, token);
  const cpuMs = pids.reduce((s, pid) => s + processCpuMs(pid), 0) - before;
  return { ...r, cpuMs: cpuMs / Math.max(1, r.rps * seconds) };
}
function loadPost(url: string, token: string): Promise<LoadResult> {
  return load(url, { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, seconds, CONNECTIONS, {
    method: 'POST',
    body,
  });
}

// Warm both paths up (JIT, connection pools, the bus subscription).
await messages(single, singleToken, [single.child.pid!]);
await messages(a, aToken, [a.child.pid!, b.child.pid!]);
const results: Record<'in-process' | 'nats', Array<LoadResult & { cpuMs: number }>> = { 'in-process': [], nats: [] };
for (let round = 0; round < rounds; round++) {
  results['in-process'].push(await messages(single, singleToken, [single.child.pid!]));
  results.nats.push(await messages(a, aToken, [a.child.pid!, b.child.pid!]));
}
const row = (name: keyof typeof results) => {
  const rs = results[name];
  return {
    transport: name,
    'req/s': Math.round(median(rs.map((r) => r.rps))),
    'p50 ms': median(rs.map((r) => r.p50)),
    'p99 ms': median(rs.map((r) => r.p99)),
    'cpu ms/req': Number(median(rs.map((r) => r.cpuMs)).toFixed(3)),
    'errors+non2xx': rs.reduce((s, r) => s + r.errors + r.non2xx, 0),
  };
};
console.log(
  `\nMessage round-trips through the API, ${rounds} rounds of ${seconds} s, ${CONNECTIONS} connections (medians)`,
);
console.table([row('in-process'), row('nats')]);
const ratio = row('nats')['req/s'] / row('in-process')['req/s'];
console.log(`NATS between two nodes / in-process: ${ratio.toFixed(2)}× the requests per second`);
await stopServer(a.child);
await stopServer(b.child);

// ---- event fan-out to SUBSCRIBERS installations ---------------------------------------------------------------
await release(single, singleToken, 'bench.emitter', EMITTER, {
  permissions: ['messages:receive', 'events:emit'],
  events: { emits: [{ type: 'orders.created' }] },
});
await release(single, singleToken, 'bench.sink', SINK, {
  permissions: ['messages:receive', 'events:subscribe'],
  events: { subscribes: [{ type: 'orders.*' }] },
});
// Other users install only reviewed versions, and a publisher never reviews their own.
const reviewer = { email: 'reviewer@bench.local', password: 'bench-password-1' };
await call(single, '/api/users/', 'POST', { ...reviewer, name: 'Reviewer', roles: ['reviewer'] }, singleToken);
const approval = { version: '1.0.0', decision: 'approve' };
await call(single, '/api/admin/plugins/bench.sink/review/', 'POST', approval, await login(single, reviewer));
await call(single, '/api/plugins/bench.emitter/install/?scope=global', 'POST', {}, singleToken);
const subscribers: string[] = [];
for (let i = 0; i < SUBSCRIBERS; i++) {
  const user = { email: `sub${i}@bench.local`, password: 'bench-password-1' };
  await call(single, '/api/users/', 'POST', { ...user, name: `Subscriber ${i}` }, singleToken);
  const token = await login(single, user);
  await call(single, '/api/plugins/bench.sink/install/', 'POST', {}, token);
  subscribers.push(token);
}
const ask = (token: string, plugin: string, type: string, data: Record<string, unknown>) =>
  call(single, `/api/plugins/${plugin}/message/`, 'POST', { target_plugin: plugin, message_type: type, data }, token);
const fanOut: number[] = [];
const firsts: number[] = [];
for (let round = 0; round <= rounds; round++) {
  const started = Date.now();
  await ask(singleToken, 'bench.emitter', 'emit', { round });
  // Ask each sink when its onEvent ran, one after the other (this polling shares the node with the fan-out).
  const times: number[] = [];
  for (const token of subscribers) {
    for (;;) {
      const at = ((await ask(token, 'bench.sink', 'when', { round })).response as { data: number | null }).data;
      if (at !== null) {
        times.push(at - started);
        break;
      }
      if (Date.now() - started > 120_000) throw new Error(`round ${round}: ${times.length} subscribers in 120 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  times.sort((x, y) => x - y);
  // Round 0 warms up (the subscriber list, the workers).
  if (round > 0) {
    fanOut.push(times[times.length - 1]);
    firsts.push(times[0]);
  }
}
console.log(`\nEvent fan-out to ${SUBSCRIBERS} subscribers (one node), ${rounds} rounds (medians)`);
console.table([{ 'first onEvent ms': median(firsts), 'last onEvent ms': median(fanOut), rounds: fanOut.join(' / ') }]);

await stopServer(single.child);
await nats.stop();
await mongo.stop();
