import type { OrgRole } from '@app/common';
import fc from 'fast-check';
import { Context } from 'mingo';
import { Aggregator } from 'mingo/aggregator';
import * as expressionOperators from 'mingo/operators/expression';
import * as pipelineOperators from 'mingo/operators/pipeline';
import * as queryOperators from 'mingo/operators/query';
import { Query } from 'mingo/query';
import { describe, expect, it } from 'vitest';
import type { Viewer } from '../../auth/auth.entity.js';
import { canManage, canSee, canSeeVersion } from '../plugin-visibility.js';
import type { Ownership } from '../registry.entity.js';
import { REFRESH_AUDIENCE, visibilityFilter } from './plugin-visibility.query.js';

const viewer = (id: string, roles: Record<string, OrgRole> = {}, isAdmin = false): Viewer => ({
  id,
  roles: isAdmin ? ['admin'] : ['user'],
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
const context = Context.init({
  expression: { ...expressionOperators },
  pipeline: { ...pipelineOperators },
  query: { ...queryOperators },
});
/** The stored document, with the audience the database derives for it (the same update, evaluated by mingo). */
const asDoc = (p: Ownership) => {
  const doc = {
    owner_type: p.ownerType,
    owner_id: p.ownerId,
    scope: p.scope,
    has_approved: p.hasApproved,
    deleted_at: p.deletedAt,
  };
  return new Aggregator(REFRESH_AUDIENCE, { context }).run([doc])[0];
};
const orgPlugin = plugin({ ownerType: 'org', ownerId: 'o1', scope: 'org' });

describe('plugin visibility', () => {
  it('shows an owner their plugin in every state', () => {
    expect(canSee(viewer('u1'), plugin({ scope: 'private', hasApproved: false }))).toBe(true);
  });

  it('hides another user’s unapproved private plugin', () => {
    expect(canSee(viewer('u2'), plugin({ scope: 'private', hasApproved: false }))).toBe(false);
  });

  it('shows platform admins everything that is not unpublished', () => {
    expect(canSee(viewer('u2', {}, true), plugin({ scope: 'private', hasApproved: false }))).toBe(true);
  });

  it('shows others a public plugin once a version is approved, and not before', () => {
    expect([canSee(viewer('u2'), plugin({})), canSee(viewer('u2'), plugin({ hasApproved: false }))]).toEqual([
      true,
      false,
    ]);
  });

  it('keeps an approved private plugin from other users', () => {
    expect(canSee(viewer('u2'), plugin({ scope: 'private' }))).toBe(false);
  });

  it('shows org members an approved org-scoped plugin, not outsiders', () => {
    expect([canSee(viewer('m', { o1: 'member' }), orgPlugin), canSee(viewer('x', { o2: 'owner' }), orgPlugin)]).toEqual(
      [true, false],
    );
  });

  it('lets org owners and admins manage, not members', () => {
    expect(
      (['owner', 'admin', 'member'] as const).map((role) => canManage(viewer('v', { o1: role }), orgPlugin)),
    ).toEqual([true, true, false]);
  });

  it('shows unapproved org plugins to the org’s managers only', () => {
    const pending = { ...orgPlugin, hasApproved: false };
    expect([canSee(viewer('a', { o1: 'admin' }), pending), canSee(viewer('m', { o1: 'member' }), pending)]).toEqual([
      true,
      false,
    ]);
  });

  it('keeps a private org plugin for the org’s managers', () => {
    expect(canSee(viewer('m', { o1: 'member' }), { ...orgPlugin, scope: 'private' })).toBe(false);
  });

  it('hides unpublished plugins from everyone, admins included', () => {
    const gone = plugin({ deletedAt: new Date() });
    expect([canSee(viewer('u1'), gone), canSee(viewer('admin', {}, true), gone)]).toEqual([false, false]);
  });

  it('lets only platform admins manage system plugins, which everyone sees', () => {
    const sys = plugin({ ownerType: 'system', ownerId: null });
    expect([canManage(viewer('u1'), sys), canManage(viewer('root', {}, true), sys), canSee(viewer('u1'), sys)]).toEqual(
      [false, true, true],
    );
  });

  it('shows non-managers only approved versions', () => {
    const p = plugin({});
    expect(
      (['approved', 'draft', 'pending', 'rejected'] as const).map((s) => canSeeVersion(viewer('u2'), p, s)),
    ).toEqual([true, false, false, false]);
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
        const matches = new Query(visibilityFilter(who), { context }).test(asDoc(p));
        expect(matches).toBe(canSee(who, p));
      }),
      { numRuns: 2000 },
    );
  });
});
