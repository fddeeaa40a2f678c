import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { BodyExamples, NestedObject, OptionalEnumField, wireFields } from '@app/common';
import { CAPABILITIES, type Permission, RISK_LEVELS, type RiskLevel } from '@app/plugin-sdk';
import { DEFAULT_PLATFORM_LIMITS, type ResolvedLimits } from '@app/runtime';
import { IsInt, IsOptional, Max, Min, ValidateBy, ValidateIf } from 'class-validator';
import {
  GRANT_SCHEMA,
  HttpExternalGrantDto,
  IsGrantList,
  isHttpExternalGrant,
} from '../../installation/dto/grant.dto.js';
import type { Revocation } from '../permission-change.js';
import type { PermissionsView } from '../permissions.service.js';

const MAX = DEFAULT_PLATFORM_LIMITS.max;
const MAX_REVOCATIONS = 20;

/** The OpenAPI schema of one revocation: a capability by name, or some hosts of `http:external`. */
export const REVOCATION_SCHEMA = {
  oneOf: [
    {
      type: 'string',
      enum: [...CAPABILITIES],
      description: 'A capability revoked by name (`http:external`: every host).',
    },
    { $ref: getSchemaPath(HttpExternalGrantDto) },
  ],
};

function isRevocation(value: unknown): value is Revocation {
  if (typeof value === 'string') return (CAPABILITIES as readonly string[]).includes(value);
  return isHttpExternalGrant(value);
}

function IsRevocationList() {
  return ValidateBy({
    name: 'isRevocationList',
    validator: {
      validate: (v: unknown) => Array.isArray(v) && v.length <= MAX_REVOCATIONS && v.every(isRevocation),
      defaultMessage: () =>
        `must be a list of at most ${MAX_REVOCATIONS} capabilities or { capability: "http:external", hosts: [...] }`,
    },
  });
}

/** Limits to grant: a number grants it (up to the platform maximum), null goes back to the platform default. */
export class ResourceLimitsChangeDto {
  /** QuickJS heap limit in MiB. */
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX.memory_mb, nullable: true, example: 64 })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsInt()
  @Min(1)
  @Max(MAX.memory_mb)
  memory_mb?: number | null;

  /** Budget of one hook call in milliseconds. */
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX.timeout_ms, nullable: true, example: 10000 })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsInt()
  @Min(1)
  @Max(MAX.timeout_ms)
  timeout_ms?: number | null;

  /** Hook calls in flight at once. */
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX.max_pending, nullable: true, example: 32 })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsInt()
  @Min(1)
  @Max(MAX.max_pending)
  max_pending?: number | null;

  /** Bytes its plugin storage may hold. */
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX.storage_quota_bytes,
    nullable: true,
    example: 2097152,
  })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsInt()
  @Min(1)
  @Max(MAX.storage_quota_bytes)
  storage_quota_bytes?: number | null;
}

/** PUT …/permissions/: every field optional; what is left out stays as it is. */
@BodyExamples({
  grant: { summary: 'Grant a requested capability', value: { grant: ['storage:write'] } },
  revoke: { summary: 'Revoke a capability; it is refused on the next call', value: { revoke: ['storage:write'] } },
  limits: {
    summary: 'Lower the memory limit and put the timeout back to the platform default',
    value: { resource_limits: { memory_mb: 32, timeout_ms: null } },
  },
})
@ApiExtraModels(HttpExternalGrantDto)
export class PermissionsChangeDto {
  /** Capabilities to grant; each must be requested by the installed version (hosts of `http:external` too). */
  @ApiPropertyOptional({ type: 'array', items: GRANT_SCHEMA, maxItems: 20, example: ['storage:write'] })
  @IsOptional()
  @IsGrantList()
  grant?: Permission[];

  /** Capabilities (or hosts of `http:external`) to revoke; revoking what is not granted changes nothing. */
  @ApiPropertyOptional({ type: 'array', items: REVOCATION_SCHEMA, maxItems: MAX_REVOCATIONS, example: ['log'] })
  @IsOptional()
  @IsRevocationList()
  revoke?: Revocation[];

  /** The riskiest capability the installation may hold (low, medium, high). */
  @OptionalEnumField(RISK_LEVELS, 'RiskLevel')
  security_level?: RiskLevel;

  /** Limits to grant or to put back to the platform default (null). */
  @IsOptional()
  @NestedObject(() => ResourceLimitsChangeDto)
  resource_limits?: ResourceLimitsChangeDto;
}

/** Resource limits as the runtime applies them. */
export class ResourceLimitsDto {
  /** QuickJS heap limit in MiB. */
  @ApiProperty({ type: 'integer', example: 32 })
  memory_mb: number;
  /** Budget of one hook call in milliseconds, awaited host calls included. */
  @ApiProperty({ type: 'integer', example: 5000 })
  timeout_ms: number;
  /** Hook calls in flight at once; more are refused with LIMIT_EXCEEDED. */
  @ApiProperty({ type: 'integer', example: 16 })
  max_pending: number;
  /** Bytes its plugin storage may hold. */
  @ApiProperty({ type: 'integer', example: 1048576 })
  storage_quota_bytes: number;

  static from(limits: ResolvedLimits): ResourceLimitsDto {
    return wireFields(limits, 'memory_mb', 'timeout_ms', 'max_pending', 'storage_quota_bytes');
  }
}

/** An installation's capability grants, security level and resource limits (Nexus's plugin permissions). */
@ApiExtraModels(HttpExternalGrantDto)
export class PermissionsDto {
  /** What the installed version requests. */
  @ApiProperty({ type: 'array', items: GRANT_SCHEMA, example: ['log', 'storage:write'] })
  requested: Permission[];
  /** What is granted: the sandbox exposes these only. */
  @ApiProperty({ type: 'array', items: GRANT_SCHEMA, example: ['log'] })
  granted: Permission[];
  /** What is requested but not granted. */
  @ApiProperty({ type: 'array', items: GRANT_SCHEMA, example: ['storage:write'] })
  denied: Permission[];
  /** Of the denied ones, those a newer version added that nobody decided on yet (after an update). */
  @ApiProperty({ type: 'array', items: GRANT_SCHEMA, example: [] })
  pending_grants: Permission[];
  /** The riskiest capability it may hold; `high` unless lowered. */
  @ApiProperty({ enum: RISK_LEVELS, enumName: 'RiskLevel' })
  security_level: RiskLevel;
  /** Whether it runs in the sandbox (false: a remote plugin, called over HTTP). */
  @ApiProperty()
  sandbox_enabled: boolean;
  /** The limits it runs with: granted ones, else the platform defaults (or the manifest's lower ask). */
  @ApiProperty({ type: ResourceLimitsDto })
  resource_limits: ResourceLimitsDto;
  /** The most that may be granted of each limit on this platform. */
  @ApiProperty({ type: ResourceLimitsDto })
  max_resource_limits: ResourceLimitsDto;
  @ApiProperty({ type: String, format: 'date-time' })
  updated_at: string;

  static from(view: PermissionsView): PermissionsDto {
    return {
      requested: view.requested,
      granted: view.granted,
      denied: view.denied,
      pending_grants: view.pendingGrants,
      security_level: view.securityLevel,
      sandbox_enabled: view.sandboxEnabled,
      resource_limits: ResourceLimitsDto.from(view.limits),
      max_resource_limits: ResourceLimitsDto.from(view.maximums),
      updated_at: view.updatedAt.toISOString(),
    };
  }
}
