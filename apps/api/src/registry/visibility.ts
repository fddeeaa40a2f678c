import type { OrgRole } from '@app/common';
import type { VersionStatus } from './dist-tags.js';

export const PLUGIN_SCOPES = ['private', 'org', 'public'] as const;
export type PluginScope = (typeof PLUGIN_SCOPES)[number];

export const OWNER_TYPES = ['user', 'org', 'system'] as const;
/** `system` owns the builtin and sample plugins shipped in `plugins/`; only platform admins manage them. */
export type OwnerType = (typeof OWNER_TYPES)[number];

/** Who is looking, with what the visibility rules need to know about them. */
export interface Viewer {
  id: string;
  isAdmin: boolean;
  /** Organisation id → the viewer's role in it. */
  orgRoles: ReadonlyMap<string, OrgRole>;
}

/** The fields of a plugin the rules look at. */
export interface Ownership {
  ownerType: OwnerType;
  ownerId: string | null;
  scope: PluginScope;
  hasApproved: boolean;
  deletedAt: Date | null;
}

const MANAGER_ROLES: readonly OrgRole[] = ['owner', 'admin'];

/** The viewer may change the plugin, publish versions and see every version of it. */
export function canManage(viewer: Viewer, p: Ownership): boolean {
  if (viewer.isAdmin) return true;
  if (p.ownerType === 'user') return p.ownerId === viewer.id;
  if (p.ownerType === 'org' && p.ownerId) return MANAGER_ROLES.includes(viewer.orgRoles.get(p.ownerId)!);
  return false;
}

/**
 * The one visibility rule. Unpublished plugins are gone for everyone. Managers see their plugins in every
 * state. Everyone else sees a plugin only once a version is approved, and then by scope: public for all,
 * org for members of the owning organisation, private for nobody else.
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

/** `canSee` as a MongoDB filter over plugin documents, for lists and counts. Must agree with `canSee`. */
export function visibilityFilter(viewer: Viewer): Record<string, unknown> {
  if (viewer.isAdmin) return { deleted_at: null };
  const managed: string[] = [];
  const member: string[] = [];
  for (const [orgId, role] of viewer.orgRoles) {
    member.push(orgId);
    if (MANAGER_ROLES.includes(role)) managed.push(orgId);
  }
  const or: Record<string, unknown>[] = [
    { owner_type: 'user', owner_id: viewer.id },
    { has_approved: true, scope: 'public' },
  ];
  if (managed.length) or.push({ owner_type: 'org', owner_id: { $in: managed } });
  if (member.length) or.push({ has_approved: true, scope: 'org', owner_type: 'org', owner_id: { $in: member } });
  return { deleted_at: null, $or: or };
}
