import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  BodyExamples,
  OptionalEnumField,
  PaginationQueryDto,
  QueryBoolean,
  ReadOnlyDate,
  ReadOnlyField,
  ReadOnlyNullableDate,
  ReadOnlyNullableString,
} from '@app/common';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
} from 'class-validator';
import {
  PLUGIN_ORDERINGS,
  type PluginOrdering,
  VERSION_STATUSES,
  type VersionStatus,
} from '../../registry/registry.entity.js';
import type { OverviewItem } from '../../registry/moderation.service.js';

const SEMVER = '^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?$';
export const REVIEW_DECISIONS = ['approve', 'reject'] as const;
export type ReviewDecisionName = (typeof REVIEW_DECISIONS)[number];

export class AdminPluginListQueryDto extends PaginationQueryDto {
  /** Only plugins with at least one version in this review state (`pending`: the review queue). */
  @OptionalEnumField(VERSION_STATUSES, 'VersionStatus')
  status?: VersionStatus;

  @QueryBoolean('Only killed (true) or not killed (false) plugins.')
  killed?: boolean;

  @QueryBoolean('Only verified (true) or unverified (false) plugins.')
  verified?: boolean;

  /** Only plugins owned by this user or organisation (id). */
  @ApiPropertyOptional({ pattern: '^[0-9a-f]{24}$' })
  @IsOptional()
  @IsString()
  @Matches(/^[0-9a-f]{24}$/)
  owner?: string;

  /** Case-insensitive substring of the key, name, description or a tag. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  search?: string;

  /** Which field to use when ordering the results; defaults to `key`. */
  @OptionalEnumField(PLUGIN_ORDERINGS, 'PluginOrdering')
  ordering?: PluginOrdering;
}

/** A version's review state. */
export class AdminVersionStateDto {
  /** The version. */
  @ReadOnlyField('1.0.0')
  version: string;
  /** Its review state. */
  @ApiProperty({ enum: VERSION_STATUSES, enumName: 'VersionStatus', readOnly: true })
  status: VersionStatus;
  /** Withdrawn by its owners. */
  @ReadOnlyField()
  yanked: boolean;
  /** When it was submitted for review. */
  @ReadOnlyNullableDate()
  submitted_at: string | null;
  /** Who reviewed it (user id). */
  @ReadOnlyNullableString()
  reviewed_by: string | null;
  /** When it was reviewed. */
  @ReadOnlyNullableDate()
  reviewed_at: string | null;
  /** The reviewer's notes. */
  @ReadOnlyNullableString()
  review_notes: string | null;
  /** When it was published. */
  @ReadOnlyDate()
  published_at: string;
}

/** A plugin as platform admins and reviewers see it: every state, whoever owns it. */
export class AdminPluginResponseDto {
  /** The plugin key. */
  @ReadOnlyField('acme.hello')
  key: string;
  /** Display name. */
  @ReadOnlyField()
  name: string;
  /** Who owns it. */
  @ApiProperty({ enum: ['user', 'org', 'system'], readOnly: true })
  owner_type: string;
  /** The owning user's or organisation's id; null for system plugins. */
  @ReadOnlyNullableString()
  owner_id: string | null;
  /** Visibility. */
  @ApiProperty({ enum: ['private', 'org', 'public'], readOnly: true })
  scope: string;
  /** The plugin's overall state: approved once a version is, else its newest version's. */
  @ApiProperty({ enum: VERSION_STATUSES, enumName: 'VersionStatus', readOnly: true })
  status: VersionStatus;
  /** Every version's review state, newest published first. */
  @ApiProperty({ type: [AdminVersionStateDto], readOnly: true })
  versions: AdminVersionStateDto[];
  /** Number of installations over every target. */
  @ApiProperty({ type: 'integer', minimum: 0, readOnly: true })
  installations: number;
  /** The platform's trust badge. */
  @ReadOnlyField()
  verified: boolean;
  /** Who set the badge last (user id). */
  @ReadOnlyNullableString()
  verified_by: string | null;
  /** When the badge was set last. */
  @ReadOnlyNullableDate()
  verified_at: string | null;
  /** Why. */
  @ReadOnlyNullableString()
  verified_notes: string | null;
  /** Disabled everywhere by the kill switch. */
  @ReadOnlyField()
  killed: boolean;
  /** The killed versions; empty while killed means every version. */
  @ApiProperty({ type: [String], readOnly: true })
  killed_versions: string[];
  /** Why it was killed (or revived, once revived). */
  @ReadOnlyNullableString()
  killed_reason: string | null;
  /** Who pulled or lifted the kill switch last (user id). */
  @ReadOnlyNullableString()
  killed_by: string | null;
  /** When the kill switch last changed. */
  @ReadOnlyNullableDate()
  killed_at: string | null;
  /** When it was first published. */
  @ReadOnlyDate()
  created_at: string;
  /** When it last changed. */
  @ReadOnlyDate()
  updated_at: string;

