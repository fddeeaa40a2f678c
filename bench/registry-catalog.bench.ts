/**
 * The catalog over 10,000 published plugins in the embedded engine (not a test):
 *
 *   npm run build && npx tsx bench/registry-catalog.bench.ts [seconds-per-run] [rounds]
 *
 * The server (bench/registry-catalog.server.ts) runs as a child process on an in-memory engine, seeded through the
 * registry's own repositories. Each catalog shape is a pool of about 200 varied queries (searches, categories,
 * orderings, pages), drawn in turn by all connections, not one key. First every query of every pool is asked once,
 * one at a time: the cold cost (first-seen queries, nothing kept yet). Then each round measures every shape at 1
 * connection (the request itself, no queue) and at 16, in an order that rotates from round to round, and a bare
 * Fastify route answering the same bytes as the unfiltered first page, so machine noise hits every side; medians
 * over the rounds are reported. The server's CPU time per request (from /proc) is the figure other processes on a
 * shared machine distort least. Beside it, from the server's own counts (its STATS listener): database operations
 * per request, the share of requests the catalog cache answered and the share answered from a built page, cold
 * and warm. Target (issue 9): every shape ≥ 1,000 req/s at 16 connections with p95 < 20 ms.
 *
 * Old against new in one run: BENCH_BASE=<dir> names a checkout of another commit, built there; its own bench
 * server runs beside this one on the same seed, every shape is asked of both in each round (`<shape> (base)`), and
 * a last table puts both medians side by side:
 *
 *   git archive main | tar -x -C /tmp/base && ln -s "$PWD/node_modules" /tmp/base/ && (cd /tmp/base && npm run build)
 *   BENCH_BASE=/tmp/base BENCH_PLUGINS=10000 npx tsx bench/registry-catalog.bench.ts 3 5
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { CATEGORIES, WORDS } from './registry-catalog.data.js';
import { load, type LoadResult, median, startServer, stopServer } from './support.js';

const seconds = Number(process.argv[2] ?? 3);
const rounds = Number(process.argv[3] ?? 3);
const N = Number(process.env.BENCH_PLUGINS ?? 10_000);
if (!existsSync('dist/apps/api/src/main.js')) throw new Error('run `npm run build` first');

const admin = { email: 'bench@plughub.local', password: 'bench-password-1' };
// BENCH_SERVER_NODE_ARGS (space-separated) go to the server's node, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
// BENCH_BASE=<dir>: a checkout of another commit, built there (`npm run build`), whose bench server runs beside this
// one on the same seed; every shape is then measured on both in each round, old and new in the same run.
const baseDir = process.env.BENCH_BASE;
if (baseDir && !existsSync(`${baseDir}/dist/apps/api/src/main.js`)) throw new Error(`build ${baseDir} first`);

interface Stats {
  ops: number;
  byOp: Record<string, number>;
  hits: number;
  misses: number;
  builtHits: number;
  builtMisses: number;
}
/** One server under test: this checkout's build, or BENCH_BASE's; with a plain user's token for it. */
interface Target {
  name: string;
  base: string;
  pid: number | undefined;
  auth: Record<string, string>;
  /** Its database operations and catalog cache hits and misses so far. */
  stats: () => Promise<Stats>;
}

