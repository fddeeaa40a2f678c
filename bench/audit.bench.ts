/**
 * What the audit log costs (issue 15):
 *
 *   npm run build && npx tsx bench/audit.bench.ts [seconds-per-round] [rounds]
 *
 * 1. The added latency of the AuditInterceptor on a mutating request: PATCH /api/users/{id}/ (a platform admin
 *    renaming an account: the JWT guard, validation, one conditional write), one client sending one request after
 *    the other, in rounds that alternate between the interceptor recording (`with`) and passing through
 *    (`without`), in one server process (bench/audit.server.ts holds the switch). Per round: the p50 of the
 *    request times seen here and the server's CPU per request; the figures are the medians over the rounds.
 * 2. Audit writes per second under 50 concurrent mutating clients (autocannon, the same PATCH): entries written
 *    by the node over the time from the first request until its queue is drained, beside the requests answered per
 *    second (the entries keep pace when the two match); and the writer alone, 5,000 background actions appended at
 *    once and written in batches. Then GET /api/admin/audit/verify/ walks the whole chain, which must still verify.
 *
 * The server runs as a child process, so load generation never shares its event loop; loopback only.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { median } from './support.js';

const seconds = Number(process.argv[2] ?? 3);
const rounds = Number(process.argv[3] ?? 5);
if (!existsSync('dist/apps/api/src/main.js')) throw new Error('run `npm run build` first');

const admin = { email: 'bench@plughub.local', password: 'bench-password-1' };
const child = spawn(process.execPath, ['--import', 'tsx', 'bench/audit.server.ts'], {
  env: { ...process.env, PLUGHUB_ADMIN_EMAIL: admin.email, PLUGHUB_ADMIN_PASSWORD: admin.password },
  stdio: ['pipe', 'pipe', 'inherit'],
});
const lines = createInterface({ input: child.stdout });
const waiting: Array<(line: string) => void> = [];
const early: string[] = [];
lines.on('line', (line) => {
  const next = waiting.shift();
  if (next) next(line);
  else early.push(line);
});
const nextLine = () =>
  new Promise<string>((resolve) => {
    const line = early.shift();
    if (line !== undefined) resolve(line);
    else waiting.push(resolve);
  });
const ask = async (command: string): Promise<string> => {
  child.stdin.write(`${command}\n`);
  return nextLine();
};

const listening = /^LISTENING (\d+)$/.exec(await nextLine());
if (!listening) throw new Error('the bench server did not start');
const base = `http://127.0.0.1:${listening[1]}`;
const login = (await (
  await fetch(`${base}/api/auth/token/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(admin),
  })
).json()) as { access_token: string };
const headers = { authorization: `Bearer ${login.access_token}`, 'content-type': 'application/json' };
const me = (await (await fetch(`${base}/api/auth/me/`, { headers })).json()) as { id: string };
const url = `${base}/api/users/${me.id}/`;
const body = JSON.stringify({ name: 'Bench Admin' });

/** One client, one request after the other, for `seconds`: the p50 request time (ms) and server CPU µs each. */
async function latencyRound(): Promise<{ p50: number; cpuUs: number; n: number }> {
  const times: number[] = [];
  const cpu0 = Number((await ask('cpu')).split(' ')[1]);
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const started = performance.now();
    const res = await fetch(url, { method: 'PATCH', headers, body });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`PATCH answered ${res.status}`);
    times.push(performance.now() - started);
  }
  const cpu1 = Number((await ask('cpu')).split(' ')[1]);
  return { p50: median(times), cpuUs: (cpu1 - cpu0) / times.length, n: times.length };
}

// Warm-up: JIT, connection pools, both paths.
for (const mode of ['on', 'off', 'on']) {
  await ask(`audit ${mode}`);
  await latencyRound();
}
await ask('drain');

