import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDateString, IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { ORG_SLUG_PATTERN } from '../params/path-params.js';

// Field decorators for request DTOs: each documents a field in the contract and validates it, from one declaration.
// The field's description stays its doc comment (the Swagger CLI plugin reads it); `?` on the property and
// `optional` here say the same thing. Inside, the decorators are listed in the reverse of how they would be stacked
// on the property (applyDecorators applies its first one first, a stack its last one first), so validators run, and
// report, in the order they always have.

export interface PatternFieldOptions {
  /** The regular expression the value must match, as the contract's `pattern`. */
  pattern: string;
  maxLength: number;
  /** What a value that does not match is told (the field error's message). */
  message: string;
  example?: string;
  /** May be omitted (default: required). */
  optional?: boolean;
}

/** A string that must match a pattern: `@PatternField({ pattern: PLUGIN_KEY_PATTERN, maxLength: 100, … })`. */
export function PatternField({ pattern, maxLength, message, example, optional = false }: PatternFieldOptions) {
  const doc = example === undefined ? { pattern, maxLength } : { pattern, maxLength, example };
  return applyDecorators(
    Matches(new RegExp(pattern), { message }),
    MaxLength(maxLength),
    IsString(),
    ...(optional ? [IsOptional(), ApiPropertyOptional(doc)] : [ApiProperty(doc)]),
  );
}

/** An organisation, by slug or id (the §4 `org` parameter); optional unless `{ optional: false }`. */
export function OrgRefField({ optional = true }: { optional?: boolean } = {}) {
  return PatternField({
    pattern: ORG_SLUG_PATTERN,
    maxLength: 50,
    message: 'must be an organisation slug or id',
    example: 'acme',
    optional,
  });
}

/** An optional value out of a fixed list, documented as the named enum schema `enumName`. */
export function OptionalEnumField(values: readonly string[], enumName: string) {
  return applyDecorators(IsIn(values), IsOptional(), ApiPropertyOptional({ enum: values, enumName }));
}

/** An optional instant, ISO 8601 (strict): a query's `start_time` or `end_time`. */
export function OptionalDateTimeField(example: string) {
  return applyDecorators(
    IsDateString({ strict: true }),
    IsOptional(),
    ApiPropertyOptional({ format: 'date-time', example }),
  );
}

/**
 * The schema of a field that holds any JSON value, for `@ApiProperty({ ...anyJsonValue(), example })`. Null is carried
 * by one branch: OpenAPI 3.0 allows `nullable` only beside a `type`. A new object each call: Swagger keeps what it
 * is given.
 */
export function anyJsonValue() {
  return {
    oneOf: [
      { type: 'object' as const, additionalProperties: true, nullable: true },
      { type: 'array' as const, items: {} },
      { type: 'string' as const },
      { type: 'number' as const },
      { type: 'boolean' as const },
    ],
  };
}