async function json<T>(base: string, path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${base}${path}`, init);
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
const post = <T>(base: string, path: string, body: unknown, token?: string) =>
  json<T>(base, path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });

const seedStarted = Date.now();
const started = await Promise.all(
  [{ name: 'new', dir: '.' }, ...(baseDir ? [{ name: 'base', dir: baseDir }] : [])].map(async ({ name, dir }) => ({
    name,
    server: await startServer([...nodeArgs, '--import', 'tsx', `${dir}/bench/registry-catalog.server.ts`], {
      PLUGHUB_LOG_LEVEL: 'warn',
      PLUGHUB_ADMIN_EMAIL: admin.email,
      PLUGHUB_ADMIN_PASSWORD: admin.password,
      PLUGHUB_SAMPLES: 'false',
      NODE_ENV: 'production',
      BENCH_PLUGINS: String(N),
    }),
  })),
);
const targets: Target[] = [];
for (const { name, server } of started) {
  console.log(
    `${name} server up in ${Date.now() - seedStarted} ms (load ${loadavg()[0].toFixed(1)}): ${server.output.trim()}`,
  );
  const base = `http://127.0.0.1:${server.port}`;
  const statsPort = /STATS (\d+)/.exec(server.output)?.[1];
  if (!statsPort) throw new Error('the server printed no STATS port');
  // A plain user, so the visibility filter is the full one (admins see everything).
  type Token = { access_token: string };
  const adminToken = (await post<Token>(base, '/api/auth/token/', admin)).access_token;
  const reader = { email: 'reader@plughub.local', password: 'reader-password-1', name: 'Reader' };
  await post<unknown>(base, '/api/users/', reader, adminToken);
  const login = { email: reader.email, password: reader.password };
  const token = (await post<Token>(base, '/api/auth/token/', login)).access_token;
  targets.push({
    name,
    base,
    pid: server.child.pid,
    auth: { authorization: `Bearer ${token}` },
    stats: async () => {
      const res = await fetch(`http://127.0.0.1:${statsPort}/`);
      const body = (await res.json()) as {
        ops: Record<string, number>;
        cache: { hits: number; misses: number };
        built: { hits: number; misses: number };
      };
      const { hits: builtHits, misses: builtMisses } = body.built;
      const ops = Object.values(body.ops).reduce((a, b) => a + b, 0);
      return { ops, byOp: body.ops, ...body.cache, builtHits, builtMisses };
    },
  });
}
const [mine] = targets;
/** A shape's label on a target: the shape itself on this checkout's build, `(base)` after it on BENCH_BASE's. */
const sideLabel = (label: string, target: Target) => (target === mine ? label : `${label} (base)`);

/** Warm rounds' database operations by collection.method, per shape, and the requests they served. */
const warmOps: Record<string, { requests: number; byOp: Record<string, number> }> = {};
function addWarmOps(label: string, a: Stats, b: Stats, requests: number): void {
  const into = (warmOps[label] ??= { requests: 0, byOp: {} });
  into.requests += requests;
  for (const [op, n] of Object.entries(b.byOp)) into.byOp[op] = (into.byOp[op] ?? 0) + n - (a.byOp[op] ?? 0);
}
/** The share of lookups between two counts of hits and misses that hit. */
const share = (hits: number, misses: number) => (hits + misses ? hits / (hits + misses) : 0);
/**
 * Per request between two stats: database operations, the share the repository's page cache answered (of its
 * lookups) and the share answered from a built page (JSON text kept, nothing built or serialised).
 */
const perRequest = (a: Stats, b: Stats, requests: number) => ({
  opsPerRequest: (b.ops - a.ops) / requests,
  hitRate: share(b.hits - a.hits, b.misses - a.misses),
  builtRate: share(b.builtHits - a.builtHits, b.builtMisses - a.builtMisses),
});

const offsets = (pages: number) => Array.from({ length: pages }, (_, k) => k * 20);
const ORDERINGS = ['key', '-key', 'name', '-name', 'downloads', '-downloads', 'rating', '-rating', '-updated_at'];
// Search terms: whole words, their first four letters, and `tool 1`..`tool 9` (which match across words).
const TERMS = [...WORDS, ...WORDS.map((w) => w.slice(0, 4)), ...Array.from({ length: 9 }, (_, k) => `tool ${k + 1}`)];
const pools: Record<string, string[]> = {
  'search + category': WORDS.flatMap((w) =>
    CATEGORIES.flatMap((c) => offsets(2).map((o) => `/api/plugins/?search=${w}&category=${c}&offset=${o}`)),
  ),
  'search only': TERMS.flatMap((t) =>
    offsets(7).map((o) => `/api/plugins/?search=${encodeURIComponent(t)}&offset=${o}`),
  ),
  'category only, -downloads': CATEGORIES.flatMap((c) =>
    offsets(20).map((o) => `/api/plugins/?category=${c}&ordering=-downloads&offset=${o}`),
  ),
  'no filter (pages of every ordering)': ORDERINGS.flatMap((o) =>
    offsets(22).map((off) => `/api/plugins/?ordering=${o}&offset=${off}`),
  ),
};
const FIRST_PAGE = '/api/plugins/';

/** CPU time (user + system) the server process has used so far, in ms; Linux clock ticks are 10 ms. */
const serverCpuMs = (pid: number | undefined) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};

