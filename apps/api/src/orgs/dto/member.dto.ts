import { ApiProperty } from '@nestjs/swagger';
import { BodyExamples, OptionalEnumField, ORG_ROLES, type OrgRole, ReadOnlyDate, ReadOnlyField } from '@app/common';
import { IsString, MaxLength, MinLength } from 'class-validator';
import type { Membership } from '../org.entity.js';

@BodyExamples({ member: { summary: 'A member by email', value: { user: 'ada@example.com', role: 'member' } } })
export class AddMemberDto {
  /** The user to add: their id or email address. */
  @IsString()
  @MinLength(1)
  @MaxLength(254)
  user: string;

  /** Their role in the organisation; defaults to member. Setting it on an existing member changes it. */
  @OptionalEnumField(ORG_ROLES, 'OrgRole')
  role?: OrgRole;
}

export class MemberResponseDto {
  /** The member's user id. */
  @ReadOnlyField()
  user_id: string;
  /** The member's email address. */
  @ReadOnlyField()
  email: string;
  /** The member's display name. */
  @ReadOnlyField()
  name: string;
  /** Role in the organisation. */
  @ApiProperty({ enum: ORG_ROLES, enumName: 'OrgRole' })
  role: OrgRole;
  /** When they joined. */
  @ReadOnlyDate()
  joined_at: string;

  static from(m: Membership, user: { email: string; name: string } | undefined): MemberResponseDto {
    return {
      user_id: m.userId,
      email: user?.email ?? '',
      name: user?.name ?? '',
      role: m.role,
      joined_at: m.joinedAt.toISOString(),
    };
  }
}
