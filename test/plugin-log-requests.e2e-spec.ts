import type { AuthUser } from '@app/common';
import { PluginRuntime } from '@app/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { ObservationFlusher } from '../apps/api/src/metrics/observation-flusher.js';
import { ModerationService } from '../apps/api/src/registry/moderation.service.js';
import { type TestApp, useTestApp } from './support/app.js';
import { OBSERVED_PLUGIN_CODE } from './support/observed-plugin.js';

const KEY = 'acme.traced';
const REVIEWER: AuthUser = {
  id: '0000000000000000000000ad',
  email: 'reviewer@traced.test',
  name: 'Reviewer',
  roles: ['reviewer'],
  method: 'jwt',
  scopes: null,
};

/** `request_id` on plugin log lines: the API request whose hook call wrote them (here Execute's onProcess). */
describe('plugin log lines carry the request that caused them', () => {
  const t = useTestApp({ env: { PLUGHUB_RUNTIME_WORKERS: '1' } });
  const path = { params: { path: { plugin: KEY } } };
  let owner: Awaited<ReturnType<TestApp['createUser']>>;
  let installationId: string;

  beforeAll(async () => {
    const publisher = await t.createUser({ email: 'pub@traced.test', roles: ['publisher'], handle: 'acme' });
    owner = await t.createUser({ email: 'owner@traced.test' });
    const manifest = {
      key: KEY,
      name: 'Traced',
      version: '1.0.0',
      description: 'Logs and throws on command',
      author: 'Acme Labs',
      license: 'MIT',
      runtime: { type: 'sandbox', entry: 'runner.js' },
      permissions: ['log', 'process:data', 'messages:receive'],
    };
    const pub = await publisher.client.POST('/api/plugins/', {
      body: { manifest, files: { runner: OBSERVED_PLUGIN_CODE }, scope: 'public' } as never,
    });
    expect(pub.response.status, JSON.stringify(pub.error)).toBe(201);
    await t.app.get(ModerationService).reviewVersion(REVIEWER, KEY, '1.0.0', 'approved');
    const installed = await owner.client.POST('/api/plugins/{plugin}/install/', { ...path, body: {} as never });
    expect(installed.response.status, JSON.stringify(installed.error)).toBe(201);
    installationId = (installed.data as { installation: { id: string } }).installation.id;
  });

  it('is the x-request-id of the Execute call, on the plugin’s line and on the failure line; absent without one', async () => {
    const ok = await owner.client.POST('/api/plugins/{plugin}/execute/', {
      ...path,
      body: { data: { log: 'processing job 1' } },
    });
    expect(ok.response.status, JSON.stringify(ok.error)).toBe(200);
    const failed = await owner.client.POST('/api/plugins/{plugin}/execute/', {
      ...path,
      body: { data: { log: 'processing job 2', fail: 'job 2 broke' } },
    });
    expect(failed.response.status).toBeGreaterThanOrEqual(400);
    await t.app.get(PluginRuntime).message(installationId, { type: 'go', data: { log: 'processing in background' } });
    await t.app.get(ObservationFlusher).flush();

    const okId = ok.response.headers.get('x-request-id');
    const failedId = failed.response.headers.get('x-request-id');
    expect(okId).toBeTruthy();
    expect(failedId).toBeTruthy();
    expect(okId).not.toBe(failedId);
    const logs = await owner.client.GET('/api/plugins/{plugin}/logs/', path);
    expect(logs.response.status, JSON.stringify(logs.error)).toBe(200);
    const lines = logs.data!.results.map((l) => [l.source, l.message.split(':')[0], l.request_id]);
    expect(lines).toEqual([
      ['plugin', 'processing in background', undefined],
      ['runtime', 'onProcess failed (error)', failedId],
      ['plugin', 'processing job 2', failedId],
      ['plugin', 'processing job 1', okId],
    ]);
    expect(logs.data!.results[0]).not.toHaveProperty('request_id');
  });
});
