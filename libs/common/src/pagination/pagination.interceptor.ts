import {
  applyDecorators,
  type CallHandler,
  createParamDecorator,
  type ExecutionContext,
  Inject,
  Injectable,
  type NestInterceptor,
  type Type,
  UseInterceptors,
} from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiProperty } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { map, type Observable } from 'rxjs';
import { schemaName } from '../openapi/schema-name.js';
import {
  type CountRelation,
  type PageWindow,
  pageWindow,
  type PaginationConfig,
  type SerializedSlice,
  serializedPage,
  type Slice,
  toPage,
} from './paginated.js';

/** Injection token of the pagination limits (provided by the app's config module). */
export const PAGINATION_CONFIG = Symbol('PAGINATION_CONFIG');

const WINDOW = Symbol('plughub:page-window');
type WithWindow = FastifyRequest & { [WINDOW]?: PageWindow };

/**
 * Turns the `Slice<T>` a paginated handler returns into the `{count, next, previous, results}` page, with links
 * built from the request; it also resolves the request's window (`@Paging()`) from the configured limits. A
 * `SerializedSlice` is answered as JSON text around its items' JSON, which is not serialised again.
 */
@Injectable()
export class PaginationInterceptor implements NestInterceptor {
  constructor(@Inject(PAGINATION_CONFIG) private readonly limits: PaginationConfig) {}

  intercept(context: ExecutionContext, next: CallHandler<Slice<unknown> | SerializedSlice>): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<WithWindow>();
    const window = pageWindow(request.query ?? {}, this.limits);
    request[WINDOW] = window;
    return next.handle().pipe(
      map((slice) => {
        if ('json' in slice) {
          http.getResponse<FastifyReply>().type('application/json; charset=utf-8');
          return serializedPage(request, window, slice);
        }
        const page = toPage(request, window, slice.count, slice.items);
        if (slice.countRelation === undefined) return page;
        const { count, ...rest } = page;
        return { count, count_relation: slice.countRelation, ...rest };
      }),
    );
  }
}

/** The page window of a `@PaginatedList` handler: `list(@Query() q: XQueryDto, @Paging() window: PageWindow)`. */
export const Paging = createParamDecorator((_data: unknown, ctx: ExecutionContext): PageWindow => {
  const window = ctx.switchToHttp().getRequest<WithWindow>()[WINDOW];
  if (!window) throw new Error('@Paging() needs a handler decorated with @PaginatedList()');
  return window;
});

const pageClasses = new Map<Type, Type>();
const boundedPageClasses = new Map<Type, Type>();

/** What a list may add to the page envelope. */
export interface PaginatedListOptions {
  /**
   * The count may be a lower bound (a search that stops counting): the page says which with `count_relation`,
   * and its schema is `Paginated<Name>BoundedList`.
   */
  boundedCount?: boolean;
}

/** The `Paginated<Name>List` schema for an item DTO, created once per item type. */
export function paginatedListOf(item: Type, options: PaginatedListOptions = {}): Type {
  if (options.boundedCount) return boundedListOf(item);
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

/** The page of a list whose count may be a lower bound: `count_relation` says whether it is exact. */
function boundedListOf(item: Type): Type {
  let cls = boundedPageClasses.get(item);
  if (cls) return cls;
  class PaginatedBoundedList extends paginatedListOf(item) {
    @ApiProperty({
      enum: ['eq', 'gte'],
      enumName: 'CountRelation',
      description: '`eq`: `count` is the exact number of results; `gte`: at least `count` results match.',
      example: 'eq',
    })
    count_relation: CountRelation;
  }
  Object.defineProperty(PaginatedBoundedList, 'name', { value: `Paginated${schemaName(item.name)}BoundedList` });
  boundedPageClasses.set(item, PaginatedBoundedList);
  cls = PaginatedBoundedList;
  return cls;
}

/**
 * A paginated list handler in one line: documents the `Paginated<Name>List` response and installs the
 * interceptor. The handler returns a `Slice` of item DTOs; take the window with `@Paging()`.
 */
export function PaginatedList(item: Type, options: PaginatedListOptions = {}) {
  const page = paginatedListOf(item, options);
  return applyDecorators(
    UseInterceptors(PaginationInterceptor),
    ApiExtraModels(item, page),
    ApiOkResponse({ type: page }),
  );
}
