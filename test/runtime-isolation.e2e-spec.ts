import { EventBus } from '@app/common';
import { type HookCallEvent, PluginRuntime, RuntimeError } from '@app/runtime';
import { inlinePlugin } from '@app/runtime/testing.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, useTestApp } from './support/app.js';

/**
 * The runtime shares the API's process: a plugin that loops, exhausts its memory or throws must fail
 * alone while the API on the main thread keeps answering. The runtime's own suite proves this against a
 * bare HTTP server; this one does it against the real application and its one PluginRuntime.
 */
describe('a runaway plugin does not stall the API', () => {
  const t = useTestApp({ env: { PLUGHUB_RUNTIME_WORKERS: '2' } });
  const calls: HookCallEvent[] = [];
  let runtime: PluginRuntime;
  let jwt: string;

  beforeAll(async () => {
    runtime = t.app.get(PluginRuntime);
    // What metrics and health will subscribe to: every hook call, through the event bus.
    t.app.get(EventBus).on('runtime.call', (call) => void calls.push(call));
    await runtime.warmUp();
    jwt = await t.login(ADMIN.email, ADMIN.password);
  });

  /** Hits the API every 20 ms while `during` runs; returns the slowest answer in ms. */
  async function slowestApiAnswerDuring(during: Promise<unknown>): Promise<{ slowest: number; answered: number }> {
    let done = false;
    void during.finally(() => (done = true)).catch(() => undefined);
    let slowest = 0;
    let answered = 0;
    while (!done) {
      const started = performance.now();
      const res = await fetch(`${t.baseUrl}/api/auth/me/`, { headers: { authorization: `Bearer ${jwt}` } });
      expect(res.status).toBe(200);
      slowest = Math.max(slowest, performance.now() - started);
      answered++;
      await new Promise((r) => setTimeout(r, 20));
    }
    return { slowest, answered };
  }

  it.each([
    // [name, hook body, acceptable outcomes, API answers expected while it runs]
    ['an infinite loop', 'for (;;) {}', ['timeout', 'killed'], 10],
    ['a memory bomb', 'const a = []; for (;;) a.push(new Array(1e5).fill(1));', ['error', 'killed'], 1],
    ['a throw', 'throw new Error("boom")', ['error'], 1],
  ] as const)('%s in onMessage fails that call only', async (_name, body, outcomes, minAnswered) => {
    const spec = inlinePlugin(`export default { onMessage() { ${body} } };`, {
      limits: { timeout_ms: 800, memory_mb: 8 },
    });
    const healthy = inlinePlugin('export default { onMessage(m) { return { echo: m.data }; } };');
    await runtime.load(spec);
    await runtime.load(healthy);

    const call = runtime.message(spec.installationId, { type: 'go' });
    const { slowest, answered } = await slowestApiAnswerDuring(call);
    await expect(call).rejects.toBeInstanceOf(RuntimeError);

    expect(answered).toBeGreaterThanOrEqual(minAnswered);
    expect(slowest).toBeLessThan(300);
    expect(await runtime.message(healthy.installationId, { type: 'x', data: 7 })).toEqual({ echo: 7 });
    const last = calls.filter((c) => c.installationId === spec.installationId).at(-1)!;
    expect(last.hook).toBe('onMessage');
    expect(outcomes as readonly string[]).toContain(last.outcome);
  });
});
