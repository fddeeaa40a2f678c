import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
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

/** An installation's settings: plain values in clear, secrets that are set as `***hidden***`. */
export class ConfigurationDto {
  /** Setting key → value; a secret that is set shows `***hidden***`, one that is not is absent. */
  @ApiProperty({ type: 'object', additionalProperties: true, example: { batch_size: 100, api_key: '***hidden***' } })
  configuration: Record<string, unknown>;
  /** The plugin's secret settings: write-only, never shown. */
  @ApiProperty({ type: [String], example: ['api_key'] })
  secure_fields: string[];
  @ApiProperty({ type: String, format: 'date-time' })
  updated_at: string;

  static from(view: ConfigView): ConfigurationDto {
    return {
      configuration: view.configuration,
      secure_fields: view.secureFields,
      updated_at: view.updatedAt.toISOString(),
    };
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
