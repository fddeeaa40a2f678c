import { ApiExtraModels, ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ApiDate, ApiExample, ApiNullableString, BodyExamples } from '@app/common';
import { SECRET_MASK } from '@app/plugin-sdk';
import { IsBoolean, IsObject, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import {
  INSTALLATION_SOURCES,
  type InstallationBackup,
  type InstallationSource,
  type Permission,
} from '../installation.entity.js';
import { GRANT_SCHEMA, HttpExternalGrantDto } from './grant.dto.js';
import { InstallPlanDto } from './install-result.dto.js';
import { InstallationResponseDto } from './installation-response.dto.js';

export const UPDATE_STATUSES = ['completed', 'rolled_back'] as const;
export type UpdateStatus = (typeof UPDATE_STATUSES)[number];

/** POST …/update/ (Nexus): moves an installed plugin to another version. */
@BodyExamples({
  latest: { summary: 'Update to the latest version, keeping a backup', value: { backup_current: true } },
  range: { summary: 'Update within a range', value: { version: '^1.2.0', restart_plugin: true } },
})
export class UpdatePluginDto {
  /** A dist-tag (`latest`, `next`), an exact version or a semver range; default `latest`. */
  @ApiPropertyOptional({ example: '^1.2.0', maxLength: 100 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  version?: string;

  /** Keep the current version, settings and grants as a backup to roll back to (default true). */
  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  backup_current?: boolean;

  /**
   * Start the new version at once when the installation is on (default true); false leaves it disabled on the
   * new version, to enable when you choose. A disabled installation stays disabled either way.
   */
  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  restart_plugin?: boolean;

  /**
   * Plain settings take the new version's defaults (default false: values the new version still accepts are
   * kept). Secret settings are kept either way.
   */
  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  update_config?: boolean;

  /** Setting values to set with the update, checked against the new version's settings. */
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { greeting: 'Hello' } })
  @IsOptional()
  @IsObject()
  config?: Record<string, unknown>;
}

/** POST …/rollback/: back to a backup an update kept. */
@BodyExamples({
  newest: { summary: 'Roll back to the newest backup', value: {} },
  backup: { summary: 'Roll back to one backup', value: { backup_id: '6650f2a3c1d4e5f6a7b8c9d1' } },
})
export class RollbackPluginDto {
  /** The backup (GET …/backups/); default the newest one. */
  @ApiPropertyOptional({ pattern: '^[0-9a-f]{24}$', example: '6650f2a3c1d4e5f6a7b8c9d1' })
  @IsOptional()
  @IsString()
  @Matches(/^[0-9a-f]{24}$/, { message: 'must be a backup id' })
  backup_id?: string;
}

/** A previous version of an installation, kept by an update. */
@ApiExtraModels(HttpExternalGrantDto)
export class InstallationBackupDto {
  /** The backup's id (POST …/rollback/ {backup_id}). */
  @ApiExample('6650f2a3c1d4e5f6a7b8c9d1')
  id: string;
  /** The version it keeps. */
  @ApiExample('1.0.0')
  version: string;
  /** The setting values it keeps; secret ones that are set show as `***hidden***`. */
  @ApiProperty({ type: 'object', additionalProperties: true, example: { greeting: 'Hello' } })
  config: Record<string, unknown>;
  /** The capabilities granted then. */
  @ApiProperty({ type: 'array', items: GRANT_SCHEMA, example: ['log'] })
  grants: Permission[];
  /** Where that version came from. */
  @ApiProperty({ enum: INSTALLATION_SOURCES, enumName: 'InstallationSource' })
  source: InstallationSource;
  /** When it was kept. */
  @ApiDate()
  created_at: string;

  static from(b: InstallationBackup): InstallationBackupDto {
    const config: Record<string, unknown> = { ...b.config };
    for (const key of Object.keys(b.secrets)) config[key] = SECRET_MASK;
    return {
      id: b.id,
      version: b.version,
      config,
      grants: b.grants,
      source: b.source,
      created_at: b.createdAt.toISOString(),
    };
  }
}

/** What an update or a rollback did. */
@ApiExtraModels(HttpExternalGrantDto)
export class UpdateResultDto {
  /** The plugin key. */
  plugin: string;
  /** The version installed before. */
  @ApiExample('1.0.0')
  old_version: string;
  /** The version asked for (installed now when `completed`). */
  @ApiExample('1.1.0')
  new_version: string;
  /**
   * `completed`: the installation is on the new version. `rolled_back`: the new version did not start, and
   * everything was put back as it was (the previous version runs again); `reason` says why.
   */
  @ApiProperty({ enum: UPDATE_STATUSES, enumName: 'UpdateStatus' })
  status: UpdateStatus;
  /** The plugin's start-up error when it was rolled back; null otherwise. */
  @ApiNullableString()
  reason: string | null;
  /** The backup kept of the previous version (backup_current), or null. */
  @ApiNullableString()
  backup_id: string | null;
  /** Capabilities the new version requests that are not granted: grant them to use them. */
  @ApiProperty({ type: 'array', items: GRANT_SCHEMA, example: [] })
  pending_grants: Permission[];
  /** What was (or would have been) changed: each plugin, from and to which version. */
  plan: InstallPlanDto;
  /** The installation, as it is now. */
  installation: InstallationResponseDto;
  /** Every installation it changed, in activation order (dependencies it added or raised too); empty when rolled back. */
  @ApiProperty({ type: [InstallationResponseDto] })
  installations: InstallationResponseDto[];
  /** When it was done. */
  @ApiDate()
  updated_at: string;
}
