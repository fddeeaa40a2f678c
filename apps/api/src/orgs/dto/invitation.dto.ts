import { ApiProperty } from '@nestjs/swagger';
import {
  ApiExample,
  BodyExamples,
  OptionalEnumField,
  ORG_ROLES,
  type OrgRole,
  PaginationQueryDto,
  ReadOnlyDate,
  ReadOnlyField,
  ReadOnlyNullableDate,
} from '@app/common';
import { IsString, Matches, MaxLength } from 'class-validator';
import { type Invitation, INVITATION_STATUSES, type InvitationStatus, type Organisation } from '../org.entity.js';

/** The token an invitation was created with: what the invitee needs to answer it. */
@BodyExamples({
  token: {
    summary: 'The token the inviter was shown',
    value: { token: 'phi_Zm9yIGV4YW1wbGUgb25seSwgbm90IGEgcmVhbCB0b2tlbg' },
  },
})
export class InvitationTokenDto {
  /** The invitation's token (`phi_…`), as shown once to the inviter. */
  @ApiExample('phi_Zm9yIGV4YW1wbGUgb25seSwgbm90IGEgcmVhbCB0b2tlbg')
  @IsString()
  @MaxLength(100)
  @Matches(/^phi_[A-Za-z0-9_-]+$/, { message: 'must be an invitation token (phi_…)' })
  token: string;
}

export class InvitationListQueryDto extends PaginationQueryDto {
  /** Only invitations in this state (`expired`: pending past its expiry). */
  @OptionalEnumField(INVITATION_STATUSES, 'InvitationStatus')
  status?: InvitationStatus;
}

export class InvitationResponseDto {
  /** Invitation id, used to revoke it. */
  @ReadOnlyField()
  id: string;
  /** Slug of the organisation it invites to. */
  @ReadOnlyField()
  org: string;
  /** Display name of that organisation. */
  @ReadOnlyField()
  org_name: string;
  /** Who it is for: the email address (lower-cased) or user id the inviter gave. */
  @ReadOnlyField()
  invitee: string;
  /** The role accepting it gives. */
  @ApiProperty({ enum: ORG_ROLES, enumName: 'OrgRole', readOnly: true })
  role: OrgRole;
  /** pending until accepted, declined or revoked; expired once past `expires_at` unanswered. */
  @ApiProperty({ enum: INVITATION_STATUSES, enumName: 'InvitationStatus', readOnly: true })
  status: InvitationStatus;
  /** The user id of who invited. */
  @ReadOnlyField()
  invited_by: string;
  /** When it was created. */
  @ReadOnlyDate()
  created_at: string;
  /** When it stops being acceptable. */
  @ReadOnlyDate()
  expires_at: string;
  /** When it was accepted, declined or revoked, or null while it was not. */
  @ReadOnlyNullableDate()
  responded_at: string | null;

  static from(inv: Invitation, org: Pick<Organisation, 'slug' | 'name'> | undefined): InvitationResponseDto {
    return {
      id: inv.id,
      org: org?.slug ?? '',
      org_name: org?.name ?? '',
      invitee: inv.invitee,
      role: inv.role,
      status: inv.status,
      invited_by: inv.invitedBy,
      created_at: inv.createdAt.toISOString(),
      expires_at: inv.expiresAt.toISOString(),
      responded_at: inv.respondedAt?.toISOString() ?? null,
    };
  }
}

/** Answer to an invitation's creation: the only time its token is ever shown. */
export class CreatedInvitationResponseDto extends InvitationResponseDto {
  /** The secret the invitee answers with (POST /api/invitations/accept/ or …/decline/); shown only here. */
  @ReadOnlyField()
  token: string;

  static fromCreated(inv: Invitation, org: Organisation, token: string): CreatedInvitationResponseDto {
    return { ...InvitationResponseDto.from(inv, org), token };
  }
}
