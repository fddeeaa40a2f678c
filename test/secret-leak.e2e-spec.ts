import type { AuthUser } from '@app/common';
import { PluginRuntime } from '@app/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../apps/api/src/admin/audit-log.js';
import { ModerationService } from '../apps/api/src/registry/moderation.service.js';
import { SECRET_MASK } from '@app/plugin-sdk';
import { ADMIN, type TestApp, useTestApp } from './support/app.js';
import { rawSnapshot } from './support/raw-db.js';

/**
 * The secret-leak test of issue 12: secrets are set through every body that carries settings (install, org
 * enable, update, config PUT/PATCH/validate, the settings endpoints), every endpoint of the configuration,
 * permissions and installation modules is exercised, and every response body, every log line the server wrote
 * and every stored document (audit entries, backups, retained settings and the operation journal included) is
 * searched for the clear text. It is found only in the platform admin's include_secrets answer.
 */

type Client = ReturnType<TestApp['client']>;
type User = Awaited<ReturnType<TestApp['createUser']>>;
type Json = Record<string, unknown>;
type Answer = { data?: unknown; error?: unknown; response: Response };

const t = useTestApp();

const REVIEWER: AuthUser = {
  id: '0000000000000000000000af',
  email: 'reviewer@leak.test',
  name: 'Reviewer',
  roles: ['reviewer'],
  method: 'jwt',
  scopes: null,
};

const KEY = 'acme.leaky';
// Names that do not look secret, so only the manifest's `secret: true` says they are.
const WEBHOOK = 'https://hooks.leak.test/T0-webhook-7e3c';
const WEBHOOK_2 = 'https://hooks.leak.test/T0-webhook-second-11aa';
const WEBHOOK_3 = 'https://hooks.leak.test/T0-webhook-third-22bb';
const API_KEY = 'sk-leak-api-5a1f90';
const JSON_SECRET = 'leak-json-inner-c0ffee';
const ALL = [WEBHOOK, WEBHOOK_2, WEBHOOK_3, API_KEY, JSON_SECRET];

const SETTINGS = {
  greeting: { type: 'string', default: 'Hello' },
  webhook_url: { type: 'string', secret: true, pattern: 'https://.*' },
  api_key: { type: 'string', secret: true },
  signing: { type: 'json', secret: true },
};

const RUNNER = 'let ctx;\nexport default { onInit(c) { ctx = c; }, onMessage() { return { config: ctx.config }; } };\n';
const PERMISSIONS = ['log', 'config:read', 'secrets:read', 'messages:receive'];

const answers: Array<{ where: string; body: string }> = [];
let revealed = '';

/** Keeps the answer's body (or error) for the search, and checks the status. */
async function call<T extends Answer>(where: string, status: number, request: Promise<T>): Promise<T> {
  const res = await request;
  answers.push({ where, body: JSON.stringify(res.data ?? res.error ?? null) });
  expect(res.response.status, `${where}: ${JSON.stringify(res.error)}`).toBe(status);
  return res;
}

let admin: Client;
let publisher: User;
let owner: User;
let member: User;
let installationId: string;

const path = { params: { path: { plugin: KEY } } };
const inOrg = { params: { path: { plugin: KEY }, query: { org: 'leakorg' } } };

async function release(version: string): Promise<void> {
  const manifest = {
    key: KEY,
    name: 'Leaky',
    version,
    description: 'Keeps secrets that do not look like secrets',
    author: 'Acme Labs',
    license: 'MIT',
    runtime: { type: 'sandbox', entry: 'runner.js' },
    permissions: PERMISSIONS,
    settings: SETTINGS,
  };
  const pub = await publisher.client.POST('/api/plugins/', {
    body: { manifest, files: { runner: RUNNER }, scope: 'public' } as never,
  });
  expect(pub.response.status, JSON.stringify(pub.error)).toBe(201);
  await t.app.get(ModerationService).reviewVersion(REVIEWER, KEY, version, 'approved');
}

