import { PluginRuntime, RuntimeError } from '@app/runtime';
import { inlinePlugin, RecordingObserver } from '@app/runtime/testing.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, useTestApp } from './support/app.js';

/**
 * The runtime shares the API's process: a plugin that loops, exhausts its memory or throws must fail
 * alone while the API on the main thread keeps answering. The runtime's own suite proves this against a
 * bare HTTP server; this one does it against the real application.
 */
describe('a runaway plugin does not stall the API', () => {
  const t = useTestApp();
  const observer = new RecordingObserver();
  const runtime = new PluginRuntime({ observer, workers: 2 });
  let jwt: string;

  beforeAll(async () => {
    await runtime.warmUp();
    jwt = await t.login(ADMIN.email, ADMIN.password);
  });
  afterAll(() => runtime.close());

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
    const last = observer.callsOf(spec.installationId).at(-1)!;
    expect(last.hook).toBe('onMessage');
    expect(outcomes as readonly string[]).toContain(last.outcome);
  });
});
