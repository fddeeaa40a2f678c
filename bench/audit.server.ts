/**
 * The server side of bench/audit.bench.ts: boots the compiled app on an in-memory embedded engine, prints
 * `LISTENING <port>`, then takes one command a line on stdin and answers one line on stdout:
 *
 * - `audit on` / `audit off`: the app's own AuditInterceptor records mutating requests, or (off) passes them
 *   through untouched, its onResponse hook returning at once: the same process, routes and JIT state, so rounds
 *   of the two can alternate;
 * - `cpu`: this process's CPU time so far in µs (user + system), for CPU per request;
 * - `drain`: waits until every queued audit entry is written, then answers the number this node wrote;
 * - `burst <n>`: the writer alone, without HTTP: n background actions through the log's own `audit.action`
 *   handler at once, then drained; answers the milliseconds from the first append until all n are written.
 *
 * A bench harness only: the switch exists here, never in the product.
 */
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fromDist, inProcessApp, processEnv } from './support.js';

const { AuditInterceptor } =
  await fromDist<typeof import('../apps/api/src/admin/audit.interceptor.js')>('admin/audit.interceptor.js');
const { AuditLog } = await fromDist<typeof import('../apps/api/src/admin/audit-log.js')>('admin/audit-log.js');

const app = await inProcessApp({ ...processEnv(), PORT: '0', HOST: '127.0.0.1' });
await app.listen(0, '127.0.0.1');
const { port } = app.getHttpServer().address() as { port: number };

const interceptor = app.get(AuditInterceptor);
const log = app.get(AuditLog);
// The instance's own methods, looked up per request by Nest (intercept) and by the onResponse hook (recordResponse).
type Switchable = { intercept: unknown; recordResponse: unknown };
const target = interceptor as unknown as Switchable;
const proto = Object.getPrototypeOf(interceptor) as Switchable;
const off: Switchable = {
  intercept: (_context: unknown, next: { handle: () => unknown }) => next.handle(),
  recordResponse: () => undefined,
};

createInterface({ input: process.stdin }).on('line', (line) => {
  void (async () => {
    const [command, arg] = line.trim().split(/\s+/);
    if (command === 'audit') {
      const mode = arg === 'off' ? off : proto;
      target.intercept = mode.intercept;
      target.recordResponse = mode.recordResponse;
      process.stdout.write(`OK audit ${arg}\n`);
    } else if (command === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.stdout.write(`CPU ${user + system}\n`);
    } else if (command === 'burst') {
      const n = Number(arg);
      const started = performance.now();
      for (let i = 0; i < n; i++) {
        log.onAction({
          actor: { kind: 'system', component: 'bench.audit' },
          action: 'bench.burst',
          target: { type: 'plugins', id: `bench.plugin-${i % 50}` },
          outcome: 'success',
          details: { n: i },
          at: new Date(),
        });
      }
      await log.flush();
      process.stdout.write(`BURST ${(performance.now() - started).toFixed(1)}\n`);
    } else if (command === 'drain') {
      await log.flush();
      process.stdout.write(`DRAINED ${log.writtenCount}\n`);
    }
  })();
});
process.stdin.on('end', () => void app.close().then(() => process.exit(0)));
process.stdout.write(`LISTENING ${port}\n`);
