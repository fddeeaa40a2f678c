import { MANAGER_ORG_ROLES } from '../../auth/access.policy.js';
import type { Viewer } from '../../auth/auth.entity.js';

/**
 * `canSee` (plugin-visibility.ts) as a MongoDB filter over plugin documents, for lists and counts. It must agree
 * with `canSee`; plugin-visibility.query.spec.ts checks that it does for every kind of viewer and plugin.
 */
export function visibilityFilter(viewer: Viewer): Record<string, unknown> {
  if (viewer.isAdmin) return { deleted_at: null };
  const managed: string[] = [];
  const member: string[] = [];
  for (const [orgId, role] of viewer.orgRoles) {
    member.push(orgId);
    if (MANAGER_ORG_ROLES.includes(role)) managed.push(orgId);
  }
  const or: Record<string, unknown>[] = [
    { owner_type: 'user', owner_id: viewer.id },
    { has_approved: true, scope: 'public' },
  ];
  if (managed.length) or.push({ owner_type: 'org', owner_id: { $in: managed } });
  if (member.length) or.push({ has_approved: true, scope: 'org', owner_type: 'org', owner_id: { $in: member } });
  return { deleted_at: null, $or: or };
}
