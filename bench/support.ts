import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import autocannon from 'autocannon';
import { freePort } from '../apps/api/src/messaging/bus/nats-test-server.js';

export { freePort };

/**
 * A module of the built app (`npm run build` first): benches measure the code that ships, not tsx's transpile.
 * The type comes from the source file, e.g. `fromDist<typeof import('../apps/api/src/x.js')>('x.js')`.
 */
export function fromDist<M>(path: string): Promise<M> {
  return import(`../dist/apps/api/src/${path}`) as Promise<M>;
}

/** The platform admin every bench server is started with (PLUGHUB_ADMIN_EMAIL / PLUGHUB_ADMIN_PASSWORD). */
export const BENCH_ADMIN = { email: 'bench@plughub.local', password: 'bench-password-1' };

/**
 * What a bench server runs with: the bench admin, no samples, production mode, and no access log (warn), like the
 * bare Fastify baseline, which logs nothing, so both do the same work per request.
 */
export const BENCH_SERVER_ENV: Readonly<Record<string, string>> = {
  PLUGHUB_LOG_LEVEL: 'warn',
  PLUGHUB_ADMIN_EMAIL: BENCH_ADMIN.email,
  PLUGHUB_ADMIN_PASSWORD: BENCH_ADMIN.password,
  PLUGHUB_SAMPLES: 'false',
  NODE_ENV: 'production',
};

/** `[seconds-per-round] [rounds]` from the command line, with the bench's defaults. */
export function roundArgs(seconds = 5, rounds = 3): { seconds: number; rounds: number } {
  return { seconds: Number(process.argv[2] ?? seconds), rounds: Number(process.argv[3] ?? rounds) };
}

/** Stops a bench before it starts when the build it measures is missing. */
export function requireBuild(main = 'dist/apps/api/src/main.js'): void {
  if (!existsSync(main)) throw new Error(`${main} not found: run \`npm run build\` first`);
}

/** This process's environment as strings (a bench server passes on what its bench set). */
export function processEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
}

/** The built app in this process on an in-memory embedded engine, with BENCH_SERVER_ENV; `env` adds or overrides. */
export async function inProcessApp(env: Record<string, string> = {}): Promise<NestFastifyApplication> {
  const { loadConfig } = await fromDist<typeof import('../apps/api/src/config/app-config.js')>('config/app-config.js');
  const { createApp } = await fromDist<typeof import('../apps/api/src/create-app.js')>('create-app.js');
  return createApp(loadConfig({ PLUGHUB_DB_MEMORY: 'true', ...BENCH_SERVER_ENV, ...env }));
}

/** Servers started here; killed when this process exits, so a bench that fails leaves none behind. */
const started = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of started) if (child.exitCode === null) child.kill('SIGKILL');
});

function track<C extends ChildProcess>(child: C): C {
  started.add(child);
  child.once('exit', () => started.delete(child));
  return child;
}

/**
 * Starts a node script as a child process and resolves once it prints `LISTENING <port>` (or a URL with a port),
 * with what it printed until then.
 */
export function startServer(
  args: string[],
  env: Record<string, string> = {},
  ready = /LISTENING (\d+)|"url":"http:\/\/[^:]+:(\d+)/,
): Promise<{ child: ChildProcess; port: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = track(
      spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = ready.exec(out);
      if (m) {
        child.stdout.off('data', onData);
        child.stdout.resume();
        child.stderr.resume();
        resolve({ child, port: Number(m[1] ?? m[2]), output: out });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => reject(new Error(`server exited (${code}) before listening:\n${out}`)));
  });
}

/**
 * Starts the built Plughub server on a free port and resolves once GET /api/health/ answers. `BENCH_SERVER_NODE_ARGS`
 * (space-separated) go to the server's node, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to see where its time goes.
 */
export async function startPlughub(
  env: Record<string, string>,
  main = 'dist/apps/api/src/main.js',
): Promise<{ child: ChildProcess; port: number }> {
  requireBuild(main);
  const port = await freePort();
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = track(
    spawn(process.execPath, [...nodeArgs, main], {
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    }),
  );
  // A loaded machine can need longer to boot the app: BENCH_START_TIMEOUT_S sets the wait (default 180 s).
  const waitS = Number(process.env.BENCH_START_TIMEOUT_S ?? 180);
  const deadline = Date.now() + waitS * 1000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`plughub exited with ${child.exitCode}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/api/health/`)).ok) return { child, port };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`plughub did not become healthy within ${waitS} s`);
}

/**
 * The built server (startPlughub) on an in-memory embedded engine with BENCH_SERVER_ENV (`env` adds or
 * overrides), and its base URL; `main` names another build's entry (a checkout of the commit to compare with).
 */
export async function startBenchServer(
  env: Record<string, string> = {},
  main?: string,
): Promise<{ child: ChildProcess; port: number; url: string }> {
  const server = await startPlughub({ PLUGHUB_DB_MEMORY: 'true', ...BENCH_SERVER_ENV, ...env }, main);
  return { ...server, url: `http://127.0.0.1:${server.port}` };
}

/**
 * A JSON request to a bench server, answering the parsed body; a status other than 2xx throws with the answer.
 * `token` is sent as a bearer token.
 */