const withAudit: Array<{ p50: number; cpuUs: number; n: number }> = [];
const withoutAudit: Array<{ p50: number; cpuUs: number; n: number }> = [];
for (let i = 0; i < rounds; i++) {
  // Alternate which side goes first, so drift over the run hits both alike.
  for (const mode of i % 2 ? ['off', 'on'] : ['on', 'off']) {
    await ask(`audit ${mode}`);
    const r = await latencyRound();
    (mode === 'on' ? withAudit : withoutAudit).push(r);
    if (mode === 'on') await ask('drain'); // written before the next round, not during it
    console.log(
      `round ${i + 1} ${mode === 'on' ? 'with   ' : 'without'}: p50 ${r.p50.toFixed(3)} ms, ` +
        `server CPU ${r.cpuUs.toFixed(0)} µs/request, ${r.n} requests`,
    );
  }
}
const p50With = median(withAudit.map((r) => r.p50));
const p50Without = median(withoutAudit.map((r) => r.p50));
const cpuWith = median(withAudit.map((r) => r.cpuUs));
const cpuWithout = median(withoutAudit.map((r) => r.cpuUs));

// Throughput: 50 concurrent clients, audit on; entries written from the first request until drained.
await ask('audit on');
const throughput: Array<{ writesPerSecond: number; requestsPerSecond: number; requests: number; written: number }> = [];
for (let i = 0; i < rounds; i++) {
  const written0 = Number((await ask('drain')).split(' ')[1]);
  const started = performance.now();
  const r = await autocannon({ url, method: 'PATCH', headers, body, duration: seconds, connections: 50 });
  const written1 = Number((await ask('drain')).split(' ')[1]);
  const elapsed = (performance.now() - started) / 1000;
  if (r.errors || r.timeouts || r.non2xx) throw new Error(`failed requests: ${r.errors} ${r.timeouts} ${r.non2xx}`);
  const written = written1 - written0;
  throughput.push({
    writesPerSecond: written / elapsed,
    requestsPerSecond: r.requests.total / seconds,
    requests: r.requests.total,
    written,
  });
  console.log(
    `50 clients, round ${i + 1}: ${r.requests.total} requests, ${written} entries written in ${elapsed.toFixed(2)} s ` +
      `(${(written / elapsed).toFixed(0)}/s), p50 ${r.latency.p50} ms`,
  );
}
const BURST = 5000;
const bursts: number[] = [];
for (let i = 0; i < rounds; i++) {
  const ms = Number((await ask(`burst ${BURST}`)).split(' ')[1]);
  bursts.push((BURST * 1000) / ms);
  console.log(`writer alone, round ${i + 1}: ${BURST} entries in ${ms.toFixed(0)} ms`);
}
const verifyStarted = performance.now();
const verify = (await (await fetch(`${base}/api/admin/audit/verify/`, { headers })).json()) as {
  ok: boolean;
  checked: number;
};
const verifyMs = performance.now() - verifyStarted;
child.stdin.end();
await new Promise((r) => child.once('exit', r));

console.table({
  'p50 ms, PATCH /api/users/{id}/ (median of rounds)': {
    with: Number(p50With.toFixed(3)),
    without: Number(p50Without.toFixed(3)),
    'added by the audit': Number((p50With - p50Without).toFixed(3)),
  },
  'server CPU µs per request (median of rounds)': {
    with: Math.round(cpuWith),
    without: Math.round(cpuWithout),
    'added by the audit': Math.round(cpuWith - cpuWithout),
  },
});
console.table({
  'audit writes/s, 50 clients (median)': Math.round(median(throughput.map((t) => t.writesPerSecond))),
  'requests answered/s, 50 clients (median)': Math.round(median(throughput.map((t) => t.requestsPerSecond))),
  'audit writes/s, the writer alone (median)': Math.round(median(bursts)),
  'every request recorded': throughput.every((t) => t.written >= t.requests),
  'chain verifies': verify.ok,
  'entries verified': verify.checked,
  'verify ms': Math.round(verifyMs),
});
if (!verify.ok) process.exitCode = 1;
