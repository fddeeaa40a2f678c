import { type AuthUser, hasRole, validationError } from '@app/common';
import { may } from '../auth/access.policy.js';
import type { AccessTarget, Viewer } from '../auth/auth.entity.js';
import type { OwnerType, Ownership, PluginScope, VersionStatus } from './registry.entity.js';
import { PublisherRoleRequiredError } from './registry.errors.js';

/** The access target a plugin belongs to: its owning user or organisation; system plugins are the instance's. */
export function ownerTarget(p: Pick<Ownership, 'ownerType' | 'ownerId'>): AccessTarget {
  if (p.ownerType === 'user' && p.ownerId) return { kind: 'user', id: p.ownerId };
  if (p.ownerType === 'org' && p.ownerId) return { kind: 'org', id: p.ownerId };
  return { kind: 'global' };
}

/** The viewer may change the plugin, publish versions and see every version of it: `manage` on its owner. */
export function canManage(viewer: Viewer, p: Ownership): boolean {
  return may(viewer, 'manage', ownerTarget(p));
}

/**
 * The one visibility rule. Unpublished plugins are gone for everyone. Managers see their plugins in every
 * state. Everyone else sees a plugin only once a version is approved, and then by scope: public for all,
 * org for members of the owning organisation, private for nobody else. The catalog's database filter
 * (persistence/plugin-visibility.query.ts) must agree; a property test checks that it does.
 */
export function canSee(viewer: Viewer, p: Ownership): boolean {
  if (p.deletedAt) return false;
  if (canManage(viewer, p)) return true;
  if (!p.hasApproved) return false;
  if (p.scope === 'public') return true;
  return p.scope === 'org' && p.ownerType === 'org' && !!p.ownerId && viewer.orgRoles.has(p.ownerId);
}

/** Which versions of a visible plugin the viewer sees: managers all, others approved ones. */
export function canSeeVersion(viewer: Viewer, p: Ownership, status: VersionStatus): boolean {
  return canManage(viewer, p) || status === 'approved';
}

/**
 * Who may give a plugin a scope: org scope needs a plugin owned by an organisation, and org and public scope need
 * the `publisher` platform role (admins have it).
 */
export function assertScope(caller: AuthUser, scope: PluginScope, ownerType: OwnerType): void {
  if (scope === 'org' && ownerType !== 'org') {
    throw validationError([{ field: 'scope', message: 'org scope needs a plugin owned by an organisation' }]);
  }
  if (scope !== 'private' && !hasRole(caller, 'publisher')) throw new PublisherRoleRequiredError(scope);
}

/** The kill switch covers this version: the plugin is killed, for every version or for this one. */
export function isKilled(p: { killed: boolean; killedVersions: readonly string[] }, version: string): boolean {
  return p.killed && (p.killedVersions.length === 0 || p.killedVersions.includes(version));
}