async function plugin(): Promise<Json> {
  const reply = (await t.app.get(PluginRuntime).message(installationId, { type: 'show' })) as { config: Json };
  return reply.config;
}

beforeAll(async () => {
  publisher = await t.createUser({ email: 'pub@leak.test', roles: ['publisher'], handle: 'acme' });
  owner = await t.createUser({ email: 'owner@leak.test' });
  member = await t.createUser({ email: 'member@leak.test' });
  admin = t.client({ accessToken: await t.login(ADMIN.email, ADMIN.password) });
  await release('1.0.0');
  await release('1.1.0');
}, 120_000);

describe('secret settings never leak', () => {
  it('every body that carries settings, every endpoint of issues 10 and 12', async () => {
    const c = owner.client;
    const secrets = { webhook_url: WEBHOOK, api_key: API_KEY, signing: { token: JSON_SECRET } };
    // Refused installs first: their audit entries carry the body too.
    await call(
      'install refused',
      400,
      c.POST('/api/plugins/{plugin}/install/', {
        ...path,
        body: { version: '1.0.0', config: { ...secrets, greeting: 5 } } as never,
      }),
    );
    const installed = await call(
      'install',
      201,
      c.POST('/api/plugins/{plugin}/install/', {
        ...path,
        body: { version: '1.0.0', config: { ...secrets, greeting: 'Hi' } } as never,
      }),
    );
    installationId = (installed.data as { installation: { id: string } }).installation.id;
    expect(await plugin()).toMatchObject({ webhook_url: WEBHOOK, api_key: API_KEY, signing: { token: JSON_SECRET } });
    await call(
      'install again',
      409,
      c.POST('/api/plugins/{plugin}/install/', { ...path, body: { config: secrets } as never }),
    );

    // Configuration.
    const config = await call('config get', 200, c.GET('/api/plugins/{plugin}/config/', path));
    await call(
      'config schema',
      200,
      c.GET('/api/plugins/{plugin}/config/', { params: { path: { plugin: KEY }, query: { include_schema: true } } }),
    );
    await call(
      'config secrets by the owner',
      403,
      c.GET('/api/plugins/{plugin}/config/', { params: { path: { plugin: KEY }, query: { include_secrets: true } } }),
    );
    await call(
      'config put: the masked answer written back',
      200,
      c.PUT('/api/plugins/{plugin}/config/', { ...path, body: config.data!.configuration as never }),
    );
    expect(await plugin()).toMatchObject({ webhook_url: WEBHOOK, api_key: API_KEY });
    await call(
      'config patch refused',
      400,
      c.PATCH('/api/plugins/{plugin}/config/', { ...path, body: { webhook_url: WEBHOOK_2, greeting: 7 } as never }),
    );
    await call(
      'config patch',
      200,
      c.PATCH('/api/plugins/{plugin}/config/', { ...path, body: { webhook_url: WEBHOOK_2 } as never }),
    );
    expect(await plugin()).toMatchObject({ webhook_url: WEBHOOK_2 });
    await call(
      'config validate',
      200,
      c.POST('/api/plugins/{plugin}/config/validate/', {
        params: { path: { plugin: KEY }, query: { mode: 'merge' } },
        body: { webhook_url: WEBHOOK_3, signing: { token: JSON_SECRET } } as never,
      }),
    );
    await call(
      'config validate refused',
      400,
      c.POST('/api/plugins/{plugin}/config/validate/', {
        params: { path: { plugin: KEY }, query: { mode: 'merge' } },
        body: { webhook_url: 'ftp://not.matching/' + WEBHOOK_3, api_key: 12 } as never,
      }),
    );

    // Settings.
    await call('settings of all', 200, c.GET('/api/plugins/settings/', {}));
    await call('settings list', 200, c.GET('/api/plugins/{plugin}/settings/', path));
    const one = { params: { path: { plugin: KEY, key: 'webhook_url' } } };
    const shown = await call('setting get', 200, c.GET('/api/plugins/{plugin}/settings/{key}/', one));
    expect(shown.data).toMatchObject({ value: SECRET_MASK, has_value: true, secret: true });
    await call(
      'setting put: the mask',
      200,
      c.PUT('/api/plugins/{plugin}/settings/{key}/', { ...one, body: { value: SECRET_MASK } }),
    );
    expect(await plugin()).toMatchObject({ webhook_url: WEBHOOK_2 });
    await call(
      'setting put refused',
      400,
      c.PUT('/api/plugins/{plugin}/settings/{key}/', { ...one, body: { value: 'ftp://' + WEBHOOK_3 } }),
    );
    await call(
      'setting patch',
      200,
      c.PATCH('/api/plugins/{plugin}/settings/{key}/', { ...one, body: { value: WEBHOOK_3 } }),
    );
    await call(
      'json setting put',
      200,
      c.PUT('/api/plugins/{plugin}/settings/{key}/', {
        params: { path: { plugin: KEY, key: 'signing' } },
        body: { value: { token: JSON_SECRET, v: 2 } },
      }),
    );
    expect(await plugin()).toMatchObject({ webhook_url: WEBHOOK_3, signing: { token: JSON_SECRET, v: 2 } });

    // Metadata and permissions.
    await call('metadata get', 200, c.GET('/api/plugins/{plugin}/metadata/', path));
    await call(
      'metadata put',
      200,
      c.PUT('/api/plugins/{plugin}/metadata/', { ...path, body: { metadata: { label: 'leaky' } } }),
    );
    await call(
      'metadata patch',
      200,
      c.PATCH('/api/plugins/{plugin}/metadata/', { ...path, body: { metadata: { pinned: true } } }),
    );
    await call('permissions get', 200, c.GET('/api/plugins/{plugin}/permissions/', path));
    await call(
      'permissions put',
      200,
      c.PUT('/api/plugins/{plugin}/permissions/', { ...path, body: { resource_limits: { memory_mb: 48 } } }),
    );
    await call('capabilities', 200, c.GET('/api/permissions/', {}));

    // Installation: reads, lifecycle, update with a new secret, backups, rollback, uninstall keeping settings.
    await call('installations', 200, c.GET('/api/installations/', {}));
    await call('installation', 200, c.GET('/api/installations/{id}/', { params: { path: { id: installationId } } }));
    await call('my plugins', 200, c.GET('/api/my/plugins/', {}));
    await call('status', 200, admin.GET('/api/plugins/status/', {}));
    await call('deactivate', 200, c.PATCH('/api/plugins/{plugin}/activate/', { ...path, body: { active: false } }));
    await call('activate', 200, c.PUT('/api/plugins/{plugin}/activate/', { ...path, body: { active: true } }));
    await call('disable', 200, c.POST('/api/plugins/{plugin}/disable/', { ...path, body: {} }));
    await call('enable', 200, c.POST('/api/plugins/{plugin}/enable/', { ...path, body: {} }));
    await call('restart', 200, c.POST('/api/plugins/{plugin}/restart/', { ...path, body: {} }));
    await call(
      'update',
      200,
      c.POST('/api/plugins/{plugin}/update/', {
        ...path,
        body: { version: '1.1.0', backup_current: true, config: { api_key: API_KEY + '-updated' } } as never,
      }),
    );
    expect(await plugin()).toMatchObject({ api_key: API_KEY + '-updated', webhook_url: WEBHOOK_3 });
    await call('backups', 200, c.GET('/api/plugins/{plugin}/backups/', path));
    await call('rollback', 200, c.POST('/api/plugins/{plugin}/rollback/', { ...path, body: {} }));
    expect(await plugin()).toMatchObject({ api_key: API_KEY, webhook_url: WEBHOOK_3 });
    await call('reload', 200, admin.POST('/api/plugins/reload/', { body: {} }));
    await call(
      'uninstall keeping settings',
      200,
      c.DELETE('/api/plugins/{plugin}/install/', {
        params: { path: { plugin: KEY }, query: { delete_config: false } },
      }),
    );
    const again = await call('reinstall', 201, c.POST('/api/plugins/{plugin}/install/', { ...path, body: {} }));
    installationId = (again.data as { installation: { id: string } }).installation.id;
    expect(await plugin()).toMatchObject({ api_key: API_KEY, webhook_url: WEBHOOK_3 });

    // An organisation's installation, enabled with secrets; a member reads its non-secret settings.
    await call('org', 201, c.POST('/api/orgs/', { body: { slug: 'leakorg', name: 'Leak Org' } }));
    // Joining is an invitation the member accepts.
    const invited = await call(
      'org invitation',
      202,
      c.POST('/api/orgs/{org}/members/', { params: { path: { org: 'leakorg' } }, body: { user: member.id } }),
    );
    const { token } = invited.data as unknown as { token: string };
    await call('org member', 201, member.client.POST('/api/invitations/accept/', { body: { token } }));
    await call(
      'org enable',
      201,
      c.POST('/api/org/plugins/{plugin}/enable/', { ...inOrg, body: { config: secrets } as never }),
    );
    await call('org plugins', 200, c.GET('/api/org/plugins/', { params: { query: { org: 'leakorg' } } }));
    await call('org config by a member', 200, member.client.GET('/api/plugins/{plugin}/config/', inOrg));
    await call('org settings by a member', 200, member.client.GET('/api/plugins/{plugin}/settings/', inOrg));
    await call('org disable', 200, c.DELETE('/api/org/plugins/{plugin}/disable/', inOrg));

    // The platform admin's global installation, and the one answer that shows secrets in clear.
    const global = { params: { path: { plugin: KEY }, query: { scope: 'global' as const } } };
    await call(
      'global install',
      201,
      admin.POST('/api/plugins/{plugin}/install/', { ...global, body: { config: secrets } as never }),
    );
    const reveal = await admin.GET('/api/plugins/{plugin}/config/', {
      params: { path: { plugin: KEY }, query: { scope: 'global', include_secrets: true } },
    });
    expect(reveal.response.status, JSON.stringify(reveal.error)).toBe(200);
    revealed = JSON.stringify(reveal.data);
    expect(reveal.data!.configuration).toMatchObject(secrets);

    await t.app.get(AuditLog).flush();
    await call('audit', 200, admin.GET('/api/admin/audit/', { params: { query: { limit: 100 } } }));
  }, 600_000);

  it('finds the clear text only in the admin include_secrets answer', async () => {
    expect(revealed).toContain(WEBHOOK);
    expect(revealed).toContain(JSON_SECRET);
    expect(answers.length).toBeGreaterThan(40);
    await t.app.get(AuditLog).flush();
    const stored = await rawSnapshot(t.app);
    expect(stored.audit_entries.length).toBeGreaterThan(20);
    const places = [
      ...answers.map((a) => ({ where: `answer: ${a.where}`, text: a.body })),
      ...t.logs.map((line, i) => ({ where: `log line ${i}`, text: JSON.stringify(line) })),
      ...Object.entries(stored).flatMap(([name, docs]) =>
        docs.map((d) => ({ where: `stored: ${name} ${String(d._id)}`, text: JSON.stringify(d) })),
      ),
    ];
    const found = places.flatMap((p) => ALL.filter((s) => p.text.includes(s)).map((s) => `${p.where} holds ${s}`));
    expect(found).toEqual([]);
    // The stored values are ciphertext (that the plugin read them back is shown above).
    const installation = stored.installations.find((d) => String(d._id) === installationId)!;
    expect(Object.keys(installation.secrets as Json).sort()).toEqual(['api_key', 'signing', 'webhook_url']);
  });
});
