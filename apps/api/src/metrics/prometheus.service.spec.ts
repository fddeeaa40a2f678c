import { PluginRuntime } from '@app/runtime';
import { describe, expect, it } from 'vitest';
import { strictMock } from '../../../../test/support/strict-mock.js';
import { loadConfig } from '../config/app-config.js';
import { MetricsTokenError } from './metrics.errors.js';
import { PrometheusMetrics } from './prometheus-metrics.js';
import { PrometheusService } from './prometheus.service.js';

const TOKEN = 'scrape-token-0123456789';

function service(token: string | null): PrometheusService {
  const runtime = strictMock(PluginRuntime);
  runtime.workers.mockReturnValue({ alive: 0, dedicated: 0, max: 2 });
  runtime.counts.mockReturnValue({ loading: 0, ready: 0, failed: 0, stopping: 0, stopped: 0 });
  return new PrometheusService(new PrometheusMetrics(runtime), { ...loadConfig({}).metrics, token });
}

describe('PrometheusService', () => {
  it('serves the exposition without credentials when no token is configured', async () => {
    const { contentType, body } = await service(null).exposition(undefined);
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(body).toContain('# TYPE plughub_plugin_calls_total counter');
  });

  it('serves it to a caller with the configured bearer token', async () => {
    const { body } = await service(TOKEN).exposition(`Bearer ${TOKEN}`);
    expect(body).toContain('plughub_runtime_workers_alive 0');
  });

  it.each([
    ['no header', undefined],
    ['a wrong token', 'Bearer scrape-token-0123456780'],
    ['a prefix of the token', 'Bearer scrape-token'],
    ['the token without the scheme', TOKEN],
    ['another scheme', `Token ${TOKEN}`],
  ])('answers 401 metrics_token to %s', async (_case, header) => {
    const err = await service(TOKEN)
      .exposition(header)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MetricsTokenError);
    expect(err).toMatchObject({ code: 'UNAUTHENTICATED', details: { reason: 'metrics_token' } });
  });
});
