import { createHash } from 'node:crypto';
import type { Schemas } from '@app/client';
import { type AuthUser, EventBus } from '@app/common';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { projectFile } from '../apps/api/src/config/paths.js';
import { unpackArtifact } from '../apps/api/src/registry/artifact.js';
import { ModerationService } from '../apps/api/src/registry/moderation.service.js';
import { ShippedPluginsLoader } from '../apps/api/src/registry/shipped-plugins.loader.js';
import { type TestApp, useTestApp } from './support/app.js';
import { INSTALLATION_LOOKUP } from '../apps/api/src/registry/registry.ports.js';
import { FakeInstallations } from './support/installations.js';

type Client = ReturnType<TestApp['client']>;
type Json = Record<string, unknown>;

// The registry's own rules over installation states the tests set: its port is overridden with a fake here.
// The real binding (the installation module's) is tested end to end in installation.e2e-spec.ts.
const installations = new FakeInstallations();
const t = useTestApp({ overrides: [{ provide: INSTALLATION_LOOKUP, useValue: installations }] });
/**
 * The fake's installations change as real ones do: stored, then `installation.changed` (which the registry's kept
 * keys and counts follow; without it they would stand for INSTALLED_KEYS_TTL_MS).
 */
async function installationsChanged(change: () => void): Promise<void> {
  change();
  await t.app.get(EventBus).emit('installation.changed', {
    installationId: '0000000000000000000000f1',
    pluginKey: 'fake.change',
    target: { scope: 'global', userId: null, orgId: null },
    version: '1.0.0',
    from: null,
    to: 'active',
    actor: { kind: 'system' },
    reason: null,
    at: new Date(),
  });
}
afterEach(() => installationsChanged(() => installations.reset()));
let alice: { id: string; client: Client }; // publisher
let bob: { id: string; client: Client }; // plain user
let carol: { id: string; client: Client }; // plain user, the "public"

const REVIEWER: AuthUser = {
  id: '0000000000000000000000aa',
  email: 'reviewer@plughub.test',
  name: 'Reviewer',
  roles: ['reviewer'],
  method: 'jwt',
  scopes: null,
};

type Manifest = Schemas['PluginManifest'];
const manifest = (key: string, version: string, extra: Json = {}): Manifest => ({
  key,
  name: `Plugin ${key}`,
  version,
  description: `Does ${key} things`,
  author: 'Acme Labs',
  license: 'MIT',
  runtime: { type: 'sandbox', entry: 'runner.js' },
  ...extra,
});
const RUNNER = 'export function onMessage(m) { return { ok: true, echo: m.data }; }\n';
// A PNG header plus bytes that are not valid UTF-8: must come back exactly.
const ICON = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0xfe, 0x80, 0xc3, 0x28]);

async function publish(client: Client, m: Json, extra: Json = {}) {
  return client.POST('/api/plugins/', { body: { manifest: m, files: { runner: RUNNER }, ...extra } as never });
}
// The admin module's review endpoint does not exist yet; its service does.
const approve = (key: string, version: string) =>
  t.app.get(ModerationService).reviewVersion(REVIEWER, key, version, 'approved');
const path = (plugin: string) => ({ params: { path: { plugin } } });
const vpath = (plugin: string, version: string) => ({ params: { path: { plugin, version } } });
const keysOf = (page: { results: Array<{ key: string }> } | undefined) => page!.results.map((p) => p.key);

beforeAll(async () => {
  alice = await t.createUser({ email: 'alice@acme.test', name: 'Alice', roles: ['publisher'] });
  bob = await t.createUser({ email: 'bob@acme.test', name: 'Bob' });
  carol = await t.createUser({ email: 'carol@acme.test', name: 'Carol' });
});

