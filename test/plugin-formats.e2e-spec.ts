import { readFileSync } from 'node:fs';
import type { Schemas } from '@app/client';
import { beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, useTestApp } from './support/app.js';

type Client = ReturnType<TestApp['client']>;

/** Seed 002's manifest and plugin, and Nexus's api_endpoints, through the registry's API. */

const t = useTestApp();
let ada: Client;

const seed002 = (name: string) =>
  readFileSync(new URL(`../libs/plugin-sdk/src/fixtures/seed-002/${name}`, import.meta.url), 'utf8');
const path = (plugin: string) => ({ params: { path: { plugin } } });

beforeAll(async () => {
  ada = (
    await t.createUser({
      email: 'ada@example.test',
      name: 'Ada Lovelace',
      roles: ['publisher'],
      handle: 'ada-lovelace',
    })
  ).client;
});

describe("seed 002's manifest, as the document prints it", () => {
  it("is published without a key under the publisher's name, main holding the runner", async () => {
    const manifest = JSON.parse(seed002('manifest.json.txt')) as Schemas['PluginManifest'] & { key?: string };
    expect(manifest.key).toBeUndefined();
    const published = await ada.POST('/api/plugins/', {
      body: { manifest, files: { runner: seed002('index.js.txt') } },
    });
    expect(published.error).toBeUndefined();
    expect(published.data!.plugin.key).toBe('ada-lovelace.data-processor');
    expect(published.data!.version.files.map((f) => f.path)).toContain('index.js');

    const detail = (await ada.GET('/api/plugins/{plugin}/', path('ada-lovelace.data-processor'))).data!;
    expect(detail.manifest).toMatchObject({ key: 'ada-lovelace.data-processor', main: 'index.js' });
    expect((detail.manifest as { permissions?: unknown }).permissions).toEqual([
      'read:data',
      'write:data',
      'process:data',
    ]);
    expect(detail.homepage).toBe('https://example.com/plugins/data-processor');
    expect(detail.api_endpoints).toEqual([]);
  });

  it('is refused at manifest.key when the name gives no key', async () => {
    const manifest = { ...(JSON.parse(seed002('manifest.json.txt')) as Schemas['PluginManifest']), name: '!!!' };
    const { error } = await ada.POST('/api/plugins/', { body: { manifest, files: { runner: 'x' } } });
    expect(error).toMatchObject({ code: 'VALIDATION_ERROR', errors: [{ field: 'manifest.key' }] });
  });
});

describe('api_endpoints on the detail', () => {
  it('lists the endpoints the manifest declares, with the path they are called at', async () => {
    const manifest = {
      key: 'ada-lovelace.auth',
      name: 'Auth',
      version: '1.0.0',
      description: 'serves a login route',
      runtime: { type: 'sandbox', entry: 'runner.js' },
      permissions: ['endpoints:serve', 'users:read'],
      endpoints: [
        { path: 'login', methods: ['POST'], description: 'User login endpoint', public: true },
        { path: 'users/:id', methods: ['GET', 'DELETE'], description: 'A user' },
      ],
    };
    const runner = 'module.exports = { onRequest: (r) => ({ body: r.params }) };';
    expect((await ada.POST('/api/plugins/', { body: { manifest, files: { runner } } })).error).toBeUndefined();
    const detail = (await ada.GET('/api/plugins/{plugin}/', path('ada-lovelace.auth'))).data!;
    expect(detail.api_endpoints).toEqual([
      {
        path: '/api/plugins/ada-lovelace.auth/endpoints/login',
        route: 'login',
        methods: ['POST'],
        description: 'User login endpoint',
        public: true,
      },
      {
        path: '/api/plugins/ada-lovelace.auth/endpoints/users/:id',
        route: 'users/:id',
        methods: ['GET', 'DELETE'],
        description: 'A user',
        public: false,
      },
    ]);
  });

  it('refuses an endpoint that climbs out of the plugin', async () => {
    const manifest = {
      key: 'ada-lovelace.bad',
      name: 'Bad',
      version: '1.0.0',
      description: 'x',
      runtime: { type: 'sandbox', entry: 'runner.js' },
      permissions: ['endpoints:serve'],
      endpoints: [{ path: '../../admin', methods: ['GET'], description: 'no' }],
    };
    const { error } = await ada.POST('/api/plugins/', { body: { manifest, files: { runner: 'x' } } });
    expect(error).toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(error!.errors.map((e) => e.field)).toContain('manifest.endpoints.0.path');
  });
});
