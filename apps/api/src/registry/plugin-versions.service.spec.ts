import { caller, pluginFixture, versionFixture } from '@test/support/fixtures.js';
import { expectRefresh, type RegistryHarness, registryHarness } from '@test/support/registry.js';
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

  it('announces a yank once stored, and nothing for a patch that changes nothing', async () => {
    h.plugins.find.mockResolvedValue(pluginFixture());
    h.versions.find.mockResolvedValue(versionFixture({ status: 'approved' }));
    h.versions.update.mockResolvedValue(versionFixture({ status: 'approved', yanked: true }));
    expectRefresh(h, [{ version: '1.0.0', status: 'approved', yanked: true }]);
    await h.pluginVersions.patch(caller('owner'), 'acme.x', '1.0.0', { yanked: true });
    expect(h.emitted.filter((e) => e.event === 'version.changed').map((e) => e.payload)).toEqual([
      expect.objectContaining({ key: 'acme.x', version: '1.0.0', changes: ['yanked'], yanked: true, by: 'owner' }),
    ]);
    h.emitted.length = 0;
    await h.pluginVersions.patch(caller('owner'), 'acme.x', '1.0.0', { yanked: false, deprecated: null });
    expect(h.emitted).toEqual([]);
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

describe('PluginVersionsService.installables', () => {
  const versions = [
    versionFixture({ version: '1.0.0' }),
    versionFixture({ version: '1.1.0', status: 'pending' }),
    versionFixture({ version: '1.2.0', status: 'rejected' }),
    versionFixture({ key: 'acme.y', version: '2.0.0' }),
  ];
  beforeEach(() => {
    h.plugins.findMany.mockResolvedValue([
      pluginFixture({ distTags: { latest: '1.0.0', next: null } }),
      pluginFixture({ key: 'acme.y', scope: 'private', ownerId: 'someone-else' }),
    ]);
    h.versions.listMany.mockResolvedValue(versions);
  });

  it('gives others the approved versions of the plugins they may see, and the stored dist-tags', async () => {
    const got = await h.pluginVersions.installables(caller('u1'), ['acme.x', 'acme.y', 'acme.missing']);
    expect([...got.keys()]).toEqual(['acme.x']);
    const x = got.get('acme.x')!;
    expect([x.versions.map((v) => v.version), x.manages, x.distTags.latest]).toEqual([['1.0.0'], false, '1.0.0']);
  });

  it('gives the plugin’s managers their pending versions too, tagged as they would be once approved', async () => {
    const x = (await h.pluginVersions.installables(caller('owner'), ['acme.x'])).get('acme.x')!;
    expect([x.versions.map((v) => v.version), x.manages, x.distTags.latest]).toEqual([
      ['1.1.0', '1.0.0'],
      true,
      '1.1.0',
    ]);
  });

  it('never gives a rejected version, even to its managers', async () => {
    const x = (await h.pluginVersions.installables(caller('owner'), ['acme.x'])).get('acme.x')!;
    expect(x.versions.some((v) => v.status === 'rejected')).toBe(false);
  });

  it('reads each plugin once while the content generation stands, whoever asks, and again once it moves', async () => {
    h.epoch.contentCurrent.mockResolvedValue(7);
    const first = await h.pluginVersions.installables(caller('u1'), ['acme.x', 'acme.missing']);
    const again = await h.pluginVersions.installables(caller('owner'), ['acme.x', 'acme.missing']);
    expect([h.plugins.findMany.mock.calls.length, h.versions.listMany.mock.calls.length]).toEqual([1, 1]);
    // What each caller may install is still decided per caller.
    expect([first.get('acme.x')!.versions.length, again.get('acme.x')!.versions.length]).toEqual([1, 2]);
    await h.pluginVersions.installables(caller('u1'), ['acme.y']);
    expect(h.plugins.findMany.mock.calls.map(([keys]) => keys)).toEqual([['acme.x', 'acme.missing'], ['acme.y']]);
    h.epoch.contentCurrent.mockResolvedValue(8);
    await h.pluginVersions.installables(caller('u1'), ['acme.x']);
    expect(h.plugins.findMany).toHaveBeenCalledTimes(3);
  });

  it('keeps nothing read while the generation moved (a write landed during the read)', async () => {
    let generation = 0;
    h.epoch.contentCurrent.mockImplementation(() => Promise.resolve(++generation % 2 === 1 ? 1 : 2));
    await h.pluginVersions.installables(caller('u1'), ['acme.x']);
    await h.pluginVersions.installables(caller('u1'), ['acme.x']);
    expect(h.plugins.findMany).toHaveBeenCalledTimes(2);
  });

  it('reads the caller’s memberships only when an organisation owns one of the plugins', async () => {
    await h.pluginVersions.installables(caller('u1'), ['acme.x']);
    expect(h.memberships.rolesOf).not.toHaveBeenCalled();
    h.plugins.findMany.mockResolvedValue([
      pluginFixture({ key: 'acme.o', ownerType: 'org', ownerId: 'o1', scope: 'org' }),
    ]);
    h.memberships.rolesOf.mockResolvedValue(new Map([['o1', 'member' as const]]));
    expect([...(await h.pluginVersions.installables(caller('u1'), ['acme.o'])).keys()]).toEqual(['acme.o']);
    expect(h.memberships.rolesOf).toHaveBeenCalledWith('u1');
  });
});

describe('PluginVersionsService.storedPlugins', () => {
  it('reads each plugin once, whoever may see it', async () => {
    h.plugins.findMany.mockResolvedValue([pluginFixture({ scope: 'private', killed: true })]);
    expect((await h.pluginVersions.storedPlugins(['acme.x', 'acme.x'])).map((p) => p.killed)).toEqual([true]);
    expect(h.plugins.findMany).toHaveBeenCalledWith(['acme.x']);
  });
});

describe('PluginVersionsService.releasedVersions', () => {
  it('answers the approved versions that are not yanked, newest first', async () => {
    h.versions.list.mockResolvedValue([
      versionFixture({ version: '1.0.0' }),
      versionFixture({ version: '1.10.0' }),
      versionFixture({ version: '1.2.0' }),
      versionFixture({ version: '1.3.0', status: 'pending' }),
      versionFixture({ version: '1.4.0', status: 'rejected' }),
      versionFixture({ version: '1.5.0', yanked: true }),
    ]);
    const released = await h.pluginVersions.releasedVersions('acme.x');
    expect(released.map((v) => v.version)).toEqual(['1.10.0', '1.2.0', '1.0.0']);
    expect(h.versions.list).toHaveBeenCalledWith('acme.x');
  });
});

describe('PluginVersionsService.loadable', () => {
  it('hands over what the repository stored for key@version', async () => {
    h.versions.loadable.mockResolvedValue({ manifest: { key: 'acme.x' }, runner: 'export default {}' });
    expect(await h.pluginVersions.loadable('acme.x', '1.0.0')).toEqual({
      manifest: { key: 'acme.x' },
      runner: 'export default {}',
    });
    expect(h.versions.loadable).toHaveBeenCalledWith('acme.x', '1.0.0');
  });
});
