/**
 * What a storm of wrong logins does to an unrelated write (issue 9), with password hashing bounded and not
 * (not a test):
 *
 *   npm run build && npx tsx bench/login-storm.bench.ts [rounds]
 *
 * Each round starts Plughub on a durable embedded engine (its file I/O shares libuv's thread pool with scrypt),
 * times one unrelated write (creating an organisation) alone, then again while 32 wrong logins hash at once, with
 * PLUGHUB_HASH_CONCURRENCY=2 (the default) and =64 (in effect unbounded), alternating so machine noise hits both.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { median, startPlughub, stopServer } from './support.js';

const rounds = Number(process.argv[2] ?? 3);
const STORM = 32;
const admin = { email: 'bench@plughub.local', password: 'bench-password-1' };

async function post(base: string, path: string, body: unknown, token?: string): Promise<Response> {
  return fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
}

async function timedWrite(base: string, token: string, slug: string): Promise<number> {
  const started = performance.now();
  const res = await post(base, '/api/orgs/', { slug, name: slug }, token);
  if (res.status !== 201) throw new Error(`write answered ${res.status}`);
  return performance.now() - started;
}

async function round(concurrency: number, n: number): Promise<{ alone: number; storm: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'plughub-storm-'));
  const api = await startPlughub({
    PLUGHUB_DATA_DIR: dir,
    PLUGHUB_LOG_LEVEL: 'warn',
    PLUGHUB_ADMIN_EMAIL: admin.email,
    PLUGHUB_ADMIN_PASSWORD: admin.password,
    PLUGHUB_SAMPLES: 'false',
    PLUGHUB_HASH_CONCURRENCY: String(concurrency),
    NODE_ENV: 'production',
  });
  const base = `http://127.0.0.1:${api.port}`;
  try {
    const { access_token: token } = (await (await post(base, '/api/auth/token/', admin)).json()) as {
      access_token: string;
    };
    const alone: number[] = [];
    for (let i = 0; i < 5; i++) alone.push(await timedWrite(base, token, `alone-${n}-${i}`));
    const storm = Array.from({ length: STORM }, () =>
      post(base, '/api/auth/token/', { email: admin.email, password: 'wrong-password' }),
    );
    await new Promise((r) => setTimeout(r, 50)); // let the hashes start
    const during = await timedWrite(base, token, `storm-${n}`);
    const answers = await Promise.all(storm);
    if (answers.some((r) => r.status !== 401)) throw new Error('a wrong login did not answer 401');
    return { alone: median(alone), storm: during };
  } finally {
    await stopServer(api.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

const results: Record<string, { alone: number[]; storm: number[] }> = {
  'bounded (2)': { alone: [], storm: [] },
  'unbounded (64)': { alone: [], storm: [] },
};
for (let i = 0; i < rounds; i++) {
  for (const [label, concurrency] of [
    ['bounded (2)', 2],
    ['unbounded (64)', 64],
  ] as const) {
    const r = await round(concurrency, i);
    results[label].alone.push(r.alone);
    results[label].storm.push(r.storm);
    console.log(
      `round ${i + 1} ${label}: write alone ${r.alone.toFixed(1)} ms, during ${STORM} logins ${r.storm.toFixed(1)} ms`,
    );
  }
}
console.table(
  Object.fromEntries(
    Object.entries(results).map(([label, r]) => [
      label,
      {
        'write alone, ms (median)': Number(median(r.alone).toFixed(1)),
        'write during storm, ms (median)': Number(median(r.storm).toFixed(1)),
      },
    ]),
  ),
);
