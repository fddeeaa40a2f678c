import { plainToInstance } from 'class-transformer';
import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, MaxLength, validateSync } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { ORG_SLUG_PATTERN } from '../params/path-params.js';
import {
  anyJsonValue,
  OptionalDateTimeField,
  OptionalEnumField,
  OrgRefField,
  PatternField,
} from './fields.decorator.js';

/** The metadata key @nestjs/swagger keeps a property's schema under. */
const API_MODEL_PROPERTIES = 'swagger/apiModelProperties';

class Target {
  @OrgRefField()
  org?: string;

  @OptionalEnumField(['user', 'org', 'global'], 'TargetScope')
  scope?: string;
}

class Range {
  @OptionalDateTimeField('2026-12-01T11:00:00Z')
  start_time?: string;
}

class Required {
  @OrgRefField({ optional: false })
  org: string;

  @PatternField({ pattern: '^[a-z]+$', maxLength: 5, message: 'letters only' })
  word: string;
}

/** What `Required` folds, written out as the DTOs did before. */
class Stacked {
  @ApiProperty({ pattern: ORG_SLUG_PATTERN, maxLength: 50, example: 'acme' })
  @IsString()
  @MaxLength(50)
  @Matches(new RegExp(ORG_SLUG_PATTERN), { message: 'must be an organisation slug or id' })
  org: string;

  @ApiProperty({ pattern: '^[a-z]+$', maxLength: 5 })
  @IsString()
  @MaxLength(5)
  @Matches(/^[a-z]+$/, { message: 'letters only' })
  word: string;
}

/** The constraints that failed, by property. */
function failures(cls: new () => object, plain: Record<string, unknown>): Record<string, string[]> {
  const errors = validateSync(plainToInstance(cls, plain));
  return Object.fromEntries(errors.map((e) => [e.property, Object.keys(e.constraints ?? {})]));
}

describe('field decorators', () => {
  it('accept an organisation slug and a listed value', () => {
    expect(failures(Target, { org: 'acme', scope: 'org' })).toEqual({});
  });

  it('let optional fields be omitted', () => {
    expect(failures(Target, {})).toEqual({});
  });

  it('refuse what does not match, in the order the validators were always declared', () => {
    expect(failures(Target, { org: 'Not A Slug', scope: 'team' })).toEqual({ org: ['matches'], scope: ['isIn'] });
  });

  it('report a value that fails several rules as the stacked decorators it folds did, in the same order', () => {
    const bad = { org: 'Not A Slug Nor Short Enough For Fifty Characters At All', word: 'TooLong1' };
    expect(failures(Required, bad)).toEqual(failures(Stacked, bad));
  });

  it('require a field declared required', () => {
    expect(Object.keys(failures(Required, { word: 'ab' }))).toEqual(['org']);
  });

  it('document the pattern, length and example of an organisation', () => {
    const schema = Reflect.getMetadata(API_MODEL_PROPERTIES, Target.prototype, 'org') as Record<string, unknown>;
    expect(schema).toMatchObject({ required: false, maxLength: 50, example: 'acme' });
  });

  it('document a listed value as its named enum', () => {
    const schema = Reflect.getMetadata(API_MODEL_PROPERTIES, Target.prototype, 'scope') as Record<string, unknown>;
    expect(schema).toMatchObject({ required: false, enum: ['user', 'org', 'global'], enumName: 'TargetScope' });
  });

  it('accept an ISO 8601 instant and refuse another date format', () => {
    expect([
      failures(Range, { start_time: '2026-12-01T11:00:00Z' }),
      failures(Range, { start_time: '01/12/2026' }),
    ]).toEqual([{}, { start_time: ['isDateString'] }]);
  });

  it('give each field holding any JSON value a schema of its own', () => {
    const [a, b] = [anyJsonValue(), anyJsonValue()];
    a.oneOf[0].nullable = false;
    expect(b.oneOf[0]).toMatchObject({ type: 'object', nullable: true });
  });
});
