import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';

/**
 * Query-string booleans: `true` and `false`, as the contract's `type: boolean` says; anything else
 * (`1`, `yes`, `maybe`) stays a string and fails `IsBoolean`, so it is a validation error rather
 * than silently true or false.
 */
export function QueryBoolean(description?: string) {
  return applyDecorators(
    ApiPropertyOptional({ type: Boolean, description }),
    IsOptional(),
    Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value)),
    IsBoolean(),
  );
}

/**
 * Query-string integers within bounds; a non-numeric value is reported, never coerced to NaN or 0,
 * and so is one beyond 2^53 (it would reach the database as an imprecise double).
 */
export function QueryInt(options: { min?: number; max?: number; description?: string; default?: number } = {}) {
  const decorators = [
    ApiPropertyOptional({
      type: 'integer',
      minimum: options.min,
      maximum: options.max,
      description: options.description,
      default: options.default,
    }),
    IsOptional(),
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' && /^-?\d+$/.test(value) && Number.isSafeInteger(Number(value)) ? Number(value) : value,
    ),
    IsInt(),
  ];
  if (options.min !== undefined) decorators.push(Min(options.min));
  if (options.max !== undefined) decorators.push(Max(options.max));
  return applyDecorators(...decorators);
}

/** An integer body field with bounds, documented and validated from one declaration. */
export function BodyInt(options: { min?: number; max?: number; description?: string; optional?: boolean } = {}) {
  const doc = {
    type: 'integer' as const,
    minimum: options.min,
    maximum: options.max,
    description: options.description,
  };
  const decorators = [options.optional ? ApiPropertyOptional(doc) : ApiProperty(doc), IsInt()];
  if (options.optional) decorators.push(IsOptional());
  if (options.min !== undefined) decorators.push(Min(options.min));
  if (options.max !== undefined) decorators.push(Max(options.max));
  return applyDecorators(...decorators);
}
