import {
  applyDecorators,
  createParamDecorator,
  type ExecutionContext,
  Inject,
  Injectable,
  type PipeTransform,
  type Type,
} from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { ApiExtraModels, ApiOkResponse, ApiProperty } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
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

/** The request's window from the configured limits, taken once per request (`@Paging()`). */
@Injectable()
export class PageWindowPipe implements PipeTransform<WithWindow, PageWindow> {
  constructor(@Inject(PAGINATION_CONFIG) private readonly limits: PaginationConfig) {}

  transform(request: WithWindow): PageWindow {
    return (request[WINDOW] ??= pageWindow(request.query ?? {}, this.limits));
  }
}

const requestParam = createParamDecorator((_data: unknown, ctx: ExecutionContext) =>
  ctx.switchToHttp().getRequest<WithWindow>(),
);
/** The reply, in a holder: a Fastify reply is a thenable (of the response's end), which Nest's pipes would await. */
const replyParam = createParamDecorator((_data: unknown, ctx: ExecutionContext) => ({
  reply: ctx.switchToHttp().getResponse<FastifyReply>(),
}));

/** The page window of a `@PaginatedList` handler: `list(@Query() q: XQueryDto, @Paging() window: PageWindow)`. */
export const Paging = (): ParameterDecorator => requestParam(undefined, PageWindowPipe);

/**
 * The `{count, next, previous, results}` page of what a paginated handler returned, with links built from the
 * request. A `SerializedSlice` is answered as JSON text around its items' JSON, which is not serialised again.
 */
export function pageAnswer(
  request: FastifyRequest,
  reply: FastifyReply,
  window: PageWindow,
  slice: Slice<unknown> | SerializedSlice,
): unknown {
  if ('json' in slice) {
    reply.type('application/json; charset=utf-8');
    return serializedPage(request, window, slice);
  }
  const page = toPage(request, window, slice.count, slice.items);
  if (slice.countRelation === undefined) return page;
  const { count, ...rest } = page;
  return { count, count_relation: slice.countRelation, ...rest };
}

type RouteArgs = Record<string, { index: number; pipes?: unknown[] }>;

/**
 * Makes the handler answer its slice as a page: the handler is wrapped, given the reply as a last argument of
 * its own (a parameter it does not declare), and the page is built from the slice it returns. Not an interceptor:
 * Nest runs every handler that has one through an rxjs chain per request (rxjs alone was 4.5% of a kept catalog page's
 * server CPU); a handler without is a plain call. The handler's metadata goes with it to the wrapper, so the
 * decorators applied before this one (the Swagger plugin's) still describe it.
 */
function answersPages(): MethodDecorator {
  return (target, key, descriptor) => {
    const handler = descriptor.value as unknown as (...args: unknown[]) => unknown;
    const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, target.constructor, key) ?? {}) as RouteArgs;
    if (!Object.values(args).some((a) => a.pipes?.includes(PageWindowPipe))) {
      throw new Error(`@PaginatedList() on ${String(key)} needs a @Paging() parameter`);
    }
    const declared = (Reflect.getMetadata('design:paramtypes', target, key) as unknown[] | undefined)?.length ?? 0;
    const index = Math.max(declared, ...Object.values(args).map((a) => a.index + 1));
    replyParam()(target, key, index);
    const answer = async function (this: unknown, ...params: unknown[]): Promise<unknown> {
      const { reply } = params[index] as { reply: FastifyReply };
      const request = reply.request as WithWindow;
      const slice = (await handler.apply(this, params.slice(0, index))) as Slice<unknown> | SerializedSlice;
      return pageAnswer(request, reply, request[WINDOW]!, slice);
    };
    for (const name of Reflect.getOwnMetadataKeys(handler)) {
      Reflect.defineMetadata(name, Reflect.getOwnMetadata(name, handler), answer);
    }
    Object.defineProperty(answer, 'name', { value: handler.name });
    (descriptor as PropertyDescriptor).value = answer;
  };
}

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
 * A paginated list handler in one line: documents the `Paginated<Name>List` response and answers the handler's
 * slice as that page (answersPages). The handler returns a `Slice` of item DTOs (or a `SerializedSlice`); take the
 * window with `@Paging()`.
 */
export function PaginatedList(item: Type, options: PaginatedListOptions = {}) {
  const page = paginatedListOf(item, options);
  return applyDecorators(answersPages(), ApiExtraModels(item, page), ApiOkResponse({ type: page }));
}
