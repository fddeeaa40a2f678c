import type { OrgRole } from '@app/common';
import type { AccessAction, AccessTarget, Viewer } from './auth.entity.js';

/** The organisation roles that manage an organisation's things. */
export const MANAGER_ORG_ROLES: readonly OrgRole[] = ['owner', 'admin'];

const ORG_MINIMUM: Record<AccessAction, readonly OrgRole[]> = {
  read: ['owner', 'admin', 'member'],
  manage: MANAGER_ORG_ROLES,
  own: ['owner'],
};

/**
 * The access rules, as one pure function of the viewer. Platform admins may do anything. A user acts on their
 * own things; an organisation's members read it, its owners and admins manage it, its owners own it; the
 * instance's (global) things are readable by everyone and changed by platform admins only.
 */
export function may(viewer: Viewer, action: AccessAction, target: AccessTarget): boolean {
  if (viewer.isAdmin) return true;
  switch (target.kind) {
    case 'user':
      return target.id === viewer.id;
    case 'org': {
      const role = viewer.orgRoles.get(target.id);
      return role !== undefined && ORG_MINIMUM[action].includes(role);
    }
    case 'global':
      return action === 'read';
  }
}
