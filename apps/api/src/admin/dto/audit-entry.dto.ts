import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  OptionalEnumField,
  PaginationQueryDto,
  ReadOnlyDate,
  ReadOnlyDto,
  ReadOnlyField,
  ReadOnlyInt,
  ReadOnlyNullableInt,
  ReadOnlyNullableString,
} from '@app/common';
import { IsDateString, IsMongoId, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import {
  AUDIT_ACTOR_KINDS,
  AUDIT_OUTCOMES,
  type AuditActorKind,
  type AuditEntry,
  type AuditOutcome,
} from '../admin.entity.js';

const ACTION_PATTERN = '^[A-Za-z0-9_.]{1,100}\\*?$';

/** The filters both audit lists share. */
export class AuditFiltersDto extends PaginationQueryDto {
  /** Only entries by this user (id). */
  @ApiPropertyOptional({ pattern: '^[0-9a-f]{24}$' })
  @IsOptional()
  @IsMongoId()
  actor?: string;

  /** Only this action: an operationId (`plugins_create`) or a dotted background action; a final `*` matches a prefix. */
  @ApiPropertyOptional({ pattern: ACTION_PATTERN, maxLength: 101 })
  @IsOptional()
  @IsString()
  @Matches(new RegExp(ACTION_PATTERN))
  action?: string;

  /** Only entries about this target type (`plugins`, `users`, `orgs`, …). */
  @IsOptional()
  @IsString()
  @MaxLength(100)
  target_type?: string;

  /** Only entries about this target (a plugin key, a user id, …). */
  @IsOptional()
  @IsString()
  @MaxLength(300)
  target?: string;

  /** Only entries with this outcome. */
  @OptionalEnumField(AUDIT_OUTCOMES, 'AuditOutcome')
  outcome?: AuditOutcome;

  /** Only the entry of this request (its X-Request-Id). */
  @IsOptional()
  @IsString()
  @MaxLength(128)
  request_id?: string;

  /** Only entries at or after this time. */
  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsDateString({ strict: true })
  since?: string;

  /** Only entries before this time. */
  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsDateString({ strict: true })
  until?: string;
}

export class AuditListQueryDto extends AuditFiltersDto {
  /** Only entries about this organisation (slug or id). */
  @IsOptional()
  @IsString()
  @MaxLength(100)
  org?: string;
}

export class OrgAuditListQueryDto extends AuditFiltersDto {
  /** The organisation (slug or id) whose entries to list; you must be its owner or admin. */
  @IsString()
  @MaxLength(100)
  org: string;
}

export class AuditActorDto {
  /** `user`, `anonymous` (a login or sign-up attempt) or `system` (a background action). */
  @ApiProperty({ enum: AUDIT_ACTOR_KINDS, enumName: 'AuditActorKind', readOnly: true })
  kind: AuditActorKind;
  /** The user's id. */
  @ReadOnlyNullableString()
  user_id: string | null;
  /** The user's platform roles at the time. */
  @ApiProperty({ type: [String], readOnly: true })
  roles: string[];
  /** The API token used, if one was. */
  @ReadOnlyNullableString()
  token_id: string | null;
  /** The background component that acted. */
  @ReadOnlyNullableString()
  component: string | null;
  /** The email an anonymous caller gave (login attempts). */
  @ReadOnlyNullableString()
  claimed: string | null;
}

export class AuditTargetDto {
  /** The resource type (`plugins`, `users`, `orgs`, `auth`, …). */
  @ReadOnlyField()
  type: string;
  /** The resource's key or id. */
  @ReadOnlyNullableString()
  id: string | null;
}

export class AuditEntryResponseDto {
  /** Position in the chain (1, 2, 3, …). */
  @ReadOnlyInt()
  seq: number;
  /** When it happened. */
  @ReadOnlyDate()
  at: string;
  /** The operationId of the request, or a dotted background action. */
  @ReadOnlyField()
  action: string;
  /** Who acted. */
  @ReadOnlyDto(AuditActorDto)
  actor: AuditActorDto;
  /** What it acted on. */
  @ReadOnlyDto(AuditTargetDto)
  target: AuditTargetDto;
  /** The organisation the target belongs to. */
  @ReadOnlyNullableString()
  org_id: string | null;
  /** `success`, `failure` or `denied` (401/403). */
  @ApiProperty({ enum: AUDIT_OUTCOMES, enumName: 'AuditOutcome', readOnly: true })
  outcome: AuditOutcome;
  /** HTTP status of the answer; null for background actions. */
  @ReadOnlyNullableInt()
  status: number | null;
  /** HTTP method. */
  @ReadOnlyNullableString()
  method: string | null;
  /** Request path. */
  @ReadOnlyNullableString()
  path: string | null;
  /** The request id (X-Request-Id). */
  @ReadOnlyNullableString()
  request_id: string | null;
  /** Client address. */
  @ReadOnlyNullableString()
  ip: string | null;
  /** Client user agent. */
  @ReadOnlyNullableString()
  user_agent: string | null;
  /** The target's state before the change, where the service recorded it; secrets redacted. */
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, readOnly: true })
  before: Record<string, unknown> | null;
  /** The answer (state after the change); secrets redacted. */
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, readOnly: true })
  after: Record<string, unknown> | null;
  /** The request body, path and query parameters, the error code and reason; secrets redacted. */
  @ApiProperty({ type: 'object', additionalProperties: true, readOnly: true })
  details: Record<string, unknown>;
  /** SHA-256 of the previous entry. */
  @ReadOnlyField()
  prev_hash: string;
  /** SHA-256 of `prev_hash` and this entry's canonical form. */
  @ReadOnlyField()
  hash: string;

  static from(e: AuditEntry): AuditEntryResponseDto {
    return { ...auditEntryFields(e), at: e.at.toISOString(), before: asObject(e.before), after: asObject(e.after) };
  }
}