describe('publish → catalog → detail → versions → download → rate', () => {
  it('runs the whole life of a plugin', async () => {
    const key = 'alice.weather';
    const pub = await alice.client.POST('/api/plugins/', {
      body: {
        manifest: manifest(key, '1.0.0', {
          icon: 'icon.png',
          category: 'data',
          tags: ['weather', 'forecast'],
          settings: { city: { type: 'string', default: 'Oslo' } },
        }),
        files: {
          runner: RUNNER,
          readme: { content: '# Weather\n', encoding: 'utf8' },
          icon: { content: ICON.toString('base64'), encoding: 'base64' },
          shape: '{"type":"card"}',
        },
        scope: 'public',
      },
    });
    expect(pub.response.status).toBe(201);
    expect(pub.data!.created).toBe(true);
    const v1 = pub.data!.version;
    expect(v1.status).toBe('pending');
    expect(v1.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(v1.integrity).toMatch(/^sha512-[A-Za-z0-9+/]+=*$/);
    expect(v1.files.map((f) => [f.role, f.path, f.size])).toEqual([
      ['runner', 'runner.js', Buffer.byteLength(RUNNER)],
      ['readme', 'README.md', 10],
      ['icon', 'icon.png', ICON.length],
      ['shape', 'shape.json', 15],
    ]);
    expect(v1.files[2].sha256).toBe(createHash('sha256').update(ICON).digest('hex'));

    // Pending: invisible to others, listed for the owner.
    expect((await carol.client.GET('/api/plugins/{plugin}/', path(key))).error!.code).toBe('PLUGIN_NOT_FOUND');
    expect(
      keysOf((await carol.client.GET('/api/plugins/', { params: { query: { search: 'weather' } } })).data),
    ).toEqual([]);
    const own = await alice.client.GET('/api/plugins/', { params: { query: { search: 'weather' } } });
    expect(own.data!.results.map((p) => [p.key, p.status, p.latest_version])).toEqual([[key, 'pending', null]]);

    await approve(key, '1.0.0');
    const listed = await carol.client.GET('/api/plugins/', { params: { query: { search: 'WEATH' } } });
    expect(listed.data!.count).toBe(1);
    const item = listed.data!.results[0];
    expect(item).toMatchObject({
      key,
      name: 'Plugin alice.weather',
      category: 'data',
      tags: ['weather', 'forecast'],
      status: 'approved',
      scope: 'public',
      latest_version: '1.0.0',
      dist_tags: { latest: '1.0.0', next: null },
      owner: { type: 'user', id: alice.id, name: 'Alice' },
      is_installed: false,
      active: false,
      is_builtin: false,
      is_sample: false,
      is_package: true,
      package_name: key,
      source: 'store',
      stats: { downloads: 0, installations: 0, rating: 0, reviews: 0 },
      meta: { author: 'Acme Labs', license: 'MIT', version: '1.0.0', human_name: 'Plugin alice.weather' },
    });
    expect(item.mixins).toEqual({ settings: { key: 'settings', human_name: 'Settings' } });

    // A new version, pending until approved; the public sees only approved ones.
    await publish(alice.client, manifest(key, '1.1.0', { category: 'data', description: 'Better weather' }));
    const carolVersions = await carol.client.GET('/api/plugins/{plugin}/versions/', path(key));
    expect(carolVersions.data!.results.map((v) => v.version)).toEqual(['1.0.0']);
    const aliceVersions = await alice.client.GET('/api/plugins/{plugin}/versions/', path(key));
    expect(aliceVersions.data!.results.map((v) => [v.version, v.status])).toEqual([
      ['1.1.0', 'pending'],
      ['1.0.0', 'approved'],
    ]);
    expect(
      (await carol.client.GET('/api/plugins/{plugin}/versions/{version}/', vpath(key, '1.1.0'))).response.status,
    ).toBe(404);

    await approve(key, '1.1.0');
    await publish(alice.client, manifest(key, '2.0.0-beta.1'));
    await approve(key, '2.0.0-beta.1');
    const detail = await carol.client.GET('/api/plugins/{plugin}/', path(key));
    expect(detail.data!.dist_tags).toEqual({ latest: '1.1.0', next: '2.0.0-beta.1' });
    expect(detail.data!.description).toBe('Better weather'); // listing follows the latest manifest
    expect(detail.data!.manifest).toMatchObject({ version: '1.1.0' });
    expect(detail.data!.versions.map((v) => v.version)).toEqual(['2.0.0-beta.1', '1.1.0', '1.0.0']);
    expect(detail.data!.installation).toBeNull();
    expect(detail.data!.dependents).toEqual([]);

    // Deprecate 1.0.0, yank 1.1.0: latest falls back to 1.0.0.
    const dep = await alice.client.PATCH('/api/plugins/{plugin}/versions/{version}/', {
      ...vpath(key, '1.0.0'),
      body: { deprecated: 'Use 1.1 or later' },
    });
    expect(dep.data!.deprecated).toBe('Use 1.1 or later');
    const yank = await alice.client.PATCH('/api/plugins/{plugin}/versions/{version}/', {
      ...vpath(key, '1.1.0'),
      body: { yanked: true },
    });
    expect(yank.data!.yanked).toBe(true);
    expect((await carol.client.GET('/api/plugins/{plugin}/', path(key))).data!.dist_tags.latest).toBe('1.0.0');
    const byCarol = await carol.client.PATCH('/api/plugins/{plugin}/versions/{version}/', {
      ...vpath(key, '1.0.0'),
      body: { yanked: true },
    });
    expect(byCarol.error!.code).toBe('FORBIDDEN');

    // Download: the bytes the integrity describes, the files byte-identical, counted once.
    const dl = await carol.client.GET('/api/plugins/{plugin}/versions/{version}/download/', {
      ...vpath(key, '1.0.0'),
      parseAs: 'arrayBuffer',
    });
    expect(dl.response.status).toBe(200);
    const bytes = Buffer.from(dl.data as unknown as ArrayBuffer);
    expect(bytes.length).toBe(v1.size);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(v1.checksum);
    expect(`sha512-${createHash('sha512').update(bytes).digest('base64')}`).toBe(v1.integrity);
    expect(dl.response.headers.get('etag')).toBe(`"${v1.integrity}"`);
    expect(dl.response.headers.get('content-type')).toBe('application/gzip');
    expect(dl.response.headers.get('content-disposition')).toContain('alice.weather-1.0.0.tgz');
    const files = unpackArtifact(bytes);
    expect([...files.keys()]).toEqual(['manifest.json', 'runner.js', 'README.md', 'icon.png', 'shape.json']);
    expect(files.get('icon.png')!.equals(ICON)).toBe(true);
    expect(files.get('runner.js')!.toString('utf8')).toBe(RUNNER);
    expect(JSON.parse(files.get('manifest.json')!.toString('utf8'))).toMatchObject({ key, version: '1.0.0' });

    const cached = await carol.client.GET('/api/plugins/{plugin}/versions/{version}/download/', {
      ...vpath(key, '1.0.0'),
      headers: { 'If-None-Match': `"${v1.integrity}"` },
      parseAs: 'arrayBuffer',
    });
    expect(cached.response.status).toBe(304);
    const after = await carol.client.GET('/api/plugins/{plugin}/versions/{version}/', vpath(key, '1.0.0'));
    expect(after.data!.downloads).toBe(1);
    expect((await carol.client.GET('/api/plugins/{plugin}/', path(key))).data!.stats.downloads).toBe(1);

    // Rate: one per user, editable; owners cannot rate their own plugin.
    const rated = await carol.client.POST('/api/plugins/{plugin}/reviews/', {
      ...path(key),
      body: { rating: 4, text: 'Nice' },
    });
    expect(rated.response.status).toBe(201);
    const edited = await carol.client.POST('/api/plugins/{plugin}/reviews/', { ...path(key), body: { rating: 2 } });
    expect(edited.response.status).toBe(200);
    await bob.client.POST('/api/plugins/{plugin}/reviews/', { ...path(key), body: { rating: 5, text: 'Great' } });
    const reviews = await carol.client.GET('/api/plugins/{plugin}/reviews/', path(key));
    expect(reviews.data!.results.map((r) => [r.user_name, r.rating])).toEqual([
      ['Bob', 5],
      ['Carol', 2],
    ]);
    expect((await carol.client.GET('/api/plugins/{plugin}/', path(key))).data!.stats).toMatchObject({
      rating: 3.5,
      reviews: 2,
    });
    const self = await alice.client.POST('/api/plugins/{plugin}/reviews/', { ...path(key), body: { rating: 5 } });
    expect(self.error!.code).toBe('FORBIDDEN');
    const bad = await carol.client.POST('/api/plugins/{plugin}/reviews/', { ...path(key), body: { rating: 6 } });
    expect(bad.error!.errors.map((e) => e.field)).toEqual(['rating']);
  });

  it('drafts stay drafts until submitted with PATCH, then wait for review', async () => {
    const key = 'alice.drafty';
    const pub = await publish(alice.client, manifest(key, '0.1.0'), { draft: true, scope: 'public' });
    expect(pub.data!.version.status).toBe('draft');
    const review = t.app.get(ModerationService).reviewVersion(REVIEWER, key, '0.1.0', 'approved');
    await expect(review).rejects.toMatchObject({ code: 'CONFLICT', details: { reason: 'draft_not_submitted' } });
    const submitted = await alice.client.PATCH('/api/plugins/{plugin}/versions/{version}/', {
      ...vpath(key, '0.1.0'),
      body: { status: 'pending' },
    });
    expect(submitted.data!.status).toBe('pending');
    const again = await alice.client.PATCH('/api/plugins/{plugin}/versions/{version}/', {
      ...vpath(key, '0.1.0'),
      body: { status: 'pending' },
    });
    expect(again.error!.code).toBe('CONFLICT');
    const rejected = await t.app.get(ModerationService).reviewVersion(REVIEWER, key, '0.1.0', 'rejected', 'No tests');
    expect(rejected.status).toBe('rejected');
    const mine = await alice.client.GET('/api/plugins/{plugin}/versions/{version}/', vpath(key, '0.1.0'));
    expect(mine.data!.review_notes).toBe('No tests');
    expect((await carol.client.GET('/api/plugins/{plugin}/', path(key))).response.status).toBe(404);
  });
});

describe('publishing errors', () => {
  it('lists every manifest and file problem by path (400 VALIDATION_ERROR)', async () => {
    const res = await alice.client.POST('/api/plugins/', {
      body: {
        // Deliberately not a manifest: every problem is listed.
        manifest: { key: 'Bad Key', version: '1.0', name: '', runtime: { type: 'sandbox' }, extra: 1 },
        files: { icon: { content: '***', encoding: 'base64' } },
      },
    });
    expect(res.response.status).toBe(400);
    expect(res.error!.code).toBe('VALIDATION_ERROR');
    const fields = res.error!.errors.map((e) => e.field).sort();
    expect(fields).toEqual(
      expect.arrayContaining([
        'manifest.key',
        'manifest.version',
        'manifest.name',
        'manifest.description',
        'manifest.runtime.entry',
        'manifest.extra',
        'files.icon.content',
        'files.runner',
      ]),
    );
    const shape = await alice.client.POST('/api/plugins/', {
      body: { manifest: manifest('alice.shape', '1.0.0'), files: { runner: { content: 'x' } } } as never,
    });
    expect(shape.error!.errors.map((e) => e.field)).toEqual(['files.runner']);
  });

  it('refuses a version published twice, even with other build metadata (409 CONFLICT)', async () => {
    const key = 'alice.dup';
    expect((await publish(alice.client, manifest(key, '1.0.0'))).response.status).toBe(201);
    const dup = await publish(alice.client, manifest(key, '1.0.0'));
    expect(dup.response.status).toBe(409);
    expect(dup.error!.code).toBe('CONFLICT');
    // Someone else cannot publish into a key they cannot see, nor into one they can.
    expect((await publish(bob.client, manifest(key, '9.0.0'))).error!.code).toBe('CONFLICT');
    await approve(key, '1.0.0');
    await alice.client.PATCH('/api/plugins/{plugin}/', { ...path(key), body: { scope: 'public' } });
    expect((await publish(bob.client, manifest(key, '9.0.0'))).error!.code).toBe('FORBIDDEN');
  });

  // Three 5 MiB publishes: hashing and storing them is slow on a loaded machine, so this test gets more time.
  it('refuses packages over the upload limit with 422 LIMIT_EXCEEDED and stores nothing', async () => {
    const limit = 5 * 1024 * 1024;
    const m = manifest('bob.big', '1.0.0');
    const manifestSize = Buffer.byteLength(JSON.stringify(m, null, 2) + '\n');
    const exact = Buffer.alloc(limit - manifestSize - Buffer.byteLength(RUNNER), 7);
    const over = Buffer.alloc(exact.length + 1, 7);
    const res = await bob.client.POST('/api/plugins/', {
      body: { manifest: m, files: { runner: RUNNER, icon: { content: over.toString('base64'), encoding: 'base64' } } },
    });
    expect(res.response.status).toBe(422);
    expect(res.error!.code).toBe('LIMIT_EXCEEDED');
    expect(res.error!.details).toEqual({ limit, actual: limit + 1, reason: 'package_too_large' });
    expect((await bob.client.GET('/api/plugins/{plugin}/', path('bob.big'))).response.status).toBe(404);

    // A body beyond the server's body limit is refused the same way.
    const huge = await bob.client.POST('/api/plugins/', {
      body: { manifest: m, files: { runner: RUNNER, readme: 'x'.repeat(limit * 2) } },
    });
    expect(huge.response.status).toBe(422);
    expect(huge.error!.code).toBe('LIMIT_EXCEEDED');

    // Exactly at the limit is fine.
    const fits = await bob.client.POST('/api/plugins/', {
      body: { manifest: m, files: { runner: RUNNER, icon: { content: exact.toString('base64'), encoding: 'base64' } } },
    });
    expect(fits.response.status).toBe(201);
  }, 120_000);

  it('enforces publishing roles, org ownership and the reserved plughub. prefix', async () => {
    expect((await publish(bob.client, manifest('bob.tool', '1.0.0'), { scope: 'public' })).error!.code).toBe(
      'FORBIDDEN',
    );
    expect((await publish(bob.client, manifest('plughub.fake', '1.0.0'))).error!.code).toBe('FORBIDDEN');
    const org = await bob.client.POST('/api/orgs/', { body: { slug: 'bobco', name: 'Bob Co' } });
    expect(org.response.status).toBe(201);
    expect((await publish(alice.client, manifest('bobco.x', '1.0.0'), { owner_org: 'bobco' })).error!.errors).toEqual([
      { field: 'owner_org', message: 'is not an organisation you belong to' },
    ]);
    expect((await publish(bob.client, manifest('bob.orgless', '1.0.0'), { scope: 'org' })).error!.code).toBe(
      'VALIDATION_ERROR',
    );
    const ok = await publish(bob.client, manifest('bobco.x', '1.0.0'), { owner_org: 'bobco' });
    expect(ok.data!.plugin.owner).toEqual({ type: 'org', id: org.data!.id, name: 'bobco' });
  });
});

describe('visibility', () => {
  it('a private plugin is 404 for other users and absent from their catalog', async () => {
    const key = 'bob.secret';
    await publish(bob.client, manifest(key, '1.0.0', { tags: ['secret'] }));
    await approve(key, '1.0.0');
    expect((await bob.client.GET('/api/plugins/{plugin}/', path(key))).data!.scope).toBe('private');
    const q = { params: { query: { tags: 'secret' } } } as const;
    expect(keysOf((await bob.client.GET('/api/plugins/', q)).data)).toEqual([key]);
    expect(keysOf((await carol.client.GET('/api/plugins/', q)).data)).toEqual([]);
    for (const res of [
      await carol.client.GET('/api/plugins/{plugin}/', path(key)),
      await carol.client.GET('/api/plugins/{plugin}/versions/', path(key)),
      await carol.client.GET('/api/plugins/{plugin}/versions/{version}/', vpath(key, '1.0.0')),
      await carol.client.GET('/api/plugins/{plugin}/reviews/', path(key)),
      await carol.client.POST('/api/plugins/{plugin}/reviews/', { ...path(key), body: { rating: 1 } }),
      await carol.client.PATCH('/api/plugins/{plugin}/', { ...path(key), body: { name: 'Mine now' } }),
      await carol.client.DELETE('/api/plugins/{plugin}/', path(key)),
    ]) {
      expect(res.response.status).toBe(404);
      expect(res.error!.code).toBe('PLUGIN_NOT_FOUND');
    }
    const dl = await carol.client.GET('/api/plugins/{plugin}/versions/{version}/download/', {
      ...vpath(key, '1.0.0'),
      parseAs: 'arrayBuffer',
    });
    expect(dl.response.status).toBe(404);
    // Platform admins see everything.
    const admin = await t.createUser({ email: 'root@acme.test', roles: ['admin'] });
    expect((await admin.client.GET('/api/plugins/{plugin}/', path(key))).response.status).toBe(200);
  });

  it('shows a publish, an approval, a new version, a yank and a scope change on the very next catalog read', async () => {
    const key = 'alice.fresh';
    const q = { params: { query: { tags: 'fresh-tag' } } } as const;
    const seen = async () =>
      (await carol.client.GET('/api/plugins/', q)).data!.results.map((p) => [p.key, p.latest_version]);
    // Each read comes right after the change, with the same query that was read (and could be kept) before it.
    expect(await seen()).toEqual([]);
    const published = await publish(alice.client, manifest(key, '1.0.0', { tags: ['fresh-tag'] }), { scope: 'public' });
    expect(published.error).toBeUndefined();
    expect(await seen()).toEqual([]);
    await approve(key, '1.0.0');
    expect(await seen()).toEqual([[key, '1.0.0']]);
    await publish(alice.client, manifest(key, '1.1.0', { tags: ['fresh-tag'] }));
    await approve(key, '1.1.0');
    expect(await seen()).toEqual([[key, '1.1.0']]);
    await alice.client.PATCH('/api/plugins/{plugin}/versions/{version}/', {
      ...vpath(key, '1.1.0'),
      body: { yanked: true },
    });
    expect(await seen()).toEqual([[key, '1.0.0']]);
    await alice.client.PATCH('/api/plugins/{plugin}/', { ...path(key), body: { scope: 'private' } });
    expect(await seen()).toEqual([]);
    await alice.client.PATCH('/api/plugins/{plugin}/', { ...path(key), body: { scope: 'public' } });
    expect(await seen()).toEqual([[key, '1.0.0']]);
  });

  it('org scope: members see approved versions, outsiders nothing', async () => {
    const dave = await t.createUser({ email: 'dave@acme.test', name: 'Dave' });
    await alice.client.POST('/api/orgs/', { body: { slug: 'acme', name: 'Acme' } });
    const invited = await alice.client.POST('/api/orgs/{org}/members/', {
      params: { path: { org: 'acme' } },
      body: { user: dave.id },
    });
    const { token } = invited.data as unknown as { token: string };
    expect((await dave.client.POST('/api/invitations/accept/', { body: { token } })).response.status).toBe(201);
    const key = 'acme.internal';
    const pub = await publish(alice.client, manifest(key, '1.0.0'), { owner_org: 'acme', scope: 'org' });
    expect(pub.response.status).toBe(201);
    expect((await dave.client.GET('/api/plugins/{plugin}/', path(key))).response.status).toBe(404);
    await approve(key, '1.0.0');
    expect((await dave.client.GET('/api/plugins/{plugin}/', path(key))).data!.scope).toBe('org');
    expect((await carol.client.GET('/api/plugins/{plugin}/', path(key))).response.status).toBe(404);
    // A member is not a manager: no new versions.
    expect((await publish(dave.client, manifest(key, '1.1.0'))).error!.code).toBe('FORBIDDEN');
  });
});

describe('details and unpublishing', () => {
  it('PATCH changes listing fields (owners only); DELETE is refused while installed or depended on', async () => {
    const key = 'alice.base';
    await publish(alice.client, manifest(key, '1.0.0'), { scope: 'public' });
    await approve(key, '1.0.0');
    await publish(alice.client, manifest('alice.addon', '1.0.0', { dependencies: { [key]: '^1.0.0' } }), {
      scope: 'public',
    });
    await approve('alice.addon', '1.0.0');

    const patched = await alice.client.PATCH('/api/plugins/{plugin}/', {
      ...path(key),
      body: { name: 'Base', tags: ['core'], category: 'core', homepage: 'https://acme.test/base' },
    });
    expect(patched.data).toMatchObject({ name: 'Base', tags: ['core'], category: 'core' });
    expect(
      (await carol.client.GET('/api/plugins/', { params: { query: { search: 'base', tags: 'core' } } })).data!.count,
    ).toBe(1);
    expect(
      (await carol.client.PATCH('/api/plugins/{plugin}/', { ...path(key), body: { name: 'x' } })).error!.code,
    ).toBe('FORBIDDEN');

    const detail = await carol.client.GET('/api/plugins/{plugin}/', path(key));
    expect(detail.data!.dependents).toEqual(['alice.addon']);

    // The installation module's port decides.
    installations.counts.set(key, 2);
    expect((await alice.client.DELETE('/api/plugins/{plugin}/', path(key))).error).toMatchObject({
      code: 'CONFLICT',
      details: { reason: 'installed' },
    });
    installations.reset();
    installations.dependents.set(key, 1);
    expect((await alice.client.DELETE('/api/plugins/{plugin}/', path(key))).error).toMatchObject({
      code: 'PLUGIN_DEPENDENCY_ERROR',
      details: { reason: 'installed_dependents' },
    });
    installations.reset();

    expect((await carol.client.DELETE('/api/plugins/{plugin}/', path(key))).error!.code).toBe('FORBIDDEN');
    const del = await alice.client.DELETE('/api/plugins/{plugin}/', path(key));
    expect(del.response.status).toBe(204);
    expect((await alice.client.GET('/api/plugins/{plugin}/', path(key))).error!.code).toBe('PLUGIN_NOT_FOUND');
    expect(keysOf((await alice.client.GET('/api/plugins/', { params: { query: { search: key } } })).data)).toEqual([]);
    // key@version is never reusable, and neither is the key.
    expect((await publish(alice.client, manifest(key, '1.0.0'))).error!.code).toBe('CONFLICT');
    expect((await publish(alice.client, manifest(key, '2.0.0'))).error!.code).toBe('CONFLICT');
  });

  it('reports the caller’s installation state from the installation port', async () => {
    const key = 'alice.installed';
    await publish(alice.client, manifest(key, '1.0.0', { tags: ['inst'] }), { scope: 'public' });
    await approve(key, '1.0.0');
    installations.states.set(key, { installed_version: '1.0.0', status: 'active', active: true, scope: 'user' });
    const detail = await carol.client.GET('/api/plugins/{plugin}/', path(key));
    expect(detail.data).toMatchObject({
      is_installed: true,
      active: true,
      installation: { installed_version: '1.0.0' },
    });
  });
});

describe('catalog filters and ordering', () => {
  const TAG = 'cat-test';
  const q = (query: Json) => carol.client.GET('/api/plugins/', { params: { query: { tags: TAG, ...query } as never } });

  beforeAll(async () => {
    const specs: Array<[string, Json]> = [
      ['zeta.alpha', { name: 'Alpha', category: 'ai', tags: [TAG, 'ml'], author: 'Zeta' }],
      [
        'zeta.beta',
        {
          name: 'Beta',
          category: 'data',
          tags: [TAG, 'ml', 'etl'],
          author: 'zeta',
          settings: { n: { type: 'integer', default: 1 } },
        },
      ],
      ['alice.gamma', { name: 'Gamma', category: 'data', tags: [TAG], description: 'Streams sensor readings' }],
      [
        'alice.delta',
        { name: 'Delta', category: 'ai', tags: [TAG, 'etl'], permissions: ['storage:read', 'storage:write'] },
      ],
    ];
    // zeta.* keys belong to alice's organisation zeta: a key's publisher segment is its owner's name.
    expect((await alice.client.POST('/api/orgs/', { body: { slug: 'zeta', name: 'Zeta' } })).response.status).toBe(201);
    for (const [key, extra] of specs) {
      const owner = key.startsWith('zeta.') ? { owner_org: 'zeta' } : {};
      const res = await publish(alice.client, manifest(key, '1.0.0', extra), { scope: 'public', ...owner });
      expect(res.response.status).toBe(201);
      await approve(key, '1.0.0');
    }
    // Downloads: gamma 3, alpha 1. Ratings: beta 5, alpha 3, delta 1.
    for (const [key, n] of [
      ['alice.gamma', 3],
      ['zeta.alpha', 1],
    ] as const) {
      for (let i = 0; i < n; i++) {
        await carol.client.GET('/api/plugins/{plugin}/versions/{version}/download/', {
          ...vpath(key, '1.0.0'),
          parseAs: 'arrayBuffer',
        });
      }
    }
    for (const [key, rating] of [
      ['zeta.beta', 5],
      ['zeta.alpha', 3],
      ['alice.delta', 1],
    ] as const) {
      await carol.client.POST('/api/plugins/{plugin}/reviews/', { ...path(key), body: { rating } });
    }
    // The admin module's verify endpoint does not exist yet; its service does.
    await t.app.get(ModerationService).setVerified(REVIEWER, 'zeta.beta', true);
    // Touch delta so it is the most recently updated.
    await alice.client.PATCH('/api/plugins/{plugin}/', { ...path('alice.delta'), body: { description: 'Delta v2' } });
  });

  it('filters', async () => {
    expect(keysOf((await q({})).data)).toEqual(['alice.delta', 'alice.gamma', 'zeta.alpha', 'zeta.beta']);
    expect(keysOf((await q({ search: 'SENSOR' })).data)).toEqual(['alice.gamma']);
    expect(keysOf((await q({ search: 'zeta.' })).data)).toEqual(['zeta.alpha', 'zeta.beta']);
    expect(keysOf((await q({ search: 'etl' })).data)).toEqual(['alice.delta', 'zeta.beta']); // tags are searched
    expect(keysOf((await q({ category: 'ai' })).data)).toEqual(['alice.delta', 'zeta.alpha']);
    expect(keysOf((await q({ tags: `${TAG},ml,etl` })).data)).toEqual(['zeta.beta']);
    expect(keysOf((await q({ author: 'ZETA' })).data)).toEqual(['zeta.alpha', 'zeta.beta']);
    expect(keysOf((await q({ scope: 'public' })).data)).toHaveLength(4);
    expect(keysOf((await q({ scope: 'private' })).data)).toEqual([]);
    expect(keysOf((await q({ verified: true })).data)).toEqual(['zeta.beta']);
    expect(keysOf((await q({ verified: false })).data)).toHaveLength(3);
    expect(keysOf((await q({ min_rating: 3 })).data)).toEqual(['zeta.alpha', 'zeta.beta']);
    expect(keysOf((await q({ mixin: 'settings' })).data)).toEqual(['zeta.beta']);
    expect(keysOf((await q({ mixin: 'storage' })).data)).toEqual(['alice.delta']);
    expect(keysOf((await q({ builtin: true })).data)).toEqual([]);
    expect(keysOf((await q({ sample: false })).data)).toHaveLength(4);
    expect(keysOf((await q({ installed: true })).data)).toEqual([]);
    expect(keysOf((await q({ installed: false })).data)).toHaveLength(4);

    await installationsChanged(() => {
      installations.installed = ['alice.gamma', 'zeta.alpha'];
      installations.active = ['zeta.alpha'];
    });
    expect(keysOf((await q({ installed: true })).data)).toEqual(['alice.gamma', 'zeta.alpha']);
    expect(keysOf((await q({ installed: false })).data)).toEqual(['alice.delta', 'zeta.beta']);
    expect(keysOf((await q({ active: true })).data)).toEqual(['zeta.alpha']);
    expect(keysOf((await q({ installed: true, active: false })).data)).toEqual(['alice.gamma']);
    const flags = (await q({ installed: true })).data!.results.map((p) => [p.key, p.is_installed, p.active]);
    expect(flags).toEqual([
      ['alice.gamma', true, false],
      ['zeta.alpha', true, true],
    ]);
    await installationsChanged(() => installations.reset());

    const bad = await q({ ordering: 'size', min_rating: 'high', verified: 'maybe' });
    expect(bad.error!.errors.map((e) => e.field).sort()).toEqual(['min_rating', 'ordering', 'verified']);
  });

  it('orders', async () => {
    expect(keysOf((await q({ ordering: 'name' })).data)).toEqual([
      'zeta.alpha',
      'zeta.beta',
      'alice.delta',
      'alice.gamma',
    ]);
    expect(keysOf((await q({ ordering: 'key' })).data)).toEqual([
      'alice.delta',
      'alice.gamma',
      'zeta.alpha',
      'zeta.beta',
    ]);
    expect(keysOf((await q({ ordering: '-downloads' })).data).slice(0, 2)).toEqual(['alice.gamma', 'zeta.alpha']);
    expect(keysOf((await q({ ordering: '-rating' })).data).slice(0, 3)).toEqual([
      'zeta.beta',
      'zeta.alpha',
      'alice.delta',
    ]);
    expect(keysOf((await q({ ordering: '-updated_at' })).data)[0]).toBe('alice.delta');
    expect(keysOf((await q({ ordering: '-name' })).data)).toEqual([
      'alice.gamma',
      'alice.delta',
      'zeta.beta',
      'zeta.alpha',
    ]);
    expect(keysOf((await q({ ordering: '-key' })).data)).toEqual([
      'zeta.beta',
      'zeta.alpha',
      'alice.gamma',
      'alice.delta',
    ]);
    expect(keysOf((await q({ search: 'a', category: 'ai', ordering: '-rating' })).data)).toEqual([
      'zeta.alpha',
      'alice.delta',
    ]);
    // Without a narrowing filter the page is read in index order: the same orderings hold.
    const all = async (ordering: string) =>
      keysOf(
        (await carol.client.GET('/api/plugins/', { params: { query: { ordering, limit: 100 } as never } })).data,
      ).filter((k) => ['alice.delta', 'alice.gamma', 'zeta.alpha', 'zeta.beta'].includes(k));
    expect((await all('-downloads')).slice(0, 2)).toEqual(['alice.gamma', 'zeta.alpha']);
    expect(await all('-rating')).toEqual(['zeta.beta', 'zeta.alpha', 'alice.delta', 'alice.gamma']);
    expect(await all('key')).toEqual(['alice.delta', 'alice.gamma', 'zeta.alpha', 'zeta.beta']);
    expect(await all('name')).toEqual(['zeta.alpha', 'zeta.beta', 'alice.delta', 'alice.gamma']);
    const paged = await q({ ordering: 'key', limit: 2, offset: 1 });
    expect(paged.data!.count).toBe(4);
    expect(keysOf(paged.data)).toEqual(['alice.gamma', 'zeta.alpha']);
    expect(paged.data!.next).toContain('offset=3');
  });
});

describe('ratings under concurrency', () => {
  it('keeps stats.rating and stats.reviews exact with 20 simultaneous raters', async () => {
    const key = 'alice.popular';
    await publish(alice.client, manifest(key, '1.0.0'), { scope: 'public' });
    await approve(key, '1.0.0');
    // Through the API: the test app hashes passwords at a low cost, so twenty accounts are cheap.
    const raters = await Promise.all(
      Array.from({ length: 20 }, (_, i) => t.createUser({ email: `rater${i}@acme.test`, name: `Rater ${i}` })),
    );
    const ratings = raters.map((_, i) => (i % 5) + 1);
    const results = await Promise.all(
      raters.map((r, i) =>
        r.client.POST('/api/plugins/{plugin}/reviews/', { ...path(key), body: { rating: ratings[i] } }),
      ),
    );
    expect(results.map((r) => r.response.status)).toEqual(Array<number>(20).fill(201));
    // Half of them change their minds, all at once.
    await Promise.all(
      raters
        .slice(0, 10)
        .map((r) => r.client.POST('/api/plugins/{plugin}/reviews/', { ...path(key), body: { rating: 5 } })),
    );
    const final = [...Array<number>(10).fill(5), ...ratings.slice(10)];
    const expected = Math.round((final.reduce((a, b) => a + b, 0) / 20) * 100) / 100;
    const stats = (await carol.client.GET('/api/plugins/{plugin}/', path(key))).data!.stats;
    expect(stats).toMatchObject({ reviews: 20, rating: expected });
  }, 120_000);
});

describe('shipped plugins and repositories', () => {
  it('registers the samples as system-owned, public, approved; idempotently', async () => {
    const samples = await carol.client.GET('/api/plugins/', { params: { query: { sample: true } } });
    expect(keysOf(samples.data)).toEqual(['plughub.counter', 'plughub.hello', 'plughub.webhook-relay']);
    const hello = await carol.client.GET('/api/plugins/{plugin}/', path('plughub.hello'));
    expect(hello.data).toMatchObject({
      key: 'plughub.hello',
      owner: { type: 'system', id: null, name: 'system' },
      source: 'builtin',
      is_sample: true,
      is_package: false,
      package_name: null,
      status: 'approved',
      latest_version: '1.0.0',
    });
    expect(Object.keys(hello.data!.mixins).sort()).toEqual(['events', 'messaging', 'settings']);
  });

  it('registers nothing again on a second start', async () => {
    expect(await t.app.get(ShippedPluginsLoader).load(projectFile('plugins'))).toEqual([]);
    expect((await carol.client.GET('/api/plugins/{plugin}/versions/', path('plughub.hello'))).data!.count).toBe(1);
  });

  it('lists the local registry first, with a real plugin count and last change', async () => {
    const repos = await carol.client.GET('/api/repositories/');
    expect(repos.data!.count).toBe(1);
    const local = repos.data!.results[0];
    const visible = (await carol.client.GET('/api/plugins/', { params: { query: { limit: 1 } } })).data!.count;
    expect(local).toMatchObject({ name: 'local', kind: 'local', enabled: true, plugin_count: visible });
    expect(local.url).toBe(`${t.baseUrl}/api/plugins/`);
    expect(Date.parse(local.last_sync!)).toBeGreaterThan(Date.now() - 120_000);
    // Bob also sees his private plugins.
    const bobs = (await bob.client.GET('/api/repositories/')).data!.results[0].plugin_count;
    expect(bobs).toBeGreaterThan(visible);
  });

  it('needs authentication', async () => {
    expect((await t.client().GET('/api/plugins/')).response.status).toBe(401);
  });
});
