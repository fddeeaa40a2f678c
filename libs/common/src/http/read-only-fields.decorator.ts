import type { Type } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';

// Response-field decorators: the `@ApiProperty` options a response DTO's fields repeat most, under one name each,
// like `@ApiResponseProperty` but keeping the options in the order the contract was built with (the schema's keys
// follow it). Each passes exactly the options its comment shows; the field's description stays its doc comment and
// its required-ness the `?` (the Swagger CLI plugin reads both). A field whose options are not one of these keeps
// its own `@ApiProperty({...})`.

type Example = string | number | boolean;

/** `{ readOnly: true }`, or `{ readOnly: true, example }`. */
export function ReadOnlyField(example?: Example) {
  return ApiProperty(example === undefined ? { readOnly: true } : { readOnly: true, example });
}

/** `{ type: 'integer', readOnly: true }`. */
export function ReadOnlyInt() {
  return ApiProperty({ type: 'integer', readOnly: true });
}

/** `{ type: 'integer', nullable: true, readOnly: true }`. */
export function ReadOnlyNullableInt() {
  return ApiProperty({ type: 'integer', nullable: true, readOnly: true });
}

/** `{ type: Number, nullable: true, readOnly: true }`. */
export function ReadOnlyNullableNumber() {
  return ApiProperty({ type: Number, nullable: true, readOnly: true });
}

/** `{ type: String, nullable: true, readOnly: true }`. */
export function ReadOnlyNullableString() {
  return ApiProperty({ type: String, nullable: true, readOnly: true });
}

/** `{ format: 'date-time', readOnly: true }`: an instant, ISO 8601. */
export function ReadOnlyDate() {
  return ApiProperty({ format: 'date-time', readOnly: true });
}

/** `{ type: String, format: 'date-time', nullable: true, readOnly: true }`. */
export function ReadOnlyNullableDate() {
  return ApiProperty({ type: String, format: 'date-time', nullable: true, readOnly: true });
}

/** `{ type: dto, readOnly: true }`: a nested response object. */
export function ReadOnlyDto(dto: Type<unknown>) {
  return ApiProperty({ type: dto, readOnly: true });
}

// The same for fields documented without `readOnly` (older response DTOs, and request fields whose validators stand
// beside them: these only document, they never validate).

/** `{ example }`. */
export function ApiExample(example: Example) {
  return ApiProperty({ example });
}

/** `{ type: 'integer' }`. */
export function ApiInt() {
  return ApiProperty({ type: 'integer' });
}

/** `{ format: 'date-time' }`. */
export function ApiDate() {
  return ApiProperty({ format: 'date-time' });
}

/** `{ type: String, nullable: true }`. */
export function ApiNullableString() {
  return ApiProperty({ type: String, nullable: true });
}

/** `{ type: String, format: 'date-time', nullable: true }`. */
export function ApiNullableDate() {
  return ApiProperty({ type: String, format: 'date-time', nullable: true });
}
