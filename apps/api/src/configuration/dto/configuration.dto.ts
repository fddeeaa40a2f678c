import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { QueryBoolean } from '@app/common';
import { choiceEntries, type SettingDefinition, type SettingType } from '@app/plugin-sdk';
import { IsIn, IsOptional } from 'class-validator';
import { jsonValueOptions, SettingChoiceDto } from './setting.dto.js';
import { InstallationTargetQueryDto } from '../../installation/dto/installation-query.dto.js';
import type { ConfigView, ConfigWriteOutcome } from '../configuration.service.js';

/** The setting values of a PUT or PATCH: setting key → value; a secret's value may be `***hidden***` (kept). */
export const CONFIG_BODY_SCHEMA = {
  type: 'object' as const,
  maxProperties: 100,
  additionalProperties: true,
  example: { batch_size: 200, api_key: '***hidden***' },
};

/** POST …/config/validate/: the target, and whether the body is checked as a PUT (default) or a PATCH. */
export class ConfigValidateQueryDto extends InstallationTargetQueryDto {
  /** `replace` checks the body as PUT would (the whole configuration, default), `merge` as PATCH would. */
  @ApiPropertyOptional({ enum: ['replace', 'merge'] })
  @IsOptional()
  @IsIn(['replace', 'merge'])
  mode?: 'replace' | 'merge';
}

/** GET …/config/: the target, and what to add to the answer. */
export class ConfigQueryDto extends InstallationTargetQueryDto {
  @QueryBoolean('Add `schema`: the definition of each setting, from the manifest (default false).')
  include_schema?: boolean;

  @QueryBoolean(
    'Show secret settings in clear (platform administrators only: 403 for anyone else; every such read is in the ' +
      'audit log). Default false.',
  )
  include_secrets?: boolean;
}

const SETTING_TYPES: SettingType[] = ['string', 'integer', 'number', 'boolean', 'choice', 'json'];

/** One setting's definition, as the manifest declares it (choices always as `{value, display_name}`). */
export class SettingDefinitionDto {
  /** Its type: how its value is read and checked. */
  @ApiProperty({ enum: SETTING_TYPES, enumName: 'SettingType' })
  type: SettingType;
  name?: string;
  description?: string;
  /** The value that applies until one is set (never on a secret). */
  @ApiPropertyOptional({ oneOf: jsonValueOptions(), example: 50 })
  default?: unknown;
  /** Inclusive bounds of an integer or number setting. */
  min?: number;
  max?: number;
  @ApiPropertyOptional({ type: [SettingChoiceDto] })
  choices?: SettingChoiceDto[];
  /** A regular expression the whole value of a string setting must match. */
  pattern?: string;
  required?: boolean;
  secret?: boolean;
  units?: string;
  restart_required?: boolean;

  static from(def: SettingDefinition): SettingDefinitionDto {
    const dto: SettingDefinitionDto = { type: def.type };
    for (const field of ['name', 'description', 'min', 'max', 'pattern', 'units'] as const) {
      if (def[field] !== undefined) (dto as unknown as Record<string, unknown>)[field] = def[field];
    }
    for (const field of ['required', 'secret', 'restart_required'] as const) {
      if (def[field] !== undefined) dto[field] = def[field];
    }
    if (def.default !== undefined) dto.default = def.default;
    if (def.choices !== undefined) dto.choices = choiceEntries(def);
    return dto;
  }
}

/** An installation's settings: plain values in clear, secrets that are set as `***hidden***`. */
@ApiExtraModels(SettingDefinitionDto)
export class ConfigurationDto {
  /** Setting key → value; a secret that is set shows `***hidden***`, one that is not is absent. */
  @ApiProperty({ type: 'object', additionalProperties: true, example: { batch_size: 100, api_key: '***hidden***' } })
  configuration: Record<string, unknown>;
  /** The plugin's secret settings: write-only, never shown. */
  @ApiProperty({ type: [String], example: ['api_key'] })
  secure_fields: string[];
  @ApiProperty({ type: String, format: 'date-time' })
  updated_at: string;
  /** With include_schema: setting key → its definition, in manifest order. */
  @ApiPropertyOptional({ type: 'object', additionalProperties: { $ref: getSchemaPath(SettingDefinitionDto) } })
  schema?: Record<string, SettingDefinitionDto>;

  static from(view: ConfigView): ConfigurationDto {
    const dto: ConfigurationDto = {
      configuration: view.configuration,
      secure_fields: view.secureFields,
      updated_at: view.updatedAt.toISOString(),
    };
    if (view.schema) {
      dto.schema = Object.fromEntries(Object.entries(view.schema).map(([k, d]) => [k, SettingDefinitionDto.from(d)]));
    }
    return dto;
  }
}

/** The answer of PUT, PATCH and validate: the settings after, and what the write changes. */
export class ConfigWriteResultDto extends ConfigurationDto {
  /** The settings whose value changed (a secret written counts, its value is never compared or shown). */
  @ApiProperty({ type: [String], example: ['batch_size', 'api_key'] })
  updated_fields: string[];
  /** Whether a changed setting reaches the plugin only at its next start (the others are live at once). */
  @ApiProperty()
  restart_required: boolean;

  static fromWrite(outcome: ConfigWriteOutcome): ConfigWriteResultDto {
    return {
      ...ConfigurationDto.from(outcome),
      updated_fields: outcome.updatedFields,
      restart_required: outcome.restartRequired.length > 0,
    };
  }
}
