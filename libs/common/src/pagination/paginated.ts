import { applyDecorators, type Type } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiProperty } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { schemaName } from '../openapi/schema-name.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './pagination-query.dto.js';

export interface Paginated<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

export interface PageWindow {
  limit: number;
  offset: number;
}

let pageLimits = { default: DEFAULT_PAGE_SIZE, max: MAX_PAGE_SIZE };

/** Set once at boot from the validated config. */
export function configurePagination(limits: { default: number; max: number }): void {
  pageLimits = { ...limits };
}

/** Resolves the page window a request asks for: the default when absent, clamped to the maximum. */
export function pageWindow(query: { limit?: number; offset?: number }): PageWindow {
  return {
    limit: Math.min(query.limit ?? pageLimits.default, pageLimits.max),
    offset: query.offset ?? 0,
  };
}

/** `proto://host` the client used, honouring a reverse proxy's X-Forwarded-* headers. */
export function requestOrigin(request: FastifyRequest): string {
  const host = request.headers['x-forwarded-host'] ?? request.headers.host ?? 'localhost';
  const proto = (request.headers['x-forwarded-proto'] as string | undefined)?.split(',')[0] ?? request.protocol;
  return `${proto}://${String(host)}`;
}

function absoluteUrl(request: FastifyRequest, params: Record<string, string | undefined>): string {
  const url = new URL(request.url, requestOrigin(request));
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) url.searchParams.delete(key);
    else url.searchParams.set(key, value);
  }
  return url.toString();
}

/** Builds the `{count, next, previous, results}` page with absolute next/previous links. */
export function toPage<T>(request: FastifyRequest, window: PageWindow, count: number, results: T[]): Paginated<T> {
  const { limit, offset } = window;
  const next =
    offset + limit < count ? absoluteUrl(request, { limit: String(limit), offset: String(offset + limit) }) : null;
  let previous: string | null = null;
  if (offset > 0) {
    const prevOffset = Math.max(0, Math.min(offset, count) - limit);
    previous = absoluteUrl(request, { limit: String(limit), offset: prevOffset > 0 ? String(prevOffset) : undefined });
  }
  return { count, next, previous, results };
}

const pageClasses = new Map<Type, Type>();

/** The `Paginated<Name>List` schema for an item DTO, created once per item type. */
export function paginatedListOf(item: Type): Type {
  let cls = pageClasses.get(item);
  if (cls) return cls;
  class PaginatedList {
    @ApiProperty({ type: 'integer', description: 'Total number of results across all pages.', example: 123 })
    count: number;
    @ApiProperty({
      type: 'string',
      format: 'uri',
      nullable: true,
      description: 'Absolute URL of the next page, or null on the last page.',
    })
    next: string | null;
    @ApiProperty({
      type: 'string',
      format: 'uri',
      nullable: true,
      description: 'Absolute URL of the previous page, or null on the first page.',
    })
    previous: string | null;
    @ApiProperty({ type: () => [item], description: 'The results on this page.' })
    results: unknown[];
  }
  Object.defineProperty(PaginatedList, 'name', { value: `Paginated${schemaName(item.name)}List` });
  pageClasses.set(item, PaginatedList);
  cls = PaginatedList;
  return cls;
}

/** Documents a paginated list response in one line: `@ApiPaginatedResponse(UserResponseDto)`. */
export function ApiPaginatedResponse(item: Type) {
  const page = paginatedListOf(item);
  return applyDecorators(ApiExtraModels(item, page), ApiOkResponse({ type: page }));
}

/** One page of items and the total they were drawn from, as services return it. */
export interface Slice<T> {
  count: number;
  items: T[];
}

/**
 * Controller helper: resolve the window, let the service fetch the slice, map each item to its
 * response DTO and shape the page.
 */
export async function page<T, R = T>(
  request: FastifyRequest,
  query: { limit?: number; offset?: number },
  fetch: (window: PageWindow) => Promise<Slice<T>>,
  map: (item: T) => R = (item) => item as unknown as R,
): Promise<Paginated<R>> {
  const window = pageWindow(query);
  const slice = await fetch(window);
  return toPage(request, window, slice.count, slice.items.map(map));
}

/** Turns `-name` into `{ name: -1 }`; the allowed values are validated by the query DTO. */
export function orderingToSort(ordering: string | undefined, fallback: string, fieldMap: Record<string, string> = {}) {
  const value = ordering ?? fallback;
  const desc = value.startsWith('-');
  const field = desc ? value.slice(1) : value;
  return { [fieldMap[field] ?? field]: desc ? -1 : 1, _id: desc ? -1 : 1 } as Record<string, 1 | -1>;
}
