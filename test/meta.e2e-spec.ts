import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { API_VERSION } from '../apps/api/src/meta/api-version.js';
import { useTestApp } from './support/app.js';
import { spec } from './support/spec.js';

const t = useTestApp();

describe('meta, health and the served contract', () => {
  it('serves version, changelog and health from real state', async () => {
    const version = await t.client().GET('/api/version/');
    expect(version.data).toMatchObject({ api: API_VERSION, database: 'embedded' });
    const text = await t.client().GET('/api/version-text/');
    expect(text.data!.api).toBe(API_VERSION);
    expect(text.data!.entries[0].version).toBe(API_VERSION);

    const live = await t.client().GET('/api/health/');
    expect(live.data!.status).toBe('ok');
    await new Promise((r) => setTimeout(r, 150));
    const later = await t.client().GET('/api/health/');
    expect(later.data!.uptime_seconds).toBeGreaterThan(live.data!.uptime_seconds);

    const ready = await t.client().GET('/api/health/ready/');
    expect(ready.data!.status).toBe('ready');
    expect(ready.data!.checks.database.status).toBe('up');
  });

  it('serves the same contract that is committed, as JSON and as YAML', async () => {
    const json = await (await fetch(`${t.baseUrl}/api/schema/`)).json();
    expect(json).toEqual(spec);
    const yamlRes = await fetch(`${t.baseUrl}/api/schema/?format=yaml`);
    expect(yamlRes.headers.get('content-type')).toContain('yaml');
    expect(parse(await yamlRes.text())).toEqual(spec);
    const bad = await fetch(`${t.baseUrl}/api/schema/?format=xml`);
    expect(bad.status).toBe(400);
  });

  it('serves Swagger UI at /api/docs/', async () => {
    const res = await fetch(`${t.baseUrl}/api/docs/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('swagger-ui');
  });
});
