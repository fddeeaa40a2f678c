import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { lastValueFrom, of } from 'rxjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SerializedSlice, Slice } from './paginated.js';
import { PaginationInterceptor, paginatedListOf } from './pagination.interceptor.js';

const LIMITS = { default: 20, max: 100 };
// @nestjs/swagger's key for a class's documented properties (its constants are not exported).
const PROPERTIES = 'swagger/apiModelPropertiesArray';

function pageOf(slice: Slice<unknown> | SerializedSlice, query: Record<string, string> = { limit: '2' }) {
  const search = new URLSearchParams(query).toString();
  const request = { url: `/api/x/?${search}`, protocol: 'http', host: 'api.test', query };
  const types: string[] = [];
  const reply = { type: (t: string) => types.push(t) };
  const context = {
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => reply }),
  } as unknown as ExecutionContext;
  const next: CallHandler<Slice<unknown> | SerializedSlice> = { handle: () => of(slice) };
  return lastValueFrom(new PaginationInterceptor(LIMITS).intercept(context, next)).then((page) => ({ page, types }));
}

class ItemDto {}

describe('PaginationInterceptor', () => {
  it('adds count_relation after count only when the slice says how its count relates', async () => {
    const { page: bounded } = await pageOf({ count: 10_001, countRelation: 'gte', items: [1, 2] });
    expect(Object.keys(bounded as object)).toEqual(['count', 'count_relation', 'next', 'previous', 'results']);
    expect(bounded).toMatchObject({ count: 10_001, count_relation: 'gte', results: [1, 2] });
    const { page: plain } = await pageOf({ count: 2, items: [1, 2] });
    expect(Object.keys(plain as object)).toEqual(['count', 'next', 'previous', 'results']);
  });

  it('answers a serialised slice as the JSON text of the page its items would make, as JSON', async () => {
    // Both sides serialise the same item values (a __proto__ key or -0 comes out alike); the window and count
    // cover the first page, middle pages and offsets past the end.
    const items = fc.array(fc.jsonValue(), { maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(
        items,
        fc.nat({ max: 50 }),
        fc.nat({ max: 60 }),
        fc.integer({ min: 1, max: 10 }),
        fc.constantFrom(undefined, 'eq' as const, 'gte' as const),
        async (results, count, offset, limit, countRelation) => {
          const query = { limit: String(limit), offset: String(offset) };
          const slice = countRelation === undefined ? { count } : { count, countRelation };
          const { page: built } = await pageOf({ ...slice, items: results }, query);
          const { page: text, types } = await pageOf({ ...slice, json: JSON.stringify(results) }, query);
          expect(text).toBe(JSON.stringify(built));
          expect(types).toEqual(['application/json; charset=utf-8']);
        },
      ),
    );
  });

  it('documents count_relation on the bounded list only, a schema of its own', () => {
    const props = (cls: object) =>
      (Reflect.getMetadata(PROPERTIES, (cls as { prototype: object }).prototype) as string[])
        .map((p) => p.slice(1))
        .sort();
    const plain = paginatedListOf(ItemDto);
    const bounded = paginatedListOf(ItemDto, { boundedCount: true });
    expect([plain.name, bounded.name]).toEqual(['PaginatedItemList', 'PaginatedItemBoundedList']);
    expect(props(plain)).toEqual(['count', 'next', 'previous', 'results']);
    expect(props(bounded)).toEqual(['count', 'count_relation', 'next', 'previous', 'results']);
    expect(paginatedListOf(ItemDto, { boundedCount: true })).toBe(bounded);
  });
});