export async function requestJson<T = Record<string, unknown>>(
  base: string,
  path: string,
  init: { method?: string; body?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<T> {
  const method = init.method ?? 'GET';
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...init.headers,
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** An access token of `user` (default: the bench admin) from POST /api/auth/token/. */
export async function loginToken(base: string, user: { email: string; password: string } = BENCH_ADMIN) {
  return (await requestJson<{ access_token: string }>(base, '/api/auth/token/', { method: 'POST', body: user }))
    .access_token;
}

export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

export interface LoadResult {
  rps: number;
  p50: number;
  /** From every response's own latency (autocannon's summary has no p95). */
  p95: number;
  p99: number;
  errors: number;
  non2xx: number;
  /** Requests answered in the run. */
  requests: number;
}

/**
 * One autocannon run on loopback (a GET unless `request` says otherwise). With `request.paths`, the requests go
 * to those paths of `url`'s server in turn, shared by all connections (a pool of varied queries, not one key).
 */
export async function load(
  url: string,
  headers: Record<string, string>,
  seconds: number,
  connections = 16,
  request: { method?: 'GET' | 'POST'; body?: string; paths?: readonly string[] } = {},
): Promise<LoadResult> {
  const latencies: number[] = [];
  const { paths, ...rest } = request;
  let next = 0;
  const pooled = paths?.length
    ? {
        requests: [
          {
            setupRequest: (req: autocannon.Request): autocannon.Request => ({
              ...req,
              path: paths[next++ % paths.length],
            }),
          },
        ],
      }
    : {};
  const r = await new Promise<autocannon.Result>((resolve, reject) => {
    const run = autocannon(
      { url, headers, duration: seconds, connections, pipelining: 1, ...rest, ...pooled },
      (err, result) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(result)),
    );
    run.on('response', (_client, _status, _bytes, ms) => latencies.push(ms));
  });
  latencies.sort((a, b) => a - b);
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p95: latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.95))] : NaN,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    requests: r.requests.total,
  };
}

/** One server under load: where to send the requests, and the process whose CPU time they cost. */
export interface BenchSide {
  label: string;
  url: string;
  headers?: Record<string, string>;
  pid: number;
}

/** One round's load figures, with the server's CPU time per request (µs, from /proc). */
export interface SideRound extends LoadResult {
  cpuUs: number;
}

/** One round against a side; any failed request or non-2xx answer stops the bench. */
export async function measureSide(
  side: BenchSide,
  seconds: number,
  request: { method?: 'GET' | 'POST'; body?: string } = {},
): Promise<SideRound> {
  const before = processCpuMs(side.pid);
  const r = await load(side.url, requestHeaders(side, request), seconds, 16, request);
  const cpuUs = ((processCpuMs(side.pid) - before) * 1000) / Math.max(1, r.requests);
  if (r.errors || r.non2xx) throw new Error(`failed requests at ${side.url}: ${JSON.stringify(r)}`);
  return { ...r, cpuUs };
}

function requestHeaders(side: BenchSide, request: { body?: string } = {}): Record<string, string> {
  return request.body === undefined ? { ...side.headers } : { 'content-type': 'application/json', ...side.headers };
}

/**
 * Rounds that alternate between the sides (e.g. a bare Fastify baseline and Plughub), so machine noise hits all of
 * them, after a 2 s warm-up of each (JIT, pools, caches); each round is printed. Answers each side's rounds, in the
 * order of `sides`; take medians of them.
 */
export async function alternatingRounds(
  sides: BenchSide[],
  options: { seconds: number; rounds: number; request?: { method?: 'GET' | 'POST'; body?: string } },
): Promise<SideRound[][]> {
  // Warm-up (JIT, pools, caches): its answers are not judged.
  for (const side of sides) await load(side.url, requestHeaders(side, options.request), 2, 16, options.request);
  const results: SideRound[][] = sides.map(() => []);
  for (let i = 0; i < options.rounds; i++) {
    const line: string[] = [];
    for (const [n, side] of sides.entries()) {
      const r = await measureSide(side, options.seconds, options.request);
      results[n].push(r);
      line.push(
        `${side.label} ${r.rps.toFixed(0)} req/s (${r.cpuUs.toFixed(0)} µs CPU/req, p50 ${r.p50} ms, p99 ${r.p99} ms)`,
      );
    }
    console.log(`round ${i + 1} (load ${loadAverage()}): ${line.join(', ')}`);
  }
  return results;
}

/** The median of one figure over a side's rounds. */
export const medianOf = (rounds: SideRound[], figure: (r: SideRound) => number) => median(rounds.map(figure));

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * utime + stime of a process so far, in milliseconds, from /proc (Linux clock ticks are 10 ms): a server's CPU per
 * request does not depend on how much of a loaded machine's CPU it was left.
 */
export function processCpuMs(pid: number): number {
  return processCpuMsOf(`/proc/${pid}/stat`);
}

/** utime + stime in ms from a /proc stat file: a process's (`/proc/<pid>/stat`) or one thread's (`…/task/<tid>/stat`). */
export function processCpuMsOf(statFile: string): number {
  const fields = readFileSync(statFile, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Runs `task` and answers its result with the wall time and this process's CPU time (user + system) it took, in ms. */
export async function timed<T>(task: () => Promise<T>): Promise<{ value: T; ms: number; cpuMs: number }> {
  const started = performance.now();
  const used = process.cpuUsage();
  const value = await task();
  const ms = performance.now() - started;
  const spent = process.cpuUsage(used);
  return { value, ms, cpuMs: (spent.user + spent.system) / 1000 };
}

/** The 1, 5 and 15-minute load averages, to print beside every figure measured on a shared machine. */
export function loadAverage(): string {
  return loadavg()
    .map((n) => n.toFixed(1))
    .join(' ');
}

/**
 * The V8 sampling profiler of this process, started and stopped around the part of a bench to profile (the queries,
 * not the fill); the file is for bench/cpu-profile-summary.ts.
 */
export function inspectorProfiler() {
  const session = new Session();
  return {
    async start() {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    },
    async stop(file: string) {
      const { profile } = await session.post('Profiler.stop');
      await writeFile(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}
