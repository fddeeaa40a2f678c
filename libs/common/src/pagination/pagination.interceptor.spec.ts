import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { lastValueFrom, of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Slice } from './paginated.js';
import { PaginationInterceptor, paginatedListOf } from './pagination.interceptor.js';

const LIMITS = { default: 20, max: 100 };
// @nestjs/swagger's key for a class's documented properties (its constants are not exported).
const PROPERTIES = 'swagger/apiModelPropertiesArray';

function pageOf(slice: Slice<number>): Promise<unknown> {
  const request = { url: '/api/x/?limit=2', protocol: 'http', host: 'api.test', query: { limit: '2' } };
  const context = { switchToHttp: () => ({ getRequest: () => request }) } as unknown as ExecutionContext;
  const next: CallHandler<Slice<number>> = { handle: () => of(slice) };
  return lastValueFrom(new PaginationInterceptor(LIMITS).intercept(context, next));
}

class ItemDto {}

describe('PaginationInterceptor', () => {
  it('adds count_relation after count only when the slice says how its count relates', async () => {
    const bounded = await pageOf({ count: 10_001, countRelation: 'gte', items: [1, 2] });
    expect(Object.keys(bounded as object)).toEqual(['count', 'count_relation', 'next', 'previous', 'results']);
    expect(bounded).toMatchObject({ count: 10_001, count_relation: 'gte', results: [1, 2] });
    const plain = await pageOf({ count: 2, items: [1, 2] });
    expect(Object.keys(plain as object)).toEqual(['count', 'next', 'previous', 'results']);
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
