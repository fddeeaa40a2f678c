import { EventBus } from '@app/common';
import { type HookCallEvent, PluginRuntime } from '@app/runtime';
import { inlinePlugin } from '@app/runtime/testing.js';
import { describe, expect, it } from 'vitest';
import { useTestApp } from './support/app.js';
import { parseExposition, sampleValue } from './support/prometheus.js';

const TOKEN = 'scrape-token-for-tests-0123';

describe('GET /metrics', () => {
  const t = useTestApp({ env: { PLUGHUB_RUNTIME_WORKERS: '1' } });

  async function scrape() {
    const res = await t.client().GET('/metrics', { parseAs: 'text' });
    expect(res.response.status).toBe(200);
    expect(res.response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseExposition(res.data!);
  }

  it('counts the calls, failures and durations of a plugin that really ran, by key and version', async () => {
    const runtime = t.app.get(PluginRuntime);
    const seen: HookCallEvent[] = [];
    const spec = inlinePlugin(
      'export default { onMessage(m) { if (m.data.fail) throw new Error("asked to fail"); return "ok"; } };',
      { pluginKey: 'acme.metered', manifest: { version: '1.2.3' } },
    );
    t.app.get(EventBus).on('runtime.call', (e) => void (e.pluginKey === 'acme.metered' && seen.push(e)));
    await runtime.load({ ...spec, version: '1.2.3' });
    for (let i = 0; i < 5; i++) await runtime.message(spec.installationId, { type: 't', data: { fail: false } });
    for (let i = 0; i < 3; i++) {
      await expect(runtime.message(spec.installationId, { type: 't', data: { fail: true } })).rejects.toThrow();
    }

    const e = await scrape();
    const labels = { plugin: 'acme.metered', version: '1.2.3' };
    const messages = seen.filter((c) => c.hook === 'onMessage');
    expect(messages).toHaveLength(8);
    expect(sampleValue(e, 'plughub_plugin_calls_total', labels)).toBe(seen.length);
    expect(sampleValue(e, 'plughub_plugin_call_errors_total', labels)).toBe(3);
    expect(sampleValue(e, 'plughub_plugin_call_duration_seconds_count', labels)).toBe(seen.length);
    const sum = seen.reduce((s, c) => s + c.durationMs / 1000, 0);
    expect(sampleValue(e, 'plughub_plugin_call_duration_seconds_sum', labels)).toBeCloseTo(sum, 6);
    expect(sampleValue(e, 'plughub_runtime_instances', { state: 'ready' })).toBe(1);
    expect(sampleValue(e, 'plughub_runtime_workers_alive')).toBe(1);
    await runtime.stop(spec.installationId);
  });

  it('times HTTP requests by route template, method and status', async () => {
    const route = { route: '/api/health/ready', method: 'GET', status: '200' };
    const name = 'plughub_http_request_duration_seconds_count';
    const before = sampleValue(await scrape(), name, route) ?? 0;
    for (let i = 0; i < 3; i++) expect((await t.client().GET('/api/health/ready/')).response.status).toBe(200);
    await fetch(`${t.baseUrl}/api/no-such-thing/${Date.now()}`);

    const e = await scrape();
    expect(sampleValue(e, name, route)).toBe(before + 3);
    expect(sampleValue(e, name, { route: 'unmatched', method: 'GET', status: '404' })).toBeGreaterThanOrEqual(1);
    const routes = e.samples.filter((s) => s.name === name).map((s) => s.labels.route);
    expect(routes.every((r) => r === 'unmatched' || !/\d{6,}/.test(r))).toBe(true); // templates, not raw URLs
  });

  it('stays outside the /api prefix', async () => {
    expect((await fetch(`${t.baseUrl}/api/metrics`)).status).toBe(404);
  });
});

describe('GET /metrics with PLUGHUB_METRICS_TOKEN set', () => {
  const t = useTestApp({ env: { PLUGHUB_METRICS_TOKEN: TOKEN } });

  it('answers 401 metrics_token without the token, or with a user JWT', async () => {
    const anonymous = await t.client().GET('/metrics', { parseAs: 'text' });
    expect(anonymous.response.status).toBe(401);
    expect(anonymous.error).toMatchObject({ code: 'UNAUTHENTICATED', details: { reason: 'metrics_token' } });

    const user = await t.createUser({ email: 'scraper@plughub.test' });
    const withJwt = await t.client({ accessToken: user.token }).GET('/metrics', { parseAs: 'text' });
    expect(withJwt.response.status).toBe(401);
  });

  it('serves the exposition to a scraper with the token', async () => {
    const res = await t.client({ headers: { authorization: `Bearer ${TOKEN}` } }).GET('/metrics', { parseAs: 'text' });
    expect(res.response.status).toBe(200);
    expect(parseExposition(res.data!).types.get('plughub_http_request_duration_seconds')).toBe('HISTOGRAM');
  });
});
