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
    // The first answer pays for lazy loading and JIT; the counted ones should not.
    expect((await fetch(`${t.baseUrl}/api/auth/me/`, { headers: { authorization: `Bearer ${jwt}` } })).status).toBe(
      200,
    );
  });

  /**
   * Hits the API every 20 ms while `during` runs; counts the answers (each a 200), and those that came back while
   * `during` was still running, which none could if the plugin blocked the main thread.
   */
  async function apiAnswersDuring(during: Promise<unknown>): Promise<{ answered: number; whileRunning: number }> {
    let done = false;
    void during.finally(() => (done = true)).catch(() => undefined);
    let answered = 0;
    let whileRunning = 0;
    while (!done) {
      const res = await fetch(`${t.baseUrl}/api/auth/me/`, { headers: { authorization: `Bearer ${jwt}` } });
      expect(res.status).toBe(200);
      answered++;
      if (!done) whileRunning++;
      await new Promise((r) => setTimeout(r, 20));
    }
    return { answered, whileRunning };
  }

  it.each([
    // [name, hook body, timeout_ms, acceptable outcomes, API answers expected while the plugin still runs]. The loop
    // holds its worker for its timeout_ms (3 s): an API answer takes milliseconds, so one in that time leaves a
    // factor of a hundred for a loaded machine. Bombs and throws may end before any answer does.
    ['an infinite loop', 'for (;;) {}', 3000, ['timeout', 'killed'], 1],
    ['a memory bomb', 'const a = []; for (;;) a.push(new Array(1e5).fill(1));', 20_000, ['error', 'killed'], 0],
    ['a throw', 'throw new Error("boom")', 800, ['error'], 0],
  ] as const)('%s in onMessage fails that call only', async (_name, body, timeout, outcomes, minWhileRunning) => {
    const spec = inlinePlugin(`export default { onMessage() { ${body} } };`, {
      limits: { timeout_ms: timeout, memory_mb: 8 },
    });
    const healthy = inlinePlugin('export default { onMessage(m) { return { echo: m.data }; } };');
    await runtime.load(spec);
    await runtime.load(healthy);

    const call = runtime.message(spec.installationId, { type: 'go' });
    const { answered, whileRunning } = await apiAnswersDuring(call);
    await expect(call).rejects.toBeInstanceOf(RuntimeError);

    expect(answered).toBeGreaterThanOrEqual(1);
    expect(whileRunning).toBeGreaterThanOrEqual(minWhileRunning);
    expect(await runtime.message(healthy.installationId, { type: 'x', data: 7 })).toEqual({ echo: 7 });
    // The neighbour was not charged for what the other plugin did.
    expect(runtime.status(healthy.installationId)).toMatchObject({ state: 'ready', recentFailures: 0, errors: 0 });
    const last = calls.filter((c) => c.installationId === spec.installationId).at(-1)!;
    expect(last.hook).toBe('onMessage');
    expect(outcomes as readonly string[]).toContain(last.outcome);
  });
});