// The baseline: bare Fastify answering the bytes of the unfiltered first page (no auth, no database).
const firstPage = await json<unknown>(mine.base, FIRST_PAGE, { headers: mine.auth });
const bare = await startServer(['--import', 'tsx', 'bench/bare-fastify.server.ts'], {
  BARE_BODY: JSON.stringify(firstPage),
});
interface Side {
  url: string;
  headers: Record<string, string>;
  pid: number | undefined;
  paths?: string[];
  /** The server a catalog shape is asked of (none for the bare baseline). */
  target?: Target;
}
const sides: Record<string, Side> = {
  'bare Fastify (same bytes)': { url: `http://127.0.0.1:${bare.port}/api/auth/me/`, headers: {}, pid: bare.child.pid },
};
for (const [label, paths] of Object.entries(pools)) {
  for (const target of targets) {
    sides[sideLabel(label, target)] = { url: target.base, headers: target.auth, pid: target.pid, paths, target };
  }
}

interface Run {
  one: LoadResult;
  sixteen: LoadResult;
  cpuPerRequest: number;
  opsPerRequest: number;
  hitRate: number;
  builtRate: number;
  load: number;
}
const runs: Record<string, Run[]> = Object.fromEntries(Object.keys(sides).map((k) => [k, []]));
// The cold pass: every query once, one at a time, before anything asked it (its latency and the CPU it cost).
const matches: Record<string, string> = {};
const cold: Record<
  string,
  {
    cpuPerRequest: number;
    opsPerRequest: number;
    hitRate: number;
    builtRate: number;
    p50: number;
    max: number;
    load: number;
  }
> = {};
for (const [label, side] of Object.entries(sides)) {
  const { paths, target } = side;
  if (!paths || !target) continue;
  const stats0 = await target.stats();
  const cpu0 = serverCpuMs(target.pid);
  const latencies: number[] = [];
  const counts: number[] = [];
  for (const path of paths) {
    const started = performance.now();
    counts.push((await json<{ count: number }>(target.base, path, { headers: target.auth })).count);
    latencies.push(performance.now() - started);
  }
  const cpuPerRequest = (serverCpuMs(target.pid) - cpu0) / paths.length;
  cold[label] = {
    cpuPerRequest,
    ...perRequest(stats0, await target.stats(), paths.length),
    p50: median(latencies),
    max: Math.max(...latencies),
    load: loadavg()[0],
  };
  matches[label] = `${Math.min(...counts)}-${Math.max(...counts)}`;
  console.log(
    `cold ${label}: ${paths.length} queries, ${cpuPerRequest.toFixed(2)} ms CPU/req, ` +
      `${cold[label].opsPerRequest.toFixed(2)} DB ops/req, cache hits ${(cold[label].hitRate * 100).toFixed(0)}%, ` +
      `p50 ${cold[label].p50.toFixed(1)} ms, max ${cold[label].max.toFixed(1)} ms; load ${cold[label].load.toFixed(1)}`,
  );
}

const labels = Object.keys(sides);
for (let r = 0; r < rounds; r++) {
  const order = labels.map((_, i) => labels[(i + r) % labels.length]);
  for (const label of order) {
    const side = sides[label];
    const stats0 = side.target ? await side.target.stats() : null;
    const cpu0 = serverCpuMs(side.pid);
    const one = await load(side.url, side.headers, seconds, 1, { paths: side.paths });
    const sixteen = await load(side.url, side.headers, seconds, 16, { paths: side.paths });
    const requests = (one.rps + sixteen.rps) * seconds;
    if (one.errors || one.non2xx || sixteen.errors || sixteen.non2xx) {
      throw new Error(`failed requests on ${label}: ${JSON.stringify({ one, sixteen })}`);
    }
    // On a starved machine a run can end before its first answer: no figure, rather than a 0 that looks like one.
    if (!one.requests || !sixteen.requests)
      throw new Error(`${label}: no answer within ${seconds} s; run longer rounds`);
    const cpuPerRequest = (serverCpuMs(side.pid) - cpu0) / requests;
    const stats1 = side.target ? await side.target.stats() : null;
    if (stats0 && stats1) addWarmOps(label, stats0, stats1, requests);
    const counted =
      stats0 && stats1 ? perRequest(stats0, stats1, requests) : { opsPerRequest: 0, hitRate: 0, builtRate: 0 };
    const run = { one, sixteen, cpuPerRequest, ...counted, load: loadavg()[0] };
    runs[label].push(run);
    console.log(
      `round ${r + 1} ${label}: 1 conn ${one.rps.toFixed(0)} req/s p95 ${one.p95} ms; ` +
        `16 conn ${sixteen.rps.toFixed(0)} req/s p95 ${sixteen.p95} ms; ` +
        `${run.cpuPerRequest.toFixed(2)} ms CPU/req, ${run.opsPerRequest.toFixed(2)} DB ops/req, ` +
        `cache hits ${(run.hitRate * 100).toFixed(0)}%, built ${(run.builtRate * 100).toFixed(0)}%; ` +
        `load ${run.load.toFixed(1)}`,
    );
  }
}
for (const { server } of started) await stopServer(server.child);
await stopServer(bare.child);

