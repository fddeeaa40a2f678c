import { caller, pluginFixture, versionFixture } from '@test/support/fixtures.js';
import { expectRefresh, type RegistryHarness, registryHarness } from '@test/support/registry.js';
import { beforeEach, describe, expect, it } from 'vitest';

let h: RegistryHarness;
beforeEach(() => {
  h = registryHarness();
});

const reviewer = caller('rev', ['reviewer']);

describe('ModerationService.reviewVersion', () => {
  it('approves a pending version once, records the reviewer and tells the owner', async () => {
    h.plugins.find.mockResolvedValue(pluginFixture());
    h.versions.find.mockResolvedValue(versionFixture({ status: 'pending' }));
    h.versions.update.mockResolvedValue(versionFixture({ status: 'approved', reviewedBy: 'rev' }));
    expectRefresh(h, [{ version: '1.0.0', status: 'approved', yanked: false }]);
    await h.moderation.reviewVersion(reviewer, 'acme.x', '1.0.0', 'approved', 'ok');
    expect(h.versions.update).toHaveBeenCalledWith(
      'acme.x',
      '1.0.0',
      expect.objectContaining({ status: 'approved', reviewedBy: 'rev', reviewNotes: 'ok' }),
      ['pending'],
    );
    expect(h.emitted).toContainEqual({
      event: 'version.reviewed',
      payload: expect.objectContaining({
        key: 'acme.x',
        decision: 'approved',
        ownerType: 'user',
        ownerId: 'owner',
      }) as unknown,
    });
  });

  it.each(['approved', 'rejected'] as const)('refuses a version already %s: 409 not_pending', async (status) => {
    h.plugins.find.mockResolvedValue(pluginFixture());
    h.versions.find.mockResolvedValue(versionFixture({ status }));
    await expect(h.moderation.reviewVersion(reviewer, 'acme.x', '1.0.0', 'rejected', 'n')).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { reason: 'not_pending', status },
    });
  });

  it('refuses to reject without notes', async () => {
    h.plugins.find.mockResolvedValue(pluginFixture());
    h.versions.find.mockResolvedValue(versionFixture({ status: 'pending' }));
    for (const notes of [null, '', '   ']) {
      await expect(h.moderation.reviewVersion(reviewer, 'acme.x', '1.0.0', 'rejected', notes)).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
        details: { reason: 'notes_required' },
      });
    }
  });

  it.each([
    ['owns it', pluginFixture({ ownerId: 'rev', createdBy: 'rev' }), versionFixture({ status: 'pending' })],
    ['published the version', pluginFixture(), versionFixture({ status: 'pending', publishedBy: 'rev' })],
  ])('refuses self-approval when the reviewer %s', async (_why, plugin, version) => {
    h.plugins.find.mockResolvedValue(plugin);
    h.versions.find.mockResolvedValue(version);
    await expect(h.moderation.reviewVersion(reviewer, 'acme.x', '1.0.0', 'approved')).rejects.toMatchObject({
      code: 'FORBIDDEN',
      details: { reason: 'self_approval' },
    });
  });

  it('refuses self-approval by an admin of the owning organisation, though admins may approve others', async () => {
    h.plugins.find.mockResolvedValue(pluginFixture({ ownerType: 'org', ownerId: 'org1', createdBy: 'someone' }));
    h.versions.find.mockResolvedValue(versionFixture({ status: 'pending', publishedBy: 'someone' }));
    h.memberships.rolesOf.mockResolvedValue(new Map([['org1', 'admin']]));
    await expect(
      h.moderation.reviewVersion(caller('rev', ['admin']), 'acme.x', '1.0.0', 'approved'),
    ).rejects.toMatchObject({ code: 'FORBIDDEN', details: { reason: 'self_approval' } });
  });

  it('is for reviewers only', async () => {
    await expect(h.moderation.reviewVersion(caller('u1'), 'acme.x', '1.0.0', 'approved')).rejects.toMatchObject({
      code: 'FORBIDDEN',
      details: { reason: 'reviewer_role' },
    });
  });
});
