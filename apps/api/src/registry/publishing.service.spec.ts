import { caller, pluginFixture, versionFixture } from '@test/support/fixtures.js';
import { expectRefresh, type RegistryHarness, registryHarness } from '@test/support/registry.js';
import { beforeEach, describe, expect, it } from 'vitest';
import type { User } from '../users/user.entity.js';
import type { NewPlugin, NewVersion } from './registry.entity.js';

const manifest = (key = 'acme.x', version = '1.0.0') => ({
  key,
  name: 'X',
  version,
  description: 'does x',
  runtime: { type: 'sandbox', entry: 'runner.js' },
});

let h: RegistryHarness;
beforeEach(() => {
  h = registryHarness();
});

/** A plugin that does not exist yet and is created by the publish (its publisher name `acme` is u1's handle). */
function newPluginAccepted() {
  const created: NewPlugin[] = [];
  h.users.publisherOf.mockResolvedValue({ type: 'user', id: 'u1' });
  const inserted: NewVersion[] = [];
  h.plugins.find
    .mockResolvedValueOnce(null)
    .mockResolvedValue(pluginFixture({ status: 'pending', hasApproved: false }));
  h.plugins.create.mockImplementation((p: NewPlugin) => {
    created.push(p);
    return Promise.resolve(pluginFixture());
  });
  h.versions.insert.mockImplementation((v: NewVersion) => {
    inserted.push(v);
    return Promise.resolve(versionFixture({ status: v.status }));
  });
  expectRefresh(h, [{ version: '1.0.0', status: 'pending', yanked: false }]);
  h.versions.find.mockResolvedValue(versionFixture({ status: 'pending', manifest: manifest() }));
  return { created, inserted };
}

