import { ApiExtraModels, ApiProperty } from '@nestjs/swagger';
import type { PlanStep, Requirer, ResolvedPlan } from '../dependency-resolver.js';
import type { Permission } from '../installation.entity.js';
import { GRANT_SCHEMA, HttpExternalGrantDto } from './grant.dto.js';
import { InstallationResponseDto } from './installation-response.dto.js';
import { ApiNullableString } from '@app/common';

export const PLAN_ACTIONS = ['install', 'upgrade', 'keep'] as const;
export const REQUIRER_KINDS = ['request', 'plugin', 'installed'] as const;
export const WARNING_CODES = ['deprecated', 'yanked'] as const;

/** Who asks for a version range. */
export class PlanRequirerDto {
  /** `request` (your install), `plugin` (a plugin of the plan) or `installed` (one already installed here). */
  @ApiProperty({ enum: REQUIRER_KINDS, enumName: 'PlanRequirerKind' })
  kind: Requirer['kind'];
  /** The requiring plugin (not for `request`). */
  @ApiProperty({ required: false })
  plugin?: string;
  /** Its version (not for `request`). */
  @ApiProperty({ required: false })
  version?: string;
}

/** A version range on a plugin and who requires it. */
export class PlanRequirementDto {
  /** The semver range (or the requested tag or version). */
  range: string;
  /** Who requires it. */
  by: PlanRequirerDto;
}

/** Something to show next to a plan step. */
export class PlanWarningDto {
  /** `deprecated` or `yanked`. */
  @ApiProperty({ enum: WARNING_CODES, enumName: 'PlanWarningCode' })
  code: 'deprecated' | 'yanked';
  /** A sentence naming the plugin and version. */
  message: string;
}

/** One plugin of an install plan, in activation order (dependencies first, the requested plugin last). */
@ApiExtraModels(HttpExternalGrantDto)
export class PlanStepDto {
  /** The plugin key. */
  plugin: string;
  /** The version installed here now, or null. */
  @ApiNullableString()
  from_version: string | null;
  /** The version the plan installs or keeps. */
  to_version: string;
  /** install (new here), upgrade (installed, moves to to_version) or keep (installed, stays). */
  @ApiProperty({ enum: PLAN_ACTIONS, enumName: 'PlanAction' })
  action: PlanStep['action'];
  /** The capabilities that version requests. */
  @ApiProperty({ type: 'array', items: GRANT_SCHEMA })
  capabilities: Permission[];
  /** That version's dependencies: plugin key → semver range. */
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } })
  dependencies: Record<string, string>;
  /** Every range on this plugin and who requires it. */
  @ApiProperty({ type: [PlanRequirementDto] })
  required_by: PlanRequirementDto[];
  /** Warnings about that version (deprecated, yanked). */
  @ApiProperty({ type: [PlanWarningDto] })
  warnings: PlanWarningDto[];
}

/** A warning of the plan, with the plugin and version it is about. */
export class PlanStepWarningDto extends PlanWarningDto {
  /** The plugin key. */
  plugin: string;
  /** The version. */
  version: string;
}

/** What an install does: each plugin, from which version to which, with what it requests. */
export class InstallPlanDto {
  /** The requested plugin. */
  plugin: string;
  /** The version of it the plan installs. */
  version: string;
  /** The steps, in activation order. */
  @ApiProperty({ type: [PlanStepDto] })
  steps: PlanStepDto[];
  /** Every step's warnings (a deprecated version is chosen only when nothing else fits). */
  @ApiProperty({ type: [PlanStepWarningDto] })
  warnings: PlanStepWarningDto[];

  static from(plan: ResolvedPlan): InstallPlanDto {
    return {
      plugin: plan.key,
      version: plan.version,
      steps: plan.steps.map((s) => ({
        plugin: s.key,
        from_version: s.from,
        to_version: s.to,
        action: s.action,
        capabilities: s.capabilities,
        dependencies: s.dependencies,
        required_by: s.requiredBy.map((r) => ({
          range: r.range,
          by:
            r.by.kind === 'request'
              ? { kind: 'request' }
              : { kind: r.by.kind, plugin: r.by.key, version: r.by.version },
        })),
        warnings: s.warnings.map((w) => ({ code: w.code, message: w.message })),
      })),
      warnings: plan.warnings.map((w) => ({ code: w.code, message: w.message, plugin: w.key, version: w.version })),
    };
  }
}

/** The answer of an install: the plan, and (unless dry_run) the installation and every one it changed. */
export class InstallResultDto {
  /** True when nothing was changed (the request's dry_run). */
  dry_run: boolean;
  /** The plan that was (or would be) carried out. */
  plan: InstallPlanDto;
  /** The requested plugin's installation (absent for a dry run). */
  @ApiProperty({ type: InstallationResponseDto, required: false })
  installation?: InstallationResponseDto;
  /** Every installation created or changed, in activation order (empty for a dry run). */
  @ApiProperty({ type: [InstallationResponseDto] })
  installations: InstallationResponseDto[];

  static dryRun(plan: ResolvedPlan): InstallResultDto {
    return { dry_run: true, plan: InstallPlanDto.from(plan), installations: [] };
  }

  static done(plan: ResolvedPlan, root: InstallationResponseDto, all: InstallationResponseDto[]): InstallResultDto {
    return { dry_run: false, plan: InstallPlanDto.from(plan), installation: root, installations: all };
  }
}
