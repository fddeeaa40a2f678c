import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsInt, IsNumber, IsObject, IsOptional, Max, Min, ValidateNested } from 'class-validator';

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
 * A query-string number as JSON Schema reads one: JSON's number grammar (`3`, `-0.5`, `1e0`, `2.5E+1`), so a
 * client or fuzzer that serialises the contract's `type: number` any valid way is understood.
 */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** The number a query string spells in JSON's grammar (finite), else the value unchanged for the validators. */
export function queryNumber(value: unknown): unknown {
  if (typeof value !== 'string' || !JSON_NUMBER.test(value)) return value;
  const n = Number(value);
  return Number.isFinite(n) ? n : value;
}

/**
 * Query-string integers within bounds; a non-numeric value is reported, never coerced to NaN or 0. Any JSON
 * spelling of an integer counts (`10`, `1e1`, `10.0`: JSON Schema's `integer` is a number without a fraction);
 * one beyond 2^53 is reported too (it would reach the database as an imprecise double).
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
    Transform(({ value }: { value: unknown }) => {
      const n = queryNumber(value);
      return typeof n === 'number' && !Number.isSafeInteger(n) ? value : n;
    }),
    IsInt(),
  ];
  if (options.min !== undefined) decorators.push(Min(options.min));
  if (options.max !== undefined) decorators.push(Max(options.max));
  return applyDecorators(...decorators);
}

/** Query-string numbers within bounds, in any JSON spelling (see `queryNumber`), documented and validated at once. */
export function QueryNumber(options: { min?: number; max?: number; description?: string } = {}) {
  const decorators = [
    ApiPropertyOptional({
      type: 'number',
      minimum: options.min,
      maximum: options.max,
      description: options.description,
    }),
    IsOptional(),
    Transform(({ value }: { value: unknown }) => queryNumber(value)),
    IsNumber(),
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

/**
 * A body field holding one object of a DTO class. `@ValidateNested()` alone validates each element of an array
 * and passes an empty one, so `[]` and `[{}]` would reach the service as the object: `@IsObject()` refuses any
 * value that is not a plain JSON object (arrays included) as a validation error of that field.
 */
export function NestedObject(type: NonNullable<Parameters<typeof Type>[0]>) {
  return applyDecorators(IsObject(), ValidateNested(), Type(type));
}
