import type { OrgRole } from '@app/common';
import type { OrgRef } from './auth.entity.js';

/**
 * What AccessService needs to know about organisations: the port the orgs module implements. It is bound by the
 * owner of the data, in `orgs/persistence/orgs-persistence.module.ts` (a global module), so auth never imports
 * orgs and orgs may import auth.
 */
export const MEMBERSHIP_LOOKUP = Symbol('MEMBERSHIP_LOOKUP');

export interface MembershipLookup {
  /** Organisation id → the user's role, for every organisation the user belongs to. */
  rolesOf(userId: string): Promise<ReadonlyMap<string, OrgRole>>;
  /** An organisation by slug, or by id. */
  findOrg(slugOrId: string): Promise<OrgRef | null>;
}
