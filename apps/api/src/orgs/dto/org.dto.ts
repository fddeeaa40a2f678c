import { ApiProperty } from '@nestjs/swagger';
import {
  BodyExamples,
  ORG_ROLES,
  ORG_SLUG_PATTERN,
  type OrgRole,
  PaginationQueryDto,
  ReadOnlyDate,
  ReadOnlyField,
} from '@app/common';
import { IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import type { Organisation } from '../org.entity.js';

@BodyExamples({
  org: { summary: 'An organisation', value: { slug: 'acme', name: 'Acme Corp', description: 'Plugins made at Acme.' } },
})
export class CreateOrgDto {
  /** URL-safe handle: lower-case letters, digits and dashes; used as `{org}` in paths. */
  @ApiProperty({ pattern: ORG_SLUG_PATTERN })
  @IsString()
  @Matches(new RegExp(ORG_SLUG_PATTERN), {
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
  @ReadOnlyField()
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
  @ReadOnlyDate()
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
