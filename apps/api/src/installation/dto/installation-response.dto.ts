import { ApiExtraModels, ApiProperty } from '@nestjs/swagger';
import { SECRET_MASK } from '@app/plugin-sdk';
import type { InstanceState } from '@app/runtime';
import { TARGET_SCOPES, type TargetScope } from '../../auth/auth.entity.js';
import type { EffectiveEntry } from '../effective-set.js';
import {
  INSTALLATION_SOURCES,
  INSTALLATION_STATUSES,
  type Installation,
  type InstallationSource,
  type InstallationStatus,
  type InstallationTarget,
  type Permission,
} from '../installation.entity.js';
import { GRANT_SCHEMA, HttpExternalGrantDto } from './grant.dto.js';
import {
  ApiDate,
  ApiNullableString,
  ReadOnlyDate,
  ReadOnlyField,
  ReadOnlyInt,
  ReadOnlyNullableDate,
  ReadOnlyNullableString,
} from '@app/common';

export const INSTANCE_STATES = ['loading', 'ready', 'failed', 'stopping', 'stopped'] as const;

/** Where an installation lives. */
export class InstallationTargetDto {
  /** `user` (a user's own), `org` (an organisation's) or `global` (the instance's). */
  @ApiProperty({ enum: TARGET_SCOPES, enumName: 'TargetScope' })
  scope: TargetScope;
  /** The user, for scope user. */
  @ApiNullableString()
  user_id: string | null;
  /** The organisation, for scope org. */
  @ApiNullableString()
  org_id: string | null;

  static from(target: InstallationTarget): InstallationTargetDto {
    return {
      scope: target.scope,
      user_id: target.scope === 'user' ? target.userId : null,
      org_id: target.scope === 'org' ? target.orgId : null,
    };
  }
}

/** The last error the plugin reported in use. */
export class InstallationLastErrorDto {
  /** The error message. */
  message: string;
  /** When it happened. */
  @ApiDate()
  at: string;
}

/** The broader installation that switches a plugin off for you. */
export class OverridingInstallationDto {
  /** Its id. */
  installation_id: string;
  /** `org` or `global`. */
  @ApiProperty({ enum: TARGET_SCOPES, enumName: 'TargetScope' })
  scope: TargetScope;
  /** The organisation, when it is one's. */
  @ApiNullableString()
  org_id: string | null;
  /** Its status (`disabled` or `killed`). */
  @ApiProperty({ enum: INSTALLATION_STATUSES, enumName: 'InstallationStatus' })
  status: InstallationStatus;
}

/** Whether a plugin of your effective set is on for you (GET /api/my/plugins/ only). */
export class EffectiveStateDto {
  /** On for you: the installation is active and no organisation or global disable overrides it. */
  active: boolean;
  /** The organisation's or global installation whose disable overrides it, or null. */
  @ApiProperty({ type: OverridingInstallationDto, nullable: true })
  overridden_by: OverridingInstallationDto | null;
}