  static from({ plugin: p, versions, installations }: OverviewItem): AdminPluginResponseDto {
    const iso = (d: Date | null) => (d ? d.toISOString() : null);
    return {
      key: p.key,
      name: p.name,
      owner_type: p.ownerType,
      owner_id: p.ownerId,
      scope: p.scope,
      status: p.status,
      versions: [...versions]
        .sort((a, b) => b.publishedAt.getTime() - a.publishedAt.getTime())
        .map((v) => ({
          version: v.version,
          status: v.status,
          yanked: v.yanked,
          submitted_at: iso(v.submittedAt),
          reviewed_by: v.reviewedBy,
          reviewed_at: iso(v.reviewedAt),
          review_notes: v.reviewNotes,
          published_at: v.publishedAt.toISOString(),
        })),
      installations,
      verified: p.verified,
      verified_by: p.verifiedBy,
      verified_at: iso(p.verifiedAt),
      verified_notes: p.verifiedNotes,
      killed: p.killed,
      killed_versions: p.killed ? p.killedVersions : [],
      killed_reason: p.killedReason,
      killed_by: p.killedBy,
      killed_at: iso(p.killedAt),
      created_at: p.createdAt.toISOString(),
      updated_at: p.updatedAt.toISOString(),
    };
  }
}

/** A reviewer's decision on a pending version. */
@BodyExamples({
  approve: {
    summary: 'Approve a pending version',
    value: { version: '1.0.0', decision: 'approve', notes: 'Looks good.' },
  },
  reject: {
    summary: 'Reject it, saying why',
    value: { version: '1.0.0', decision: 'reject', notes: 'The manifest asks for network access it never uses.' },
  },
})
export class ReviewPluginDto {
  /** The version to review; it must be pending. */
  @ApiProperty({ pattern: SEMVER, maxLength: 64, example: '1.0.0' })
  @IsString()
  @MaxLength(64)
  @Matches(new RegExp(SEMVER))
  version: string;

  /** Approve (moves the dist-tags) or reject (needs notes). */
  @ApiProperty({ enum: REVIEW_DECISIONS, enumName: 'ReviewDecision' })
  @IsIn(REVIEW_DECISIONS)
  decision: ReviewDecisionName;

  /** What the owner is told; required when rejecting. */
  @ApiPropertyOptional({ maxLength: 5000, example: 'Looks good.' })
  @IsOptional()
  @IsString()
  @MaxLength(5000)
  notes?: string;
}

/** The trust badge. */
@BodyExamples({
  verify: { summary: 'Give the trust badge', value: { verified: true, notes: 'Code reviewed by the platform team.' } },
})
export class VerifyPluginDto {
  /** Verified (true) or not (false). */
  @ApiProperty()
  @IsBoolean()
  verified: boolean;

  /** Why. */
  @ApiPropertyOptional({ maxLength: 5000, example: 'Code reviewed by the platform team.' })
  @IsOptional()
  @IsString()
  @MaxLength(5000)
  notes?: string;
}

/** Pulling the kill switch. */
@BodyExamples({
  every: { summary: 'Stop every version', value: { reason: 'Leaks credentials to a third party.' } },
  some: { summary: 'Stop one version', value: { reason: 'Leaks credentials to a third party.', versions: ['1.0.0'] } },
})
export class KillPluginDto {
  /** Why; shown to everyone who is refused. */
  @ApiProperty({ minLength: 1, maxLength: 1000, example: 'Leaks credentials to a third party.' })
  @IsString()
  @MinLength(1)
  @MaxLength(1000)
  reason: string;

  /** The versions to kill; default every version. */
  @ApiPropertyOptional({ type: [String], maxItems: 100, example: ['1.0.0'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ArrayUnique()
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  @Matches(new RegExp(SEMVER), { each: true })
  versions?: string[];
}

/** Lifting the kill switch. */
@BodyExamples({ revive: { summary: 'Lift the kill switch', value: { reason: 'The leaking version was yanked.' } } })
export class RevivePluginDto {
  /** Why. */
  @ApiProperty({ minLength: 1, maxLength: 1000, example: 'The leaking version was yanked.' })
  @IsString()
  @MinLength(1)
  @MaxLength(1000)
  reason: string;
}