const rows: Record<string, Record<string, number | string>> = {};
const bareRps = median(runs['bare Fastify (same bytes)'].map((x) => x.sixteen.rps));
for (const [label, rs] of Object.entries(runs)) {
  const m = (f: (x: Run) => number) => median(rs.map(f));
  rows[label] = {
    matches: matches[label] ?? '-',
    'req/s 1 conn': Math.round(m((x) => x.one.rps)),
    'p95 ms 1 conn': m((x) => x.one.p95),
    'req/s 16 conn': Math.round(m((x) => x.sixteen.rps)),
    'p95 ms 16 conn': m((x) => x.sixteen.p95),
    'p99 ms 16 conn': m((x) => x.sixteen.p99),
    'server CPU ms/req': Number(m((x) => x.cpuPerRequest).toFixed(2)),
    'DB ops/req': sides[label].target ? Number(m((x) => x.opsPerRequest).toFixed(3)) : '-',
    'cache hit %': sides[label].target ? Math.round(m((x) => x.hitRate) * 100) : '-',
    'built %': sides[label].target ? Math.round(m((x) => x.builtRate) * 100) : '-',
    'x bare (16 conn)': Number((m((x) => x.sixteen.rps) / bareRps).toFixed(2)),
    'load 1 min': Number(m((x) => x.load).toFixed(1)),
    'cold CPU ms/req': cold[label] ? Number(cold[label].cpuPerRequest.toFixed(2)) : '-',
    'cold p50 ms': cold[label] ? Number(cold[label].p50.toFixed(1)) : '-',
    'cold DB ops/req': cold[label] ? Number(cold[label].opsPerRequest.toFixed(2)) : '-',
  };
}
console.log(`\nGET /api/plugins/ over ${N} published plugins (92% public), embedded engine in memory;`);
console.log(
  `each shape a pool of varied queries; warm: medians of ${rounds} alternating rounds of ${seconds} s per run;`,
);
console.log('cold: each query asked once, one at a time, before the rounds (the first-seen cost):');
console.table(rows);
console.log('warm database operations per 1,000 requests, by collection.method:');
console.table(
  Object.fromEntries(
    Object.entries(warmOps).map(([label, w]) => [
      label,
      Object.fromEntries(
        Object.entries(w.byOp)
          .filter(([, n]) => n > 0)
          .map(([op, n]) => [op, Number(((n / w.requests) * 1000).toFixed(1))]),
      ),
    ]),
  ),
);
for (const label of Object.keys(pools)) {
  const row = rows[label];
  const ok = (row['req/s 16 conn'] as number) >= 1000 && (row['p95 ms 16 conn'] as number) < 20;
  console.log(`${label}: ${ok ? 'meets' : 'MISSES'} ≥ 1,000 req/s with p95 < 20 ms at 16 connections`);
}
if (targets.length > 1) {
  // Old and new side by side: each figure the median of the alternating rounds, measured in the same run.
  const compare: Record<string, Record<string, number | string>> = {};
  for (const label of Object.keys(pools)) {
    const [now, before] = [rows[label], rows[`${label} (base)`]];
    const pair = (name: string) => `${before[name]} → ${now[name]}`;
    compare[label] = {
      'CPU ms/req base → new': pair('server CPU ms/req'),
      'CPU new/base': Number(
        ((now['server CPU ms/req'] as number) / (before['server CPU ms/req'] as number)).toFixed(2),
      ),
      'req/s 16 conn': pair('req/s 16 conn'),
      'p95 ms 16 conn': pair('p95 ms 16 conn'),
      'req/s 1 conn': pair('req/s 1 conn'),
      'cold CPU ms/req': pair('cold CPU ms/req'),
      'same counts': matches[label] === matches[`${label} (base)`] ? 'yes' : 'NO',
    };
  }
  console.log(`BENCH_BASE (${baseDir}) → this checkout, medians of the same ${rounds} alternating rounds:`);
  console.table(compare);
}