/** A plugin installed into a target: one per plugin and target. The same schema in every answer. */
@ApiExtraModels(HttpExternalGrantDto)
export class InstallationResponseDto {
  /** The installation's id. */
  @ReadOnlyField('6650f2a3c1d4e5f6a7b8c9d0')
  id: string;
  /** The plugin key. */
  @ReadOnlyField('plughub.hello')
  plugin: string;
  /** The installed version. */
  @ReadOnlyField('1.0.0')
  installed_version: string;
  /** Where it is installed. */
  @ReadOnlyField()
  target: InstallationTargetDto;
  /** installing, active, disabled, failed, killed or uninstalling. */
  @ApiProperty({ enum: INSTALLATION_STATUSES, enumName: 'InstallationStatus', readOnly: true })
  status: InstallationStatus;
  /** Running (status active). */
  @ReadOnlyField()
  active: boolean;
  /** Wanted on (active, or failed and retried at the next start or reload). */
  @ReadOnlyField()
  enabled: boolean;
  /** Why it has its status (the disable reason, the start-up error, the kill reason), or null. */
  @ReadOnlyNullableString()
  status_reason: string | null;
  /** Where it came from: store, upload, url or builtin. */
  @ApiProperty({ enum: INSTALLATION_SOURCES, enumName: 'InstallationSource', readOnly: true })
  source: InstallationSource;
  /** Setting values; secret ones that are set show as `***hidden***`. */
  @ApiProperty({ type: 'object', additionalProperties: true, readOnly: true, example: { greeting: 'Hello' } })
  config: Record<string, unknown>;
  /** The capabilities granted to it. */
  @ApiProperty({ type: 'array', items: GRANT_SCHEMA, readOnly: true, example: ['log', 'config:read'] })
  grants: Permission[];
  /** Capabilities its version requests that are not granted yet (after an update); grant them to use them. */
  @ApiProperty({ type: 'array', items: GRANT_SCHEMA, readOnly: true, example: [] })
  pending_grants: Permission[];
  /** What its version depends on: plugin key → semver range. */
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, readOnly: true, example: {} })
  dependencies: Record<string, string>;
  /** Hook calls made to it. */
  @ReadOnlyInt()
  execution_count: number;
  /** Average time of a hook call, in milliseconds. */
  @ReadOnlyField()
  avg_execution_time_ms: number;
  /** Total time of its hook calls, in milliseconds. */
  @ReadOnlyField()
  total_execution_time_ms: number;
  /** Hook calls that failed. */
  @ReadOnlyInt()
  error_count: number;
  /** The last failure of a hook call, or null. */
  @ApiProperty({ type: InstallationLastErrorDto, nullable: true, readOnly: true })
  last_error: InstallationLastErrorDto | null;
  /** When it was last called, or null. */
  @ReadOnlyNullableDate()
  last_used: string | null;
  /** Newer compatible versions (same major) are installed when approved. */
  @ReadOnlyField()
  auto_update: boolean;
  /** A newer version is available. */
  @ReadOnlyField()
  update_available: boolean;
  /** That newer version, or null. */
  @ReadOnlyNullableString()
  available_version: string | null;
  /** The id of its instance in the runtime (the same as `id`). */
  @ReadOnlyField()
  runtime_id: string;
  /** The state of its runtime instance on the node that answered, or null when it is not loaded there. */
  // Inline rather than a named enum: OpenAPI 3.0 allows `nullable` only beside a `type`, not beside a $ref.
  @ApiProperty({ type: String, enum: [...INSTANCE_STATES, null], nullable: true, readOnly: true })
  runtime_state: InstanceState | null;
  /** Who installed it (a user id), or null for the platform. */
  @ReadOnlyNullableString()
  installed_by: string | null;
  /** When it was installed. */
  @ReadOnlyDate()
  installed_at: string;
  /** When it last changed. */
  @ReadOnlyDate()
  updated_at: string;
  /** Whether it is on for you (in GET /api/my/plugins/ only). */
  @ApiProperty({ type: EffectiveStateDto, required: false, readOnly: true })
  effective?: EffectiveStateDto;

  static from(
    i: Installation,
    runtimeState: InstanceState | null,
    effective?: EffectiveEntry,
  ): InstallationResponseDto {
    const masked: Record<string, unknown> = { ...i.config };
    for (const key of Object.keys(i.secrets)) masked[key] = SECRET_MASK;
    const dto: InstallationResponseDto = {
      id: i.id,
      plugin: i.pluginKey,
      installed_version: i.installedVersion,
      target: InstallationTargetDto.from(i.target),
      status: i.status,
      active: i.status === 'active',
      enabled: i.enabled,
      status_reason: i.statusReason,
      source: i.source,
      config: masked,
      grants: i.grants,
      pending_grants: i.pendingGrants,
      dependencies: i.dependencies,
      execution_count: i.usage.executionCount,
      avg_execution_time_ms: i.usage.avgExecutionTimeMs,
      total_execution_time_ms: i.usage.totalExecutionTimeMs,
      error_count: i.usage.errorCount,
      last_error: i.usage.lastError
        ? { message: i.usage.lastError.message, at: i.usage.lastError.at.toISOString() }
        : null,
      last_used: i.usage.lastUsed ? i.usage.lastUsed.toISOString() : null,
      auto_update: i.autoUpdate,
      update_available: i.updateAvailable,
      available_version: i.availableVersion,
      runtime_id: i.id,
      runtime_state: runtimeState,
      installed_by: i.installedBy,
      installed_at: i.installedAt.toISOString(),
      updated_at: i.updatedAt.toISOString(),
    };
    if (effective) {
      const o = effective.overriddenBy;
      dto.effective = {
        active: effective.active,
        overridden_by: o
          ? {
              installation_id: o.id,
              scope: o.target.scope,
              org_id: o.target.scope === 'org' ? o.target.orgId : null,
              status: o.status,
            }
          : null,
      };
    }
    return dto;
  }
}
