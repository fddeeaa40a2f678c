import { Injectable } from '@nestjs/common';
import type { OrgRole } from '@app/common';
import type { OrgRef } from '../../auth/auth.entity.js';
import type { MembershipLookup } from '../../auth/auth.ports.js';
import { MembershipRepository } from './membership.repository.js';
import { OrgRepository } from './org.repository.js';

/** The orgs module's implementation of auth's MEMBERSHIP_LOOKUP port. */
@Injectable()
export class MembershipLookupAdapter implements MembershipLookup {
  constructor(
    private readonly orgs: OrgRepository,
    private readonly members: MembershipRepository,
  ) {}

  rolesOf(userId: string): Promise<ReadonlyMap<string, OrgRole>> {
    return this.members.rolesOf(userId);
  }

  async findOrg(slugOrId: string): Promise<OrgRef | null> {
    const org = await this.orgs.findByRef(slugOrId);
    return org ? { id: org.id, slug: org.slug } : null;
  }
}
