import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ORG_ROLES, type OrgRole, PaginationQueryDto } from '@app/common';
import { IsIn, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import type { Membership, Organisation } from '../org.repository.js';

export class CreateOrgDto {
  /** URL-safe handle: lower-case letters, digits and dashes; used as `{org}` in paths. */
  @IsString()
  @Matches(/^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$/, {
    message: 'must be 1-50 lower-case letters, digits or dashes, not starting or ending with a dash',
  })
  slug: string;

  /** Display name. */
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name: string;

  /** What the organisation is. */
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;
}

export class OrgListQueryDto extends PaginationQueryDto {
  /** Case-insensitive match on slug or name. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  search?: string;
}

export class OrgResponseDto {
  /** Unique id. */
  @ApiProperty({ readOnly: true })
  id: string;
  /** URL-safe handle used as `{org}` in paths. */
  slug: string;
  /** Display name. */
  name: string;
  /** What the organisation is. */
  description: string;
  /** The caller's role in it, or null when the caller is a platform admin who is not a member. */
  @ApiProperty({ type: String, enum: ORG_ROLES, nullable: true, readOnly: true })
  my_role: OrgRole | null;
  /** When it was created. */
  @ApiProperty({ format: 'date-time', readOnly: true })
  created_at: string;

  static from(org: Organisation, myRole: OrgRole | null): OrgResponseDto {
    return {
      id: org.id,
      slug: org.slug,
      name: org.name,
      description: org.description,
      my_role: myRole,
      created_at: org.createdAt.toISOString(),
    };
  }
}

export class AddMemberDto {
  /** The user to add: their id or email address. */
  @IsString()
  @MinLength(1)
  @MaxLength(254)
  user: string;

  /** Their role in the organisation; defaults to member. Setting it on an existing member changes it. */
  @ApiPropertyOptional({ enum: ORG_ROLES, enumName: 'OrgRole' })
  @IsOptional()
  @IsIn(ORG_ROLES)
  role?: OrgRole;
}

export class MemberResponseDto {
  /** The member's user id. */
  @ApiProperty({ readOnly: true })
  user_id: string;
  /** The member's email address. */
  @ApiProperty({ readOnly: true })
  email: string;
  /** The member's display name. */
  @ApiProperty({ readOnly: true })
  name: string;
  /** Role in the organisation. */
  @ApiProperty({ enum: ORG_ROLES, enumName: 'OrgRole' })
  role: OrgRole;
  /** When they joined. */
  @ApiProperty({ format: 'date-time', readOnly: true })
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
