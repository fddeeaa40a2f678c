import { ApiProperty } from '@nestjs/swagger';
import { describe, expect, it } from 'vitest';
import {
  ApiDate,
  ApiExample,
  ApiInt,
  ApiNullableDate,
  ApiNullableString,
  ReadOnlyDate,
  ReadOnlyDto,
  ReadOnlyField,
  ReadOnlyInt,
  ReadOnlyNullableDate,
  ReadOnlyNullableInt,
  ReadOnlyNullableNumber,
  ReadOnlyNullableString,
} from './read-only-fields.decorator.js';

/** The metadata key @nestjs/swagger keeps a property's schema under. */
const API_MODEL_PROPERTIES = 'swagger/apiModelProperties';

class Nested {
  @ReadOnlyField()
  id: string;
}

class Folded {
  @ReadOnlyField()
  a: string;
  @ReadOnlyField('acme.orders')
  b: string;
  @ReadOnlyField(25.5)
  c: number;
  @ReadOnlyInt()
  d: number;
  @ReadOnlyNullableInt()
  e: number | null;
  @ReadOnlyNullableNumber()
  f: number | null;
  @ReadOnlyNullableString()
  g: string | null;
  @ReadOnlyDate()
  h: string;
  @ReadOnlyNullableDate()
  i: string | null;
  @ReadOnlyDto(Nested)
  j: Nested;
  @ApiExample('1.0.0')
  k: string;
  @ApiInt()
  l: number;
  @ApiDate()
  m: string;
  @ApiNullableString()
  n: string | null;
  @ApiNullableDate()
  o: string | null;
}

/** What `Folded` stands for, written out as the DTOs did before. */
class Written {
  @ApiProperty({ readOnly: true })
  a: string;
  @ApiProperty({ readOnly: true, example: 'acme.orders' })
  b: string;
  @ApiProperty({ readOnly: true, example: 25.5 })
  c: number;
  @ApiProperty({ type: 'integer', readOnly: true })
  d: number;
  @ApiProperty({ type: 'integer', nullable: true, readOnly: true })
  e: number | null;
  @ApiProperty({ type: Number, nullable: true, readOnly: true })
  f: number | null;
  @ApiProperty({ type: String, nullable: true, readOnly: true })
  g: string | null;
  @ApiProperty({ format: 'date-time', readOnly: true })
  h: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, readOnly: true })
  i: string | null;
  @ApiProperty({ type: Nested, readOnly: true })
  j: Nested;
  @ApiProperty({ example: '1.0.0' })
  k: string;
  @ApiProperty({ type: 'integer' })
  l: number;
  @ApiProperty({ format: 'date-time' })
  m: string;
  @ApiProperty({ type: String, nullable: true })
  n: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  o: string | null;
}

const FIELDS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o'] as const;

/** A property's swagger metadata as JSON: key order included, since the contract's schema keys follow it. */
function metadata(target: object, field: string): string {
  return JSON.stringify(Reflect.getMetadata(API_MODEL_PROPERTIES, target, field), (_key, value: unknown) =>
    typeof value === 'function' ? `fn:${(value as { name: string }).name}` : value,
  );
}

describe('response field decorators', () => {
  it.each(FIELDS)('field %s gets the metadata of the @ApiProperty it stands for, key order included', (field) => {
    expect(metadata(Folded.prototype, field)).toBe(metadata(Written.prototype, field));
  });

  it('leaves the example out when none is given (no `example: undefined` key)', () => {
    const options = Reflect.getMetadata(API_MODEL_PROPERTIES, Folded.prototype, 'a') as object;
    expect(Object.keys(options)).not.toContain('example');
  });
});
