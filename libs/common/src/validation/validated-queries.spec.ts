import { Transform } from 'class-transformer';
import { IsArray, IsOptional, IsString, MaxLength } from 'class-validator';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error.js';
import { QueryBoolean, QueryInt } from './decorators.js';
import { ValidatedQueries } from './validated-queries.js';
import { PlughubValidationPipe } from './validation.pipe.js';

class ListQuery {
  @QueryInt({ min: 1, max: 100 })
  limit?: number;

  @QueryBoolean()
  verified?: boolean;

  @IsOptional()
  @IsString()
  @MaxLength(5)
  search?: string;

  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.split(',') : value))
  @IsArray()
  @IsString({ each: true })
  tags?: string[];
}

/** The same parameter name as ListQuery's, another type: the text alone must not pick the DTO. */
class TextQuery {
  @IsOptional()
  @IsString()
  limit?: string;
}

type Query = Record<string, string | string[]>;

async function outcome(pipe: PlughubValidationPipe, query: Query, metatype: new () => unknown = ListQuery) {
  try {
    return { dto: await pipe.transform({ ...query }, { type: 'query', metatype }) };
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return { refused: (err as AppError).errors.map((e) => e.field).sort() };
  }
}

describe('validated queries (the pipe keeps what a query string became)', () => {
  it('answers a query asked again from the kept DTO, as a fresh instance with its own lists', async () => {
    const pipe = new PlughubValidationPipe();
    const query = { limit: '5', tags: 'a,b', search: 'abc' };
    const answers: ListQuery[] = [];
    for (let i = 0; i < 3; i++) {
      const dto = (await outcome(pipe, query)).dto as ListQuery;
      expect(dto).toBeInstanceOf(ListQuery);
      expect({ ...dto }).toEqual({ limit: 5, tags: ['a', 'b'], search: 'abc' });
      expect(answers).not.toContain(dto);
      answers.push(dto);
      // Whatever a handler does to its DTO, the next request's is as validated.
      dto.tags!.push('changed');
      dto.limit = 99;
    }
    expect(pipe.queries.size).toBe(1);
  });

  it('keeps no refused query: it is refused again, with the same fields', async () => {
    const pipe = new PlughubValidationPipe();
    for (let i = 0; i < 2; i++) {
      expect(await outcome(pipe, { limit: '0', search: 'too long', verified: 'yes' })).toEqual({
        refused: ['limit', 'search', 'verified'],
      });
    }
    expect(pipe.queries.size).toBe(0);
  });

  it('tells DTO classes apart: the same query text becomes each class its own DTO', async () => {
    const pipe = new PlughubValidationPipe();
    for (let i = 0; i < 2; i++) {
      expect((await outcome(pipe, { limit: '5' })).dto).toEqual(Object.assign(new ListQuery(), { limit: 5 }));
      expect((await outcome(pipe, { limit: '5' }, TextQuery)).dto).toEqual(
        Object.assign(new TextQuery(), { limit: '5' }),
      );
    }
  });

  it('answers what validating the query afresh answers, for any query asked any number of times', async () => {
    const pipe = new PlughubValidationPipe();
    const value = fc.constantFrom('', '0', '1', '5', '100', '101', 'true', 'false', 'abc', 'abcdef', 'a,b', '1e0');
    const query = fc.dictionary(
      fc.constantFrom('limit', 'verified', 'search', 'tags', 'other', 'constructor', '__proto__'),
      fc.oneof(value, fc.array(value, { minLength: 1, maxLength: 2 })),
      { maxKeys: 4 },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(query, { minLength: 1, maxLength: 6 }), async (queries) => {
        for (const q of [...queries, ...queries]) {
          expect(await outcome(pipe, q), JSON.stringify(q)).toEqual(await outcome(new PlughubValidationPipe(), q));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('keeps at most its bound, the least recently used going first', () => {
    const kept = new ValidatedQueries(2);
    const keys = ['a', 'b', 'c'].map((s) => kept.keyOf(ListQuery, { search: s })!);
    kept.keep(keys[0], ListQuery, Object.assign(new ListQuery(), { search: 'a' }));
    kept.keep(keys[1], ListQuery, Object.assign(new ListQuery(), { search: 'b' }));
    expect(kept.get(keys[0], ListQuery)).toEqual({ search: 'a' });
    kept.keep(keys[2], ListQuery, Object.assign(new ListQuery(), { search: 'c' }));
    expect(kept.size).toBe(2);
    expect(kept.get(keys[1], ListQuery)).toBeUndefined();
    expect(kept.get(keys[0], ListQuery)).toEqual({ search: 'a' });
  });

  it('keeps only queries of strings and DTOs of plain fields', () => {
    const kept = new ValidatedQueries();
    expect(kept.keyOf(ListQuery, { limit: 5 })).toBeUndefined();
    expect(kept.keyOf(ListQuery, { tags: [{}] })).toBeUndefined();
    expect(kept.keyOf(ListQuery, { search: 'x'.repeat(5000) })).toBeUndefined();
    const key = kept.keyOf(ListQuery, { search: 'a' })!;
    kept.keep(key, ListQuery, Object.assign(new ListQuery(), { search: { nested: true } }));
    expect(kept.size).toBe(0);
  });
});
