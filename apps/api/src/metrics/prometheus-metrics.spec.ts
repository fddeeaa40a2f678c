import type { HookCallEvent } from '@app/runtime';
import { PluginRuntime } from '@app/runtime';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseExposition, sampleValue } from '../../../../test/support/prometheus.js';
import { strictMock } from '../../../../test/support/strict-mock.js';
import { MAX_PLUGIN_SERIES, OTHER_LABEL, PrometheusMetrics, UNMATCHED_ROUTE } from './prometheus-metrics.js';

function call(
  pluginKey: string,
  version: string,
  outcome: HookCallEvent['outcome'],
  durationMs: number,
): HookCallEvent {
  return { installationId: 'i1', pluginKey, version, hook: 'onMessage', outcome, durationMs, at: new Date() };
}

describe('PrometheusMetrics', () => {
  let runtime: ReturnType<typeof strictMock<PluginRuntime>>;
  let metrics: PrometheusMetrics;

  beforeEach(() => {
    runtime = strictMock(PluginRuntime);
    runtime.workers.mockReturnValue({ alive: 3, dedicated: 1, max: 2 });
    runtime.counts.mockReturnValue({ loading: 0, ready: 2, failed: 1, stopping: 0, stopped: 0 });
    metrics = new PrometheusMetrics(runtime);
  });

  it('counts calls, errors and durations per plugin key and version', async () => {
    metrics.onCall(call('acme.a', '1.0.0', 'ok', 4));
    metrics.onCall(call('acme.a', '1.0.0', 'error', 30));
    metrics.onCall(call('acme.a', '1.0.0', 'timeout', 2000));
    metrics.onCall(call('acme.a', '2.0.0', 'ok', 1));

    const e = parseExposition(await metrics.render());
    const v1 = { plugin: 'acme.a', version: '1.0.0' };
    expect(e.types.get('plughub_plugin_calls_total')).toBe('COUNTER');
    expect(sampleValue(e, 'plughub_plugin_calls_total', v1)).toBe(3);
    expect(sampleValue(e, 'plughub_plugin_call_errors_total', v1)).toBe(2);
    expect(sampleValue(e, 'plughub_plugin_calls_total', { plugin: 'acme.a', version: '2.0.0' })).toBe(1);
    expect(sampleValue(e, 'plughub_plugin_call_errors_total', { plugin: 'acme.a', version: '2.0.0' })).toBe(0);
    expect(sampleValue(e, 'plughub_plugin_call_duration_seconds_count', v1)).toBe(3);
    expect(sampleValue(e, 'plughub_plugin_call_duration_seconds_sum', v1)).toBeCloseTo(2.034, 6);
    expect(sampleValue(e, 'plughub_plugin_call_duration_seconds_bucket', { ...v1, le: '0.005' })).toBe(1);
    expect(sampleValue(e, 'plughub_plugin_call_duration_seconds_bucket', { ...v1, le: '0.05' })).toBe(2);
  });

  it('labels plugin series by key and version only', async () => {
    metrics.onCall(call('acme.a', '1.0.0', 'ok', 1));
    const e = parseExposition(await metrics.render());
    const labels = e.samples.filter((s) => s.name === 'plughub_plugin_calls_total').map((s) => Object.keys(s.labels));
    expect(labels).toEqual([['plugin', 'version']]);
  });

  it(`folds plugin versions past ${MAX_PLUGIN_SERIES} into one ${OTHER_LABEL} series`, async () => {
    for (let i = 0; i < MAX_PLUGIN_SERIES + 20; i++) metrics.onCall(call(`acme.p${i}`, '1.0.0', 'ok', 1));
    metrics.onCall(call('acme.p0', '1.0.0', 'ok', 1)); // an early one keeps its own series

    const e = parseExposition(await metrics.render());
    const series = e.samples.filter((s) => s.name === 'plughub_plugin_calls_total');
    expect(series).toHaveLength(MAX_PLUGIN_SERIES + 1); // its own series each, and one for the rest
    expect(sampleValue(e, 'plughub_plugin_calls_total', { plugin: OTHER_LABEL })).toBe(20);
    expect(sampleValue(e, 'plughub_plugin_calls_total', { plugin: 'acme.p0' })).toBe(2);
  });

  it('times HTTP requests by route template, method and status, never by raw URL', async () => {
    metrics.recordRequest('/api/plugins/:key/', 'GET', 200, 0.002);
    metrics.recordRequest('/api/plugins/:key/', 'GET', 200, 0.2);
    metrics.recordRequest('/api/plugins/:key/', 'GET', 404, 0.001);
    metrics.recordRequest(undefined, 'GET', 404, 0.001);
    metrics.recordRequest(undefined, 'BREW', 404, 0.001);

    const e = parseExposition(await metrics.render());
    const name = 'plughub_http_request_duration_seconds_count';
    expect(sampleValue(e, name, { route: '/api/plugins/:key/', method: 'GET', status: '200' })).toBe(2);
    expect(sampleValue(e, name, { route: '/api/plugins/:key/', method: 'GET', status: '404' })).toBe(1);
    expect(sampleValue(e, name, { route: UNMATCHED_ROUTE, method: 'GET', status: '404' })).toBe(1);
    expect(sampleValue(e, name, { route: UNMATCHED_ROUTE, method: 'OTHER', status: '404' })).toBe(1);
    const ok = { route: '/api/plugins/:key/', method: 'GET', status: '200' };
    expect(e.types.get('plughub_http_request_duration_seconds')).toBe('HISTOGRAM');
    expect(sampleValue(e, 'plughub_http_request_duration_seconds_sum', ok)).toBeCloseTo(0.202, 6);
    expect(sampleValue(e, 'plughub_http_request_duration_seconds_bucket', { ...ok, le: '0.001' })).toBe(0);
    expect(sampleValue(e, 'plughub_http_request_duration_seconds_bucket', { ...ok, le: '0.0025' })).toBe(1);
    expect(sampleValue(e, 'plughub_http_request_duration_seconds_bucket', { ...ok, le: '0.25' })).toBe(2);
    expect(sampleValue(e, 'plughub_http_request_duration_seconds_bucket', { ...ok, le: '+Inf' })).toBe(2);
    const labels = e.samples.filter((s) => s.name === name).map((s) => Object.keys(s.labels).sort());
    expect(new Set(labels.map((l) => l.join()))).toEqual(new Set(['method,route,status']));
  });

  it('reports the runtime workers and instances by state as read at scrape time', async () => {
    const e = parseExposition(await metrics.render());
    expect(sampleValue(e, 'plughub_runtime_workers_alive')).toBe(3);
    expect(sampleValue(e, 'plughub_runtime_instances', { state: 'ready' })).toBe(2);
    expect(sampleValue(e, 'plughub_runtime_instances', { state: 'failed' })).toBe(1);
    expect(sampleValue(e, 'plughub_runtime_instances', { state: 'loading' })).toBe(0);
  });

  it('exports the event-loop lag and process metrics', async () => {
    const e = parseExposition(await metrics.render());
    expect(e.types.get('nodejs_eventloop_lag_p99_seconds')).toBe('GAUGE');
    expect(e.types.get('process_cpu_seconds_total')).toBe('COUNTER');
    expect(e.types.get('process_resident_memory_bytes')).toBe('GAUGE');
  });
});
