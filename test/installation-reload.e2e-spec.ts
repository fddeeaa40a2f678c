import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuthUser } from '@app/common';
import { PluginRuntime } from '@app/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModerationService } from '../apps/api/src/registry/moderation.service.js';
import { ADMIN, type TestApp, useTestApp } from './support/app.js';

type Client = ReturnType<TestApp['client']>;

const t = useTestApp();

/**
 * What the plugin's onInit fetches: answered at once, or held (`hold`) until the test lets it go, so a reload is
 * certainly still running when the second one arrives (no timing involved).
 */
let hold = false;
let held: ServerResponse | null = null;
let arrived: () => void = () => undefined;
const server = createServer((_req, res) => {
  if (!hold) return void res.end('{}');
  held = res;
  arrived();
});
let port = 0;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('POST /api/plugins/reload/ while a reload runs', () => {
  let admin: Client;
  let runtimeId: string;

  beforeAll(async () => {
    admin = t.client({ accessToken: await t.login(ADMIN.email, ADMIN.password) });
    const hosts = [`127.0.0.1:${port}`];
    const published = await admin.POST('/api/plugins/', {
      body: {
        manifest: {
          key: 'plughub.slow-start',
          name: 'Slow start',
          version: '1.0.0',
          description: 'Fetches something while it starts.',
          author: 'Plughub',
          license: 'MIT',
          permissions: ['log', { capability: 'http:external', hosts }],
          runtime: { type: 'sandbox', entry: 'runner.js' },
          limits: { timeout_ms: 10000 },
        },
        files: {
          runner: `export default { async onInit(ctx) { await ctx.http.fetch('http://127.0.0.1:${port}/ready'); } };\n`,
        },
        scope: 'public',
      } as never,
    });
    expect(published.response.status, JSON.stringify(published.error)).toBe(201);
    const reviewer: AuthUser = {
      id: '0000000000000000000000ab',
      email: 'reviewer@plughub.test',
      name: 'Reviewer',
      roles: ['reviewer'],
      method: 'jwt',
      scopes: null,
    };
    await t.app.get(ModerationService).reviewVersion(reviewer, 'plughub.slow-start', '1.0.0', 'approved');
    const res = await admin.POST('/api/plugins/{plugin}/install/', {
      params: { path: { plugin: 'plughub.slow-start' }, query: { scope: 'global' } },
      body: {},
    });
    expect(res.data?.installation?.status, JSON.stringify(res.error)).toBe('active');
    runtimeId = res.data!.installation!.runtime_id;
  });

  it('is 409 reload_in_progress, never a silent skip; the first one finishes its work', async () => {
    await t.app.get(PluginRuntime).stop(runtimeId, 'test');
    hold = true;
    const fetched = new Promise<void>((resolve) => (arrived = resolve));
    const first = admin.POST('/api/plugins/reload/', { body: {} });
    await fetched; // the first reload is starting the installation, waiting on its onInit
    const second = await admin.POST('/api/plugins/reload/', { body: {} });
    expect([second.response.status, second.error?.code, second.error?.details?.reason]).toEqual([
      409,
      'CONFLICT',
      'reload_in_progress',
    ]);
    const status = await admin.GET('/api/plugins/status/');
    expect(status.data!.reload_in_progress).toBe(true);
    hold = false;
    held!.end('{}');
    const done = await first;
    expect([done.response.status, done.data?.loaded]).toEqual([200, 1]);
    expect(t.app.get(PluginRuntime).status(runtimeId)?.state).toBe('ready');
    expect((await admin.GET('/api/plugins/status/')).data!.reload_in_progress).toBe(false);
  });
});
