import { Global, Module } from '@nestjs/common';
import { persistenceModule } from '@app/database';
import { MEMBERSHIP_LOOKUP } from '../../auth/auth.ports.js';
import { InvitationRepository } from './invitation.repository.js';
import { InvitationDoc, InvitationSchema } from './invitation.schema.js';
import { MembershipLookupAdapter } from './membership-lookup.adapter.js';
import { MembershipRepository } from './membership.repository.js';
import { MembershipDoc, MembershipSchema } from './membership.schema.js';
import { OrgRepository } from './org.repository.js';
import { OrganisationDoc, OrganisationSchema } from './org.schema.js';

/**
 * The organisations, memberships and org_invitations collections, and the binding of auth's MEMBERSHIP_LOOKUP
 * port: the owner of the data binds the port (brocoders' document-persistence.module.ts shape). Global so that
 * AccessService, which auth provides and orgs itself uses, sees the binding without auth importing orgs.
 */
@Global()
@Module(
  persistenceModule({
    models: [
      [OrganisationDoc, OrganisationSchema],
      [MembershipDoc, MembershipSchema],
      [InvitationDoc, InvitationSchema],
    ],
    repositories: [OrgRepository, MembershipRepository, InvitationRepository],
    ports: [{ provide: MEMBERSHIP_LOOKUP, useExisting: MembershipLookupAdapter }],
  }),
)
export class OrgsPersistenceModule {}
