import { ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  MaxLength,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { BodyExamples, OptionalEnumField } from '@app/common';
import { PLUGIN_SCOPES, type PluginScope } from '../registry.entity.js';

/**
 * Listing fields a plugin's managers may change. They are taken from the manifest again whenever a newer
 * version becomes the one the catalog shows.
 */
@BodyExamples({
  listing: {
    summary: 'Reword the listing',
    value: { description: 'Greets whoever sends it a message.', tags: ['example', 'greeting'] },
  },
})
export class PatchedPluginDto {
  /** Display name. */
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name?: string;

  /** What the plugin does. */
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(2000)
  description?: string;

  /** Category (lower-case letters, digits and dashes), or null. */
  @ApiPropertyOptional({ type: String, nullable: true })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @Matches(/^[a-z0-9][a-z0-9-]{0,49}$/, { message: 'must be 1-50 lower-case letters, digits or dashes' })
  category?: string | null;

  /** Tags. */
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(50, { each: true })
  tags?: string[];

  /** Homepage URL, or null. */
  @ApiPropertyOptional({ type: String, nullable: true })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  homepage?: string | null;

  /** Source repository URL, or null. */
  @ApiPropertyOptional({ type: String, nullable: true })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  repository?: string | null;

  /** Visibility. Org scope needs an organisation owner; org and public scope need the publisher role. */
  @OptionalEnumField(PLUGIN_SCOPES, 'PluginScope')
  scope?: PluginScope;
}
