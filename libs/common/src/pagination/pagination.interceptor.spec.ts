import 'reflect-metadata';
import { Get } from '@nestjs/common';
import { PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PageWindow, SerializedSlice, Slice } from './paginated.js';
import { pageAnswer, PageWindowPipe, PaginatedList, paginatedListOf, Paging } from './pagination.interceptor.js';

const LIMITS = { default: 20, max: 100 };
// @nestjs/swagger's key for a class's documented properties (its constants are not exported).
const PROPERTIES = 'swagger/apiModelPropertiesArray';

function http(query: Record<string, string>) {
  const search = new URLSearchParams(query).toString();
  const request = { url: `/api/x/?${search}`, protocol: 'http', host: 'api.test', query } as unknown as FastifyRequest;
  const types: string[] = [];
  const reply = { request, type: (t: string) => types.push(t) } as unknown as FastifyReply;
  return { request, reply, types };
}

function pageOf(slice: Slice<unknown> | SerializedSlice, query: Record<string, string> = { limit: '2' }) {
  const { request, reply, types } = http(query);
  const window = new PageWindowPipe(LIMITS).transform(request);
  return { page: pageAnswer(request, reply, window, slice), types };
}

class ItemDto {}

describe('pageAnswer', () => {
  it('adds count_relation after count only when the slice says how its count relates', () => {
    const { page: bounded } = pageOf({ count: 10_001, countRelation: 'gte', items: [1, 2] });
    expect(Object.keys(bounded as object)).toEqual(['count', 'count_relation', 'next', 'previous', 'results']);
    expect(bounded).toMatchObject({ count: 10_001, count_relation: 'gte', results: [1, 2] });
    const { page: plain } = pageOf({ count: 2, items: [1, 2] });
    expect(Object.keys(plain as object)).toEqual(['count', 'next', 'previous', 'results']);
  });

  it('answers a serialised slice as the JSON text of the page its items would make, as JSON', () => {
    // Both sides serialise the same item values (a __proto__ key or -0 comes out alike); the window and count
    // cover the first page, middle pages and offsets past the end.
    const items = fc.array(fc.jsonValue(), { maxLength: 4 });
    fc.assert(
      fc.property(
        items,
        fc.nat({ max: 50 }),
        fc.nat({ max: 60 }),
        fc.integer({ min: 1, max: 10 }),
        fc.constantFrom(undefined, 'eq' as const, 'gte' as const),
        (results, count, offset, limit, countRelation) => {
          const query = { limit: String(limit), offset: String(offset) };
          const slice = countRelation === undefined ? { count } : { count, countRelation };
          const { page: built } = pageOf({ ...slice, items: results }, query);
          const { page: text, types } = pageOf({ ...slice, json: JSON.stringify(results) }, query);
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

/** Marks a handler as a decorator applied before @PaginatedList would (the Swagger plugin's, below it). */
const Marked = (): MethodDecorator => (_t, _k, d) => Reflect.defineMetadata('test:mark', 'kept', d.value as object);

class Lists {
  @Get('items')
  @PaginatedList(ItemDto)
  @Marked()
  list(tag: string, @Paging() window: PageWindow): Promise<Slice<string>> {
    return Promise.resolve({ count: 5, items: [tag, String(window.limit), String(window.offset)] });
  }
}

describe('PaginatedList', () => {
  const handler = Lists.prototype.list as unknown as (...args: unknown[]) => Promise<unknown>;
  const args = Reflect.getMetadata(ROUTE_ARGS_METADATA, Lists, 'list') as Record<string, { index: number }>;

  it('answers the slice the handler returns as its page, the handler getting only its own arguments', async () => {
    const { request, reply } = http({ limit: '2', offset: '2' });
    const window = new PageWindowPipe(LIMITS).transform(request);
    // Nest passes one argument more than the handler declares: the reply, which the wrapper takes off.
    expect(Math.max(...Object.values(args).map((a) => a.index))).toBe(2);
    await expect(handler.call(new Lists(), 'a', window, { reply })).resolves.toEqual({
      count: 5,
      next: 'http://api.test/api/x/?limit=2&offset=4',
      previous: 'http://api.test/api/x/?limit=2',
      results: ['a', '2', '2'],
    });
  });

  it('keeps the handler’s name and the metadata put on it before (routes, Swagger)', () => {
    expect(handler.name).toBe('list');
    expect(Reflect.getMetadata('test:mark', handler)).toBe('kept');
    expect(Reflect.getMetadata(PATH_METADATA, handler)).toBe('items');
  });

  it('takes the window once per request, from the configured limits', () => {
    const { request } = http({ limit: '500' });
    const pipe = new PageWindowPipe(LIMITS);
    const window = pipe.transform(request);
    expect(window).toEqual({ limit: 100, offset: 0 });
    expect(new PageWindowPipe({ default: 5, max: 10 }).transform(request)).toBe(window);
  });

  it('refuses a handler without @Paging(), when the class is declared', () => {
    expect(() => {
      class NoWindow {
        @PaginatedList(ItemDto)
        list(): Promise<Slice<string>> {
          return Promise.resolve({ count: 0, items: [] });
        }
      }
      return NoWindow;
    }).toThrow(/needs a @Paging\(\) parameter/);
  });
});
