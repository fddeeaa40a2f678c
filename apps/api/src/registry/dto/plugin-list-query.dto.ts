import { ApiPropertyOptional } from '@nestjs/swagger';
import { OptionalEnumField, PaginationQueryDto, QueryBoolean, QueryNumber } from '@app/common';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsOptional, IsString, MaxLength } from 'class-validator';
import {
  PLUGIN_MIXINS,
  PLUGIN_ORDERINGS,
  PLUGIN_SCOPES,
  type PluginOrdering,
  type PluginScope,
} from '../registry.entity.js';

export class PluginListQueryDto extends PaginationQueryDto {
  /** Case-insensitive substring of the key, name, description or a tag. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  search?: string;

  /** Only plugins in this category. */
  @IsOptional()
  @IsString()
  @MaxLength(100)
  category?: string;

  /** Only plugins carrying all of these tags (comma-separated). */
  @ApiPropertyOptional({ type: String, description: 'Only plugins carrying all of these tags (comma-separated).' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : value,
  )
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  tags?: string[];

  /** Only plugins whose manifest author is this (case-insensitive). */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  author?: string;

  /** Only plugins with this scope. */
  @OptionalEnumField(PLUGIN_SCOPES, 'PluginScope')
  scope?: PluginScope;

  @QueryBoolean('Only verified (true) or unverified (false) plugins.')
  verified?: boolean;

  @QueryNumber({ min: 0, max: 5, description: 'Only plugins rated at least this (0-5), e.g. `4`, `3.5` or `4e0`.' })
  min_rating?: number;

  @QueryBoolean('Only plugins installed (true) or not installed (false) for you.')
  installed?: boolean;

  @QueryBoolean('Only plugins installed and active (true) or not active (false) for you.')
  active?: boolean;

  @QueryBoolean('Only builtin (true) or non-builtin (false) plugins.')
  builtin?: boolean;

  @QueryBoolean('Only sample (true) or non-sample (false) plugins.')
  sample?: boolean;

  /** Only plugins with this mixin. */
  @OptionalEnumField(PLUGIN_MIXINS, 'PluginMixinName')
  mixin?: string;

  /** Which field to use when ordering the results; defaults to `key`. */
  @OptionalEnumField(PLUGIN_ORDERINGS, 'PluginOrdering')
  ordering?: PluginOrdering;
}
