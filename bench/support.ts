import { type ChildProcess, spawn } from 'node:child_process';
import { loadavg } from 'node:os';
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

/** The built app in this process on an in-memory embedded engine, with no samples and quiet logs. */
export async function inProcessApp(env: Record<string, string> = {}): Promise<NestFastifyApplication> {
  const { loadConfig } = await fromDist<typeof import('../apps/api/src/config/app-config.js')>('config/app-config.js');
  const { createApp } = await fromDist<typeof import('../apps/api/src/create-app.js')>('create-app.js');
  return createApp(
    loadConfig({
      PLUGHUB_DB_MEMORY: 'true',
      PLUGHUB_LOG_LEVEL: 'warn',
      PLUGHUB_SAMPLES: 'false',
      PLUGHUB_ADMIN_PASSWORD: 'bench-password-1',
      NODE_ENV: 'production',
      ...env,
    }),
  );
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
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
export async function startPlughub(env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, 'dist/apps/api/src/main.js'], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
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

/** One autocannon run on loopback (a GET unless `request` says otherwise). */
export async function load(
  url: string,
  headers: Record<string, string>,
  seconds: number,
  connections = 16,
  request: { method?: 'GET' | 'POST'; body?: string } = {},
): Promise<LoadResult> {
  const latencies: number[] = [];
  const r = await new Promise<autocannon.Result>((resolve, reject) => {
    const run = autocannon(
      { url, headers, duration: seconds, connections, pipelining: 1, ...request },
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

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** The 1, 5 and 15-minute load averages, to print beside every figure measured on a shared machine. */
export function loadAverage(): string {
  return loadavg()
    .map((n) => n.toFixed(1))
    .join(' ');
}