describe('PublishingService.publish', () => {
  it('creates a private, pending plugin owned by the caller', async () => {
    const { created } = newPluginAccepted();
    const res = await h.publishing.publish(caller('u1'), { manifest: manifest(), files: { runner: 'x()' } });
    expect(res.created).toBe(true);
    expect(created).toMatchObject([
      { key: 'acme.x', ownerType: 'user', ownerId: 'u1', scope: 'private', status: 'pending' },
    ]);
  });

  it('stores the version with its files and the digest of its artifact', async () => {
    const { inserted } = newPluginAccepted();
    await h.publishing.publish(caller('u1'), { manifest: manifest(), files: { runner: 'x()' } });
    expect(inserted[0].files.map((f) => [f.role, f.path])).toEqual([['runner', 'runner.js']]);
    expect(inserted[0].artifact.integrity).toMatch(/^sha512-/);
    expect(inserted[0].artifact.size).toBe(inserted[0].artifact.bytes.length);
  });

  it('emits plugin.published for the new version', async () => {
    newPluginAccepted();
    await h.publishing.publish(caller('u1'), { manifest: manifest(), files: { runner: 'x()' } });
    expect(h.emitted).toMatchObject([
      { event: 'plugin.published', payload: { key: 'acme.x', version: '1.0.0', created: true, status: 'pending' } },
    ]);
  });

  it('lists manifest and file errors together, before touching the database', async () => {
    const err = await h.publishing
      .publish(caller('u1'), { manifest: { key: 'x', runtime: { type: 'sandbox' } }, files: {} })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'VALIDATION_ERROR' });
    const fields = (err as { errors: Array<{ field: string }> }).errors.map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['manifest.key', 'manifest.version', 'files.runner']));
  });

  it('refuses an oversize package with the limit and the actual size, storing nothing', async () => {
    const err = await h.publishing
      .publish(caller('u1'), { manifest: manifest(), files: { runner: 'x'.repeat(3000) } })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'LIMIT_EXCEEDED', details: { limit: 2048, reason: 'package_too_large' } });
    expect((err as { details: { actual: number } }).details.actual).toBeGreaterThan(3000);
  });

  it('needs the publisher role for public scope', async () => {
    h.plugins.find.mockResolvedValue(null);
    h.users.publisherOf.mockResolvedValue({ type: 'user', id: 'u1' });
    await expect(
      h.publishing.publish(caller('u1'), { manifest: manifest(), files: { runner: 'x' }, scope: 'public' }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN', details: { reason: 'publisher_role' } });
  });

  it('reserves keys under plughub. for the shipped plugins', async () => {
    await expect(
      h.publishing.publish(caller('u1'), { manifest: manifest('plughub.x'), files: { runner: 'x' } }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN', details: { reason: 'reserved_publisher' } });
  });

  it('answers key_taken for a key someone else owns that the caller cannot see', async () => {
    h.plugins.find.mockResolvedValue(pluginFixture({ scope: 'private' }));
    await expect(
      h.publishing.publish(caller('u1'), { manifest: manifest(), files: { runner: 'x' } }),
    ).rejects.toMatchObject({ code: 'CONFLICT', details: { reason: 'key_taken' } });
  });

  it('answers not_owner for a key someone else owns that the caller can see', async () => {
    h.plugins.find.mockResolvedValue(pluginFixture({ scope: 'public' }));
    await expect(
      h.publishing.publish(caller('u1'), { manifest: manifest(), files: { runner: 'x' } }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN', details: { reason: 'not_owner' } });
  });

  it('never reuses the key of an unpublished plugin, even for its owner', async () => {
    h.plugins.find.mockResolvedValue(pluginFixture({ ownerId: 'u1', deletedAt: new Date() }));
    await expect(
      h.publishing.publish(caller('u1'), { manifest: manifest(), files: { runner: 'x' } }),
    ).rejects.toMatchObject({ code: 'CONFLICT', details: { reason: 'key_unpublished' } });
  });

  it('removes a new plugin again when its first version cannot be stored', async () => {
    h.plugins.find.mockResolvedValue(null);
    h.users.publisherOf.mockResolvedValue({ type: 'user', id: 'u1' });
    h.plugins.create.mockResolvedValue(pluginFixture());
    h.versions.insert.mockRejectedValue(new Error('disk full'));
    h.versions.count.mockResolvedValue(0);
    h.plugins.delete.mockResolvedValue(undefined);
    await expect(
      h.publishing.publish(caller('u1'), { manifest: manifest(), files: { runner: 'x' } }),
    ).rejects.toThrow();
    expect(h.plugins.delete).toHaveBeenCalledWith('acme.x');
  });

  it('refuses an organisation the caller does not belong to as owner_org', async () => {
    h.plugins.find.mockResolvedValue(null);
    h.memberships.findOrg.mockResolvedValue({ id: 'o1', slug: 'acme' });
    const err = await h.publishing
      .publish(caller('u1'), { manifest: manifest(), files: { runner: 'x' }, owner_org: 'acme' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'VALIDATION_ERROR', errors: [{ field: 'owner_org' }] });
  });

  it('refuses plain members of the owner_org', async () => {
    h.plugins.find.mockResolvedValue(null);
    h.memberships.findOrg.mockResolvedValue({ id: 'o1', slug: 'acme' });
    h.memberships.rolesOf.mockResolvedValue(new Map([['o1', 'member']]));
    await expect(
      h.publishing.publish(caller('u1'), { manifest: manifest(), files: { runner: 'x' }, owner_org: 'acme' }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN', details: { reason: 'not_org_manager' } });
  });

  describe("a manifest without key (seed 002's format)", () => {
    const keyless = () => ({
      name: 'Data Processor',
      version: '1.2.0',
      description: 'processes data',
      main: 'index.js',
      permissions: ['read:data', 'process:data'],
    });

    beforeEach(() => {
      h.users.findForAuth.mockResolvedValue({ id: 'u1', handle: 'ada-lovelace' } as User);
    });

    it("is published under the caller's handle, with main as the runner's path", async () => {
      const { created, inserted } = newPluginAccepted();
      await h.publishing.publish(caller('u1'), { manifest: keyless(), files: { runner: 'x' } });
      expect(created).toMatchObject([{ key: 'ada-lovelace.data-processor', ownerId: 'u1' }]);
      expect(inserted[0].manifest).toMatchObject({ key: 'ada-lovelace.data-processor', main: 'index.js' });
      expect(inserted[0].files.map((f) => [f.role, f.path])).toEqual([['runner', 'index.js']]);
    });

    it("is published under the owner_org's slug", async () => {
      const { created } = newPluginAccepted();
      h.memberships.findOrg.mockResolvedValue({ id: 'o1', slug: 'acme' });
      h.memberships.rolesOf.mockResolvedValue(new Map([['o1', 'owner']]));
      h.users.publisherOf.mockResolvedValue({ type: 'org', id: 'o1' });
      await h.publishing.publish(caller('u1'), { manifest: keyless(), files: { runner: 'x' }, owner_org: 'acme' });
      expect(created).toMatchObject([{ key: 'acme.data-processor', ownerType: 'org', ownerId: 'o1' }]);
    });

    it('needs the runner main names', async () => {
      const err = await h.publishing.publish(caller('u1'), { manifest: keyless(), files: {} }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'VALIDATION_ERROR', errors: [{ field: 'files.runner' }] });
    });

    it('is refused at manifest.key when the name gives no key', async () => {
      const err = await h.publishing
        .publish(caller('u1'), { manifest: { ...keyless(), name: '***' }, files: { runner: 'x' } })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'VALIDATION_ERROR', errors: [{ field: 'manifest.key' }] });
    });
  });

  it.each([
    ['another user', { type: 'user' as const, id: 'u2' }],
    ['an organisation', { type: 'org' as const, id: 'o1' }],
    ['nobody', null],
  ])('refuses a new key whose publisher name belongs to %s, creating nothing', async (_who, holder) => {
    h.plugins.find.mockResolvedValue(null);
    h.users.publisherOf.mockResolvedValue(holder);
    await expect(
      h.publishing.publish(caller('u1'), { manifest: manifest(), files: { runner: 'x' } }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN', details: { reason: 'publisher_not_yours' } });
    expect(h.users.publisherOf).toHaveBeenCalledWith('acme');
  });

  it("takes an organisation's slug as the publisher name of the keys it owns", async () => {
    const { created } = newPluginAccepted();
    h.memberships.findOrg.mockResolvedValue({ id: 'o1', slug: 'acme' });
    h.memberships.rolesOf.mockResolvedValue(new Map([['o1', 'admin']]));
    h.users.publisherOf.mockResolvedValue({ type: 'org', id: 'o1' });
    await h.publishing.publish(caller('u1'), { manifest: manifest(), files: { runner: 'x' }, owner_org: 'acme' });
    expect(created).toMatchObject([{ key: 'acme.x', ownerType: 'org', ownerId: 'o1' }]);
  });

  it("refuses a user's own handle for a key an organisation is to own", async () => {
    h.plugins.find.mockResolvedValue(null);
    h.memberships.findOrg.mockResolvedValue({ id: 'o1', slug: 'acme-org' });
    h.memberships.rolesOf.mockResolvedValue(new Map([['o1', 'owner']]));
    h.users.publisherOf.mockResolvedValue({ type: 'user', id: 'u1' });
    await expect(
      h.publishing.publish(caller('u1'), { manifest: manifest(), files: { runner: 'x' }, owner_org: 'acme-org' }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN', details: { reason: 'publisher_not_yours' } });
  });

  it("refuses a new version that would change the plugin's scope, storing nothing", async () => {
    h.plugins.find.mockResolvedValue(pluginFixture({ ownerId: 'u1', scope: 'private' }));
    await expect(
      h.publishing.publish(caller('u1', ['publisher']), {
        manifest: manifest('acme.x', '1.1.0'),
        files: { runner: 'x' },
        scope: 'public',
      }),
    ).rejects.toMatchObject({ code: 'CONFLICT', details: { reason: 'scope_change_on_publish', scope: 'private' } });
  });

  it("adds a new version when the scope given is the plugin's own", async () => {
    h.plugins.find.mockResolvedValue(pluginFixture({ ownerId: 'u1', scope: 'public' }));
    h.versions.insert.mockResolvedValue(versionFixture({ version: '1.1.0', status: 'pending' }));
    expectRefresh(h, [{ version: '1.1.0', status: 'pending', yanked: false }]);
    h.versions.find.mockResolvedValue(versionFixture({ version: '1.1.0', manifest: manifest('acme.x', '1.1.0') }));
    const res = await h.publishing.publish(caller('u1', ['publisher']), {
      manifest: manifest('acme.x', '1.1.0'),
      files: { runner: 'x' },
      scope: 'public',
    });
    expect([res.created, res.version.version]).toEqual([false, '1.1.0']);
  });
});
