import { ApiProperty } from '@nestjs/swagger';
import { ApiDate, ApiNullableString, ReadOnlyField, ReadOnlyInt, ReadOnlyNullableDate, wireFields } from '@app/common';
import type { RegistryError, ReloadReport } from '../runtime-reconciler.js';

export const REGISTRY_ERROR_STAGES = ['manifest', 'config', 'startup', 'placement', 'recovery', 'runtime'] as const;

/** One problem of loading, checking or starting an installation. */
export class PluginRegistryErrorDto {
  /** manifest (the package), config (settings, secrets), startup (onInit), recovery (after a crash), runtime. */
  @ApiProperty({ enum: REGISTRY_ERROR_STAGES, enumName: 'PluginRegistryErrorStage' })
  stage: RegistryError['stage'];
  /** The plugin key. */
  name: string;
  /** What went wrong. */
  message: string;
  /** The installation, or null. */
  @ApiNullableString()
  installation_id: string | null;
  /** When it was recorded. */
  @ApiDate()
  at: string;

  static from(e: RegistryError): PluginRegistryErrorDto {
    return wireFields(e, 'stage', 'name', 'message', 'installationId', 'at');
  }
}

/** The runtime's state on the node that answers (InvenTree's plugin registry status). */
export class PluginRegistryStatusDto {
  /** Installations running on this node. */
  @ReadOnlyInt()
  active_plugins: number;
  /** Problems since the last reload that went without one (newest last). */
  @ApiProperty({ type: [PluginRegistryErrorDto], readOnly: true })
  registry_errors: PluginRegistryErrorDto[];
  /** A reload, or the start-up load, is running. */
  @ReadOnlyField()
  reload_in_progress: boolean;
  /** When the last reload (or the start-up load) ended, or null. */
  @ReadOnlyNullableDate()
  last_reload_at: string | null;
}

/** What a reload did. */
export class PluginReloadResultDto extends PluginRegistryStatusDto {
  /** Installations started (or restarted). */
  @ReadOnlyInt()
  loaded: number;
  /** Instances stopped because nothing wants them any more. */
  @ReadOnlyInt()
  stopped: number;
  /** Installations that failed to start. */
  @ReadOnlyInt()
  failed: number;
  /** Shipped plugin versions registered now (collect_plugins). */
  @ApiProperty({ type: [String], readOnly: true })
  collected: string[];

  static of(report: ReloadReport, status: PluginRegistryStatusDto): PluginReloadResultDto {
    return { ...status, ...report };
  }
}
