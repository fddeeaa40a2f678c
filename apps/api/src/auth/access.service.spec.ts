import type { OrgRole } from '@app/common';
import { caller } from '@test/support/fixtures.js';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { may } from './access.policy.js';
import { AccessService } from './access.service.js';
import type { AccessAction, Viewer } from './auth.entity.js';
import type { MembershipLookup } from './auth.ports.js';

const viewer = (roles: Record<string, OrgRole> = {}, isAdmin = false): Viewer => ({
  id: 'me',
  roles: isAdmin ? ['admin'] : ['user'],
  isAdmin,
  orgRoles: new Map(Object.entries(roles)),
});
const ACTIONS: AccessAction[] = ['read', 'manage', 'own'];

describe('may', () => {
  it('lets a user do everything with their own things and nothing with another user’s', () => {
    expect(
      ACTIONS.map((a) => [may(viewer(), a, { kind: 'user', id: 'me' }), may(viewer(), a, { kind: 'user', id: 'x' })]),
    ).toEqual([
      [true, false],
      [true, false],
      [true, false],
    ]);
  });

  it('grades organisation rights by role: members read, admins manage, owners own', () => {
    const grid = (['member', 'admin', 'owner'] as const).map((role) =>
      ACTIONS.map((a) => may(viewer({ o1: role }), a, { kind: 'org', id: 'o1' })),
    );
    expect(grid).toEqual([
      [true, false, false],
      [true, true, false],
      [true, true, true],
    ]);
  });

  it('gives outsiders nothing on an organisation', () => {
    expect(ACTIONS.map((a) => may(viewer({ o2: 'owner' }), a, { kind: 'org', id: 'o1' }))).toEqual([
      false,
      false,
      false,
    ]);
  });

  it('lets everyone read global things and only platform admins change them', () => {
    expect([may(viewer(), 'read', { kind: 'global' }), may(viewer(), 'manage', { kind: 'global' })]).toEqual([
      true,
      false,
    ]);
  });

  it('lets platform admins do anything anywhere', () => {
    expect(ACTIONS.every((a) => may(viewer({}, true), a, { kind: 'org', id: 'o1' }))).toBe(true);
  });
});

describe('AccessService', () => {
  let lookup: {
    rolesOf: ReturnType<typeof vi.fn<MembershipLookup['rolesOf']>>;
    findOrg: ReturnType<typeof vi.fn<MembershipLookup['findOrg']>>;
  };
  let access: AccessService;

  beforeEach(() => {
    lookup = {
      rolesOf: vi.fn<MembershipLookup['rolesOf']>().mockResolvedValue(new Map<string, OrgRole>([['o1', 'member']])),
      findOrg: vi.fn<MembershipLookup['findOrg']>().mockResolvedValue({ id: 'o1', slug: 'acme' }),
    };
    access = new AccessService(lookup);
  });

  it('reads a caller’s memberships once per request, however often it is asked', async () => {
    const me = caller('me');
    await Promise.all([access.viewer(me), access.can(me, 'read', { kind: 'org', id: 'o1' }), access.viewer(me)]);
    expect(lookup.rolesOf).toHaveBeenCalledTimes(1);
  });

  it('reads memberships again for the next request', async () => {
    await access.viewer(caller('me'));
    await access.viewer(caller('me'));
    expect(lookup.rolesOf).toHaveBeenCalledTimes(2);
  });

  it('does not read memberships for rules about users', async () => {
    expect(await access.can(caller('me'), 'manage', { kind: 'user', id: 'me' })).toBe(true);
    expect(lookup.rolesOf).not.toHaveBeenCalled();
  });

  it('resolves no scope to the caller’s own target', async () => {
    expect(await access.resolveTarget(caller('me'), {})).toEqual({ kind: 'user', id: 'me' });
  });

  it('resolves an org the caller belongs to, by slug or id', async () => {
    expect(await access.resolveTarget(caller('me'), { org: 'acme' })).toEqual({
      kind: 'org',
      id: 'o1',
      org: { id: 'o1', slug: 'acme' },
    });
  });

  it('answers NOT_FOUND for an org the caller cannot see', async () => {
    lookup.rolesOf.mockResolvedValue(new Map());
    await expect(access.resolveTarget(caller('me'), { scope: 'org', org: 'acme' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('needs an org with scope=org', async () => {
    await expect(access.resolveTarget(caller('me'), { scope: 'org' })).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
      errors: [{ field: 'org' }],
    });
  });

  it('refuses an org with another scope', async () => {
    await expect(access.resolveTarget(caller('me'), { scope: 'global', org: 'acme' })).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
      errors: [{ field: 'org' }],
    });
  });
});
