import type { AuthUser } from '@app/common';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModerationService } from '../apps/api/src/registry/moderation.service.js';
import { ADMIN, type TestApp, useTestApp } from './support/app.js';

type Client = ReturnType<TestApp['client']>;
type Json = Record<string, unknown>;

const t = useTestApp();
let admin: Client;
let alice: { id: string; client: Client }; // publisher, handle alice
let bob: { id: string; client: Client }; // publisher, handle bob

const REVIEWER: AuthUser = {
  id: '0000000000000000000000ab',
  email: 'reviewer@plughub.test',
  name: 'Reviewer',
  roles: ['reviewer'],
  method: 'jwt',
  scopes: null,
};
const approve = (key: string, version: string) =>
  t.app.get(ModerationService).reviewVersion(REVIEWER, key, version, 'approved');

const manifest = (key: string, version: string, extra: Json = {}): Json => ({
  key,
  name: `Plugin ${key}`,
  version,
  description: `Does ${key} things`,
  runtime: { type: 'sandbox', entry: 'runner.js' },
  ...extra,
});
const publish = (client: Client, m: Json, extra: Json = {}) =>
  client.POST('/api/plugins/', { body: { manifest: m, files: { runner: 'export default {}' }, ...extra } as never });
const path = (plugin: string) => ({ params: { path: { plugin } } });

beforeAll(async () => {
  admin = t.client({ accessToken: await t.login(ADMIN.email, ADMIN.password) });
  alice = await t.createUser({ email: 'alice@owners.test', roles: ['publisher'] });
  bob = await t.createUser({ email: 'bob@owners.test', roles: ['publisher'] });
});

describe("a new key's publisher segment belongs to its owner", () => {
  it("refuses another user's handle, an organisation's slug and a name nobody holds alike, storing nothing", async () => {
    expect((await bob.client.POST('/api/orgs/', { body: { slug: 'bobs-shop', name: 'Shop' } })).response.status).toBe(
      201,
    );
    const refused = [
      await publish(bob.client, manifest('alice.squat', '1.0.0')),
      await publish(alice.client, manifest('bobs-shop.squat', '1.0.0')),
      await publish(bob.client, manifest('nobody-yet.squat', '1.0.0')),
    ];
    expect(refused.map((r) => [r.response.status, r.error?.code, r.error?.details?.reason])).toEqual([
      [403, 'FORBIDDEN', 'publisher_not_yours'],
      [403, 'FORBIDDEN', 'publisher_not_yours'],
      [403, 'FORBIDDEN', 'publisher_not_yours'],
    ]);
    for (const key of ['alice.squat', 'bobs-shop.squat', 'nobody-yet.squat']) {
      expect((await admin.GET('/api/plugins/{plugin}/', path(key))).response.status).toBe(404);
    }
  });

  it('refuses platform admins too: their own keys start with their own handle', async () => {
    const res = await publish(admin, manifest('alice.by-admin', '1.0.0'));
    expect([res.response.status, res.error?.details?.reason]).toEqual([403, 'publisher_not_yours']);
    const own = await publish(admin, manifest('admin.tool', '1.0.0'));
    expect([own.response.status, own.data?.plugin.owner.type]).toEqual([201, 'user']);
  });

  it("takes the user's handle for their keys and the organisation's slug for the organisation's", async () => {
    const mine = await publish(alice.client, manifest('alice.weather', '1.0.0'));
    expect([mine.response.status, mine.data?.plugin.owner]).toMatchObject([201, { type: 'user', id: alice.id }]);

    const org = await alice.client.POST('/api/orgs/', { body: { slug: 'alice-labs', name: 'Labs' } });
    const theirs = await publish(alice.client, manifest('alice-labs.tool', '1.0.0'), { owner_org: 'alice-labs' });
    expect([theirs.response.status, theirs.data?.plugin.owner]).toMatchObject([
      201,
      { type: 'org', id: org.data!.id, name: 'alice-labs' },
    ]);
    // Her handle is not the organisation's name, nor the organisation's slug hers.
    const crossed = [
      await publish(alice.client, manifest('alice.org-owned', '1.0.0'), { owner_org: 'alice-labs' }),
      await publish(alice.client, manifest('alice-labs.mine', '1.0.0')),
    ];
    expect(crossed.map((r) => r.error?.details?.reason)).toEqual(['publisher_not_yours', 'publisher_not_yours']);
  });

  it('is stated in the contract: the publish operation lists publisher_not_yours', async () => {
    const spec = (await admin.GET('/api/schema/', { parseAs: 'text' })).data as unknown as string;
    const publishOp = (JSON.parse(spec) as { paths: Record<string, Record<string, { description: string }>> }).paths[
      '/api/plugins/'
    ].post;
    expect(publishOp.description).toContain('publisher_not_yours');
  });
});

describe('a new version keeps what the plugin has', () => {
  it('refuses another scope (409 scope_change_on_publish) and stores neither the version nor the scope', async () => {
    const key = 'alice.scoped';
    expect((await publish(alice.client, manifest(key, '1.0.0'), { scope: 'public' })).response.status).toBe(201);
    const res = await publish(alice.client, manifest(key, '1.1.0'), { scope: 'private' });
    expect([res.response.status, res.error?.code, res.error?.details]).toEqual([
      409,
      'CONFLICT',
      { reason: 'scope_change_on_publish', scope: 'public' },
    ]);
    const versions = await alice.client.GET('/api/plugins/{plugin}/versions/', path(key));
    const detail = await alice.client.GET('/api/plugins/{plugin}/', path(key));
    expect([versions.data?.results.map((v) => v.version), detail.data?.scope]).toEqual([['1.0.0'], 'public']);

    // Repeating the scope, or leaving it out, adds the version; PATCH changes the scope.
    expect((await publish(alice.client, manifest(key, '1.1.0'), { scope: 'public' })).response.status).toBe(201);
    expect((await publish(alice.client, manifest(key, '1.2.0'))).response.status).toBe(201);
    const patched = await alice.client.PATCH('/api/plugins/{plugin}/', { ...path(key), body: { scope: 'private' } });
    expect(patched.data?.scope).toBe('private');
  });

  it('keeps the listing fields PATCH edited; the manifest fills the others', async () => {
    const key = 'alice.listed';
    const first = { description: 'First words', category: 'tools', tags: ['one'], homepage: 'https://one.test/' };
    await publish(alice.client, manifest(key, '1.0.0', first), { scope: 'public' });
    await approve(key, '1.0.0');
    const edited = { name: 'Chosen name', tags: ['chosen'], homepage: null };
    expect((await alice.client.PATCH('/api/plugins/{plugin}/', { ...path(key), body: edited })).response.status).toBe(
      200,
    );

    const second = { name: 'Manifest name', description: 'Second words', category: 'data', tags: ['two'] };
    await publish(alice.client, manifest(key, '2.0.0', { ...second, homepage: 'https://two.test/' }));
    await approve(key, '2.0.0');
    const detail = await bob.client.GET('/api/plugins/{plugin}/', path(key));
    expect(detail.data).toMatchObject({
      latest_version: '2.0.0',
      name: 'Chosen name',
      tags: ['chosen'],
      homepage: null,
      description: 'Second words',
      category: 'data',
    });
    // The catalog's search reads the kept name, not the manifest's.
    const search = (s: string) => bob.client.GET('/api/plugins/', { params: { query: { search: s } } });
    expect([(await search('chosen name')).data?.count, (await search('manifest name')).data?.count]).toEqual([1, 0]);
  });
});