/**
 * An entry's fields under their wire (snake_case) names, as this DTO answers them and as audit_entries stores
 * them: the one list of them. What differs is left to each: `at` (a string here, a Date stored), `before` and
 * `after` (an object here, stored as recorded).
 */
export function auditEntryFields(e: AuditEntry): Omit<AuditEntryResponseDto, 'at' | 'before' | 'after'> {
  return {
    seq: e.seq,
    action: e.action,
    actor: {
      kind: e.actor.kind,
      user_id: e.actor.userId,
      roles: e.actor.roles,
      token_id: e.actor.tokenId,
      component: e.actor.component,
      claimed: e.actor.claimed,
    },
    target: { type: e.target.type, id: e.target.id },
    org_id: e.orgId,
    outcome: e.outcome,
    status: e.status,
    method: e.method,
    path: e.path,
    request_id: e.requestId,
    ip: e.ip,
    user_agent: e.userAgent,
    details: e.details,
    prev_hash: e.prevHash,
    hash: e.hash,
  };
}

function asObject(v: unknown): Record<string, unknown> | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  return { value: v };
}

export class AuditVerifyResponseDto {
  /** True when every kept entry verifies and links to the one before. */
  @ReadOnlyField()
  ok: boolean;
  /** Entries checked. */
  @ReadOnlyInt()
  checked: number;
  /** First and last seq checked. */
  @ReadOnlyNullableInt()
  first_seq: number | null;
  @ReadOnlyNullableInt()
  last_seq: number | null;
  /** Where the kept part of the chain starts (moved forward by pruning) and the hash it links to. */
  @ReadOnlyInt()
  anchor_seq: number;
  @ReadOnlyField()
  anchor_hash: string;
  /** Entries pruned so far. */
  @ReadOnlyInt()
  pruned: number;
  /** The first entry that does not verify: its content was changed, it does not link, or it is missing. */
  @ReadOnlyNullableInt()
  break_seq: number | null;
  @ApiProperty({
    type: String,
    enum: ['hash_mismatch', 'link_mismatch', 'missing_entry'],
    nullable: true,
    readOnly: true,
  })
  break_reason: 'hash_mismatch' | 'link_mismatch' | 'missing_entry' | null;
}
