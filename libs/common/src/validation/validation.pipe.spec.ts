import { Type } from 'class-transformer';
import { IsInt, IsString, Max, MinLength, ValidateNested } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error.js';
import { createValidationPipe } from './validation.pipe.js';

class Inner {
  @IsInt()
  @Max(1000)
  batch_size: number;
}

class Outer {
  @IsString()
  @MinLength(3)
  name: string;

  @ValidateNested()
  @Type(() => Inner)
  config: Inner;
}

describe('the global validation pipe', () => {
  const pipe = createValidationPipe();
  const run = (value: unknown): Promise<unknown> => pipe.transform(value, { type: 'body', metatype: Outer });

  it('reports every bad field once, nested ones with dotted paths, and unknown fields', async () => {
    const err = await run({ name: 'x', config: { batch_size: 5000, extra: 1 }, rogue: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    const { code, errors } = err as AppError;
    expect(code).toBe('VALIDATION_ERROR');
    expect(errors.map((e) => e.field).sort()).toEqual(['config.batch_size', 'config.extra', 'name', 'rogue']);
    expect(errors.find((e) => e.field === 'config.batch_size')!.message).toContain('1000');
  });

  it('passes a valid body through as an instance', async () => {
    const ok = await run({ name: 'abc', config: { batch_size: 10 } });
    expect(ok).toBeInstanceOf(Outer);
  });
});
