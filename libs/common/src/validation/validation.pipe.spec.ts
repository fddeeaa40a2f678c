import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsInt,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error.js';
import { NestedObject, QueryBoolean, QueryInt } from './decorators.js';
import { createValidationPipe, MAX_FIELD_ERRORS } from './validation.pipe.js';

class Inner {
  @IsInt()
  @Max(1000)
  batch_size: number;

  @IsOptional()
  @IsString()
  label?: string;
}

class Outer {
  @IsString()
  @MinLength(3)
  @MaxLength(10)
  name: string;

  @NestedObject(() => Inner)
  config: Inner;

  @IsOptional()
  @ValidateNested({ each: true })
  @Type(() => Inner)
  items?: Inner[];

  @IsOptional()
  @IsBoolean()
  active?: boolean;

  /** Nullable by contract, said the way DTOs say it. */
  @ApiPropertyOptional({ type: String, nullable: true })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsString()
  note?: string | null;

  /** Nullable by contract as only the Swagger CLI plugin records it (its static metadata factory). */
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsString()
  homepage?: string | null;

  static _OPENAPI_METADATA_FACTORY() {
    return { homepage: { required: false, type: () => String, nullable: true } };
  }
}

class Query {
  @QueryInt({ min: 1 })
  limit?: number;

  @QueryBoolean()
  active?: boolean;
}

const pipe = createValidationPipe();
const run = (value: unknown, type: 'body' | 'query' = 'body', metatype: new () => unknown = Outer): Promise<unknown> =>
  pipe.transform(value, { type, metatype }) as Promise<unknown>;
const valid = () => ({ name: 'abcd', config: { batch_size: 10 } });

async function refusal(value: unknown, type: 'body' | 'query' = 'body'): Promise<AppError> {
  const err: unknown = await run(value, type).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe('VALIDATION_ERROR');
  return err as AppError;
}

const fields = (err: AppError) => Object.fromEntries(err.errors.map((e) => [e.field, e.message]));

describe('the global validation pipe', () => {
  it('reports every bad field once, nested ones with dotted paths, and unknown fields', async () => {
    const err = await refusal({ name: 'x', config: { batch_size: 5000, extra: 1 }, rogue: true });
    expect(err.errors.map((e) => e.field).sort()).toEqual(['config.batch_size', 'config.extra', 'name', 'rogue']);
    expect(fields(err)['config.batch_size']).toContain('1000');
  });

  it('passes a valid body through as an instance, nullable fields set to null included', async () => {
    const ok = await run({ ...valid(), note: null, homepage: null });
    expect(ok).toBeInstanceOf(Outer);
    expect(ok).toMatchObject({ note: null, homepage: null });
  });

  it('says "is required" once for an absent required field, whatever rules it has', async () => {
    const err = await refusal({ config: {} });
    expect(fields(err)).toEqual({ name: 'is required', 'config.batch_size': 'is required' });
  });

  it('treats an absent body as an empty object, so its required fields are reported', async () => {
    expect(fields(await refusal(undefined))).toEqual({ name: 'is required', config: 'is required' });
  });

  it('refuses null on every field the contract does not mark nullable, at any depth', async () => {
    const err = await refusal({
      name: null,
      config: { batch_size: 1, label: null },
      items: [{ batch_size: 2 }, { batch_size: null }, null],
      active: null,
    });
    expect(fields(err)).toEqual({
      name: 'must not be null',
      'config.label': 'must not be null',
      'items.1.batch_size': 'must not be null',
      'items.2': 'must not be null',
      active: 'must not be null',
    });
    expect(fields(await refusal({ ...valid(), config: null }))).toEqual({ config: 'must not be null' });
  });

  it('refuses the names Nest’s pipe drops without a word (constructor, __proto__, prototype), at any depth', async () => {
    // JSON.parse makes `__proto__` an own key, as a request body parser does.
    const body = JSON.parse(
      '{"name":"abcd","config":{"batch_size":1,"constructor":{"x":1},"prototype":0},' +
        '"items":[{"batch_size":2},{"batch_size":3,"__proto__":{"y":2}}]}',
    ) as unknown;
    const err = await refusal(body);
    expect(err.errors.map((e) => e.field).sort()).toEqual([
      'config.constructor',
      'config.prototype',
      'items.1.__proto__',
    ]);
    expect(
      fields(await refusal(JSON.parse('{"name":"abcd","config":{"batch_size":1},"constructor":1}'))),
    ).toHaveProperty('constructor');
  });

  it('refuses anything but one JSON object where a nested object is declared (arrays, even empty, included)', async () => {
    for (const config of [[], [{}], [{ batch_size: 10 }], 'text', 42, true]) {
      const err = await refusal({ ...valid(), config });
      expect(err.errors.map((e) => e.field)).toEqual(['config']); // once, not again for what is inside
    }
    await expect(run(valid())).resolves.toMatchObject({ config: { batch_size: 10 } });
  });

  it('refuses a body that is not a JSON object', async () => {
    for (const body of [null, [], [valid()], 'text', 42, true]) {
      const err = await refusal(body);
      expect(err.details.reason).toBe('body_not_object');
    }
  });

  it('lists at most MAX_FIELD_ERRORS errors and counts the rest, refusing a flood of unknown keys early', async () => {
    const flood = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, 1]));
    const err = await refusal({ ...valid(), ...flood });
    expect(err.errors).toHaveLength(MAX_FIELD_ERRORS);
    expect(err.details.omitted_errors).toBe(5000 - MAX_FIELD_ERRORS);
    expect(err.errors[0]).toEqual({ field: 'k0', message: 'is not an allowed property' });
  });

  it('still converts and checks query strings', async () => {
    await expect(run({ limit: '5' }, 'query', Query)).resolves.toEqual({ limit: 5 });
    const huge: unknown = await run({ limit: '99999999999999999999' }, 'query', Query).catch((e: unknown) => e);
    expect((huge as AppError).errors.map((e) => e.field)).toEqual(['limit']);
    await expect(run({ active: 'false' }, 'query', Query)).resolves.toEqual({ active: false });
    for (const active of ['1', '0', 'yes', '', ['true', 'true']]) {
      const err: unknown = await run({ active }, 'query', Query).catch((e: unknown) => e);
      expect(
        (err as AppError).errors.map((e) => e.field),
        JSON.stringify(active),
      ).toEqual(['active']);
    }
    const err: unknown = await run({ limit: '0' }, 'query', Query).catch((e: unknown) => e);
    expect((err as AppError).errors.map((e) => e.field)).toEqual(['limit']);
  });

  it('never lets a null through to an optional, non-nullable field, whatever else the body holds', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.subarray(['name', 'active', 'items', 'config'] as const, { minLength: 1 }),
        fc.boolean(),
        async (nulled, withNote) => {
          const body: Record<string, unknown> = { ...valid(), ...(withNote ? { note: null } : {}) };
          for (const key of nulled) body[key] = null;
          const err = await refusal(body);
          expect(Object.keys(fields(err)).sort()).toEqual([...nulled].sort());
        },
      ),
      { numRuns: 30 },
    );
  });
});
