import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ApiExample, BodyExamples, PaginationQueryDto, QueryBoolean } from '@app/common';
import { PLUGIN_KEY_PATTERN, type SettingType } from '@app/plugin-sdk';
import { IsOptional, IsString, Matches, MaxLength, ValidateBy } from 'class-validator';
import { TARGET_SCOPES, type TargetScope } from '../../auth/auth.entity.js';
import type { SettingView } from '../settings-view.js';

const SETTING_TYPES: SettingType[] = ['string', 'integer', 'number', 'boolean', 'choice', 'json'];

/**
 * Any JSON value but null, as a `oneOf` (a setting's value; `nullable: true` beside it adds null). A fresh list
 * each time: the contract's finalizer appends the null option in place.
 */
export const jsonValueOptions = (): Array<Record<string, unknown>> => [
  { type: 'object', additionalProperties: true },
  { type: 'array', items: {} },
  { type: 'string' },
  { type: 'number' },
  { type: 'boolean' },
];

/** GET /api/plugins/settings/: every setting of the caller's installations, filtered. */
export class PluginSettingsQueryDto extends PaginationQueryDto {
  @QueryBoolean('Only settings of installations that are active (true) or not (false).')
  plugin__active?: boolean;

  /** Only settings of this plugin. */
  @ApiPropertyOptional({ pattern: PLUGIN_KEY_PATTERN, maxLength: 100, example: 'acme.tuned' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @Matches(new RegExp(PLUGIN_KEY_PATTERN), { message: 'must be a plugin key' })
  plugin__key?: string;
}

/** One allowed value of a choice setting and its label. */
export class SettingChoiceDto {
  @ApiProperty({ oneOf: [{ type: 'string' }, { type: 'number' }], example: 'eu' })
  value: string | number;
  @ApiExample('Europe')
  display_name: string;
}

/** One setting of an installation (InvenTree's PluginSetting): its definition and its value. */
export class PluginSettingDto {
  /** The setting's key in the manifest. */
  @ApiExample('batch_size')
  key: string;
  /** Its value (the default when not set); a secret that is set shows `***hidden***`; null when there is none. */
  @ApiProperty({ oneOf: jsonValueOptions(), nullable: true, example: 100 })
  value: unknown;
  /** Its label (the key when the manifest gives none). */
  @ApiExample('Batch size')
  name: string;
  @ApiExample('Records per run')
  description: string;
  /** Its type: how its value is read and checked. */
  @ApiProperty({ enum: SETTING_TYPES, enumName: 'SettingType' })
  type: SettingType;
  /** The allowed values of a choice setting (empty for the other types). */
  @ApiProperty({ type: [SettingChoiceDto] })
  choices: SettingChoiceDto[];
  /** Display unit ('' when none). */
  @ApiExample('records')
  units: string;
  required: boolean;
  /** Write-only: its value is never shown. */
  secret: boolean;
  /** Whether it has a value of its own (false: the default applies, or nothing). */
  has_value: boolean;
  /** A change reaches the running plugin only at its next start. */
  restart_required: boolean;
  /** The plugin key. */
  @ApiExample('acme.tuned')
  plugin: string;
  /** The installation it belongs to. */
  @ApiExample('6750a1b2c3d4e5f601234567')
  installation: string;
  /** Whose installation it is. */
  @ApiProperty({ enum: TARGET_SCOPES, enumName: 'TargetScope' })
  scope: TargetScope;

  static from(view: SettingView): PluginSettingDto {
    return {
      key: view.key,
      value: view.value,
      name: view.definition.name ?? view.key,
      description: view.definition.description ?? '',
      type: view.definition.type,
      choices: view.choices,
      units: view.definition.units ?? '',
      required: view.definition.required === true,
      secret: view.definition.secret === true,
      has_value: view.hasValue,
      restart_required: view.definition.restart_required === true,
      plugin: view.pluginKey,
      installation: view.installationId,
      scope: view.scope,
    };
  }
}

/** PUT/PATCH …/settings/{key}/: the new value (null: back to the default; a secret's `***hidden***` keeps it). */
@BodyExamples({
  set: { summary: 'Set the value', value: { value: 200 } },
  reset: { summary: 'Back to the default', value: { value: null } },
})
export class SettingValueDto {
  /** Any JSON the setting's type accepts; required, null included. */
  @ApiProperty({ oneOf: jsonValueOptions(), nullable: true, example: 200 })
  @ValidateBy({
    name: 'isGiven',
    validator: {
      validate: (v: unknown) => v !== undefined,
      defaultMessage: () => 'is required (null puts the default back)',
    },
  })
  value: unknown;
}
