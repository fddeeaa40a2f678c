import { caller, pluginFixture, versionFixture } from '@test/support/fixtures.js';
import { type RegistryHarness, registryHarness } from '@test/support/registry.js';
import { beforeEach, describe, expect, it } from 'vitest';

let h: RegistryHarness;
beforeEach(() => {
  h = registryHarness();
});

describe('PluginVersionsService', () => {
  it('hides a pending version from others', async () => {
    h.plugins.find.mockResolvedValue(pluginFixture());
    h.versions.find.mockResolvedValue(versionFixture({ version: '2.0.0', status: 'pending' }));
    await expect(h.pluginVersions.get(caller('u1'), 'acme.x', '2.0.0')).rejects.toMatchObject({
      code: 'PLUGIN_NOT_FOUND',
    });
  });

  it('shows a pending version to the plugin’s owner, with the review notes', async () => {
    h.plugins.find.mockResolvedValue(pluginFixture());
    h.versions.find.mockResolvedValue(versionFixture({ version: '2.0.0', status: 'pending', reviewNotes: 'n' }));
    expect((await h.pluginVersions.get(caller('owner'), 'acme.x', '2.0.0')).review_notes).toBe('n');
  });

  it('does not count a download the client already has', async () => {
    h.plugins.find.mockResolvedValue(pluginFixture());
    h.versions.find.mockResolvedValue(versionFixture());
    const res = await h.pluginVersions.download(caller('u1'), 'acme.x', '1.0.0', 'W/"sha512-abc"');
    expect(res.notModified).toBe(true);
  });

  it('submits only drafts', async () => {
    h.plugins.find.mockResolvedValue(pluginFixture());
    h.versions.find.mockResolvedValue(versionFixture({ status: 'approved' }));
    await expect(
      h.pluginVersions.patch(caller('owner'), 'acme.x', '1.0.0', { status: 'pending' }),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { reason: 'not_draft' },
    });
  });

  it('answers stale_write when the version changed between read and write', async () => {
    h.plugins.find.mockResolvedValue(pluginFixture());
    h.versions.find.mockResolvedValue(versionFixture({ status: 'draft' }));
    h.versions.update.mockResolvedValue(null);
    await expect(
      h.pluginVersions.patch(caller('owner'), 'acme.x', '1.0.0', { status: 'pending' }),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { reason: 'stale_write' },
    });
  });
});

describe('PluginVersionsService.resolveInstallable', () => {
  beforeEach(() => {
    h.plugins.find.mockResolvedValue(pluginFixture({ distTags: { latest: '1.0.0', next: null } }));
    h.versions.list.mockResolvedValue([
      versionFixture({ version: '1.0.0' }),
      versionFixture({ version: '1.1.0', status: 'pending' }),
      versionFixture({ version: '1.2.0', status: 'rejected' }),
    ]);
  });

  it('gives others the approved version a range resolves to', async () => {
    expect((await h.pluginVersions.resolveInstallable(caller('u1'), 'acme.x', '^1.0.0')).version).toBe('1.0.0');
  });

  it('never gives others a pending version, even asked by exact version', async () => {
    await expect(h.pluginVersions.resolveInstallable(caller('u1'), 'acme.x', '1.1.0')).rejects.toMatchObject({
      code: 'PLUGIN_NOT_FOUND',
      details: { reason: 'no_matching_version' },
    });
  });

  it('gives the plugin’s managers their pending version as latest', async () => {
    expect((await h.pluginVersions.resolveInstallable(caller('owner'), 'acme.x')).version).toBe('1.1.0');
  });

  it('never gives a rejected version, even to its managers', async () => {
    await expect(h.pluginVersions.resolveInstallable(caller('owner'), 'acme.x', '1.2.0')).rejects.toMatchObject({
      code: 'PLUGIN_NOT_FOUND',
    });
  });
});
