import type { OrgRole } from '@app/common';
import fc from 'fast-check';
import { Query } from 'mingo';
import { describe, expect, it } from 'vitest';
import { canManage, canSee, canSeeVersion, type Ownership, type Viewer, visibilityFilter } from './visibility.js';

const viewer = (id: string, roles: Record<string, OrgRole> = {}, isAdmin = false): Viewer => ({
  id,
  isAdmin,
  orgRoles: new Map(Object.entries(roles)),
});
const plugin = (p: Partial<Ownership>): Ownership => ({
  ownerType: 'user',
  ownerId: 'u1',
  scope: 'public',
  hasApproved: true,
  deletedAt: null,
  ...p,
});
const asDoc = (p: Ownership) => ({
  owner_type: p.ownerType,
  owner_id: p.ownerId,
  scope: p.scope,
  has_approved: p.hasApproved,
  deleted_at: p.deletedAt,
});

describe('visibility', () => {
  it('owners and admins see their plugins in every state; others only approved ones by scope', () => {
    const draftPrivate = plugin({ scope: 'private', hasApproved: false });
    expect(canSee(viewer('u1'), draftPrivate)).toBe(true);
    expect(canSee(viewer('u2'), draftPrivate)).toBe(false);
    expect(canSee(viewer('u2', {}, true), draftPrivate)).toBe(true);

    expect(canSee(viewer('u2'), plugin({ scope: 'private' }))).toBe(false);
    expect(canSee(viewer('u2'), plugin({ scope: 'public' }))).toBe(true);
    expect(canSee(viewer('u2'), plugin({ scope: 'public', hasApproved: false }))).toBe(false);
  });

  it('org scope: members see approved versions, org admins manage, outsiders see nothing', () => {
    const p = plugin({ ownerType: 'org', ownerId: 'o1', scope: 'org' });
    expect(canSee(viewer('m', { o1: 'member' }), p)).toBe(true);
    expect(canManage(viewer('m', { o1: 'member' }), p)).toBe(false);
    expect(canManage(viewer('a', { o1: 'admin' }), p)).toBe(true);
    expect(canManage(viewer('o', { o1: 'owner' }), p)).toBe(true);
    expect(canSee(viewer('x', { o2: 'owner' }), p)).toBe(false);
    expect(canSee(viewer('m', { o1: 'member' }), { ...p, hasApproved: false })).toBe(false);
    expect(canSee(viewer('a', { o1: 'admin' }), { ...p, hasApproved: false })).toBe(true);
    // Private org plugins are for the org's managers only.
    expect(canSee(viewer('m', { o1: 'member' }), { ...p, scope: 'private' })).toBe(false);
  });

  it('unpublished plugins are gone for everyone, admins included', () => {
    const gone = plugin({ deletedAt: new Date() });
    expect(canSee(viewer('u1'), gone)).toBe(false);
    expect(canSee(viewer('admin', {}, true), gone)).toBe(false);
  });

  it('system plugins are managed by admins only', () => {
    const sys = plugin({ ownerType: 'system', ownerId: null });
    expect(canManage(viewer('u1'), sys)).toBe(false);
    expect(canManage(viewer('root', {}, true), sys)).toBe(true);
    expect(canSee(viewer('u1'), sys)).toBe(true);
  });

  it('non-managers see only approved versions', () => {
    const p = plugin({});
    expect(canSeeVersion(viewer('u2'), p, 'approved')).toBe(true);
    for (const s of ['draft', 'pending', 'rejected'] as const) {
      expect(canSeeVersion(viewer('u2'), p, s)).toBe(false);
      expect(canSeeVersion(viewer('u1'), p, s)).toBe(true);
    }
  });

  it('the Mongo filter selects exactly the plugins canSee allows (property)', () => {
    const ids = fc.constantFrom('u1', 'u2', 'o1', 'o2');
    const arbViewer = fc.record({
      id: fc.constantFrom('u1', 'u2'),
      isAdmin: fc.boolean(),
      roles: fc.dictionary(fc.constantFrom('o1', 'o2'), fc.constantFrom<OrgRole>('owner', 'admin', 'member')),
    });
    const arbPlugin = fc.record({
      ownerType: fc.constantFrom('user', 'org', 'system'),
      ownerId: fc.option(ids, { nil: null }),
      scope: fc.constantFrom('private', 'org', 'public'),
      hasApproved: fc.boolean(),
      deletedAt: fc.option(fc.constant(new Date(0)), { nil: null }),
    }) as fc.Arbitrary<Ownership>;
    fc.assert(
      fc.property(arbViewer, arbPlugin, (v, p) => {
        const who = viewer(v.id, v.roles, v.isAdmin);
        const matches = new Query(visibilityFilter(who)).test(asDoc(p));
        expect(matches).toBe(canSee(who, p));
      }),
      { numRuns: 2000 },
    );
  });
});
