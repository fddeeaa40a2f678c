import type { FastifyRequest } from 'fastify';

export interface Paginated<T> {
  count: number;
  /** Only on lists whose count may be a lower bound (`@PaginatedList(item, { boundedCount: true })`). */
  count_relation?: CountRelation;
  next: string | null;
  previous: string | null;
  results: T[];
}

/** `eq`: the count is exact; `gte`: at least that many match (the list stopped counting). */
export type CountRelation = 'eq' | 'gte';

/** Which part of a list a request asks for. */
export interface PageWindow {
  limit: number;
  offset: number;
}

/** The configured default and maximum `limit` (PLUGHUB_PAGE_SIZE / PLUGHUB_MAX_PAGE_SIZE). */
export interface PaginationConfig {
  default: number;
  max: number;
}

/** One page of items and the total they were drawn from, as services return it for a paginated handler. */
export interface Slice<T> {
  count: number;
  /** Set by the lists that may stop counting (see `Paginated.count_relation`). */
  countRelation?: CountRelation;
  items: T[];
}

/**
 * A slice whose items are already serialised: `json` is the JSON array of the page's items, exactly as the page's
 * `results` would serialise them. The page is answered around it without serialising the items again (a list that
 * keeps its built answers, such as the catalog).
 */
export interface SerializedSlice {
  count: number;
  countRelation?: CountRelation;
  json: string;
}

const whole = (v: unknown): number | undefined =>
  typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined;

/**
 * The window a request asks for: the default `limit` when absent, clamped to the maximum; offset 0 when absent.
 * Lenient on purpose: malformed values are refused by the handler's query DTO, which validates them.
 */
export function pageWindow(query: { limit?: unknown; offset?: unknown }, limits: PaginationConfig): PageWindow {
  return {
    limit: Math.min(whole(query.limit) ?? limits.default, limits.max),
    offset: whole(query.offset) ?? 0,
  };
}

/**
 * `proto://host` the client used. Fastify's `host` and `protocol` take X-Forwarded-Host/-Proto only from a trusted
 * proxy (the adapter's `trustProxy`, from PLUGHUB_TRUSTED_PROXIES); from anyone else they are ignored.
 */
export function requestOrigin(request: FastifyRequest): string {
  return `${request.protocol}://${request.host || 'localhost'}`;
}

function absoluteUrl(request: FastifyRequest, params: Record<string, string | undefined>): string {
  const url = new URL(request.url, requestOrigin(request));
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) url.searchParams.delete(key);
    else url.searchParams.set(key, value);
  }
  return url.toString();
}

/**
 * The offset of the page before `offset`, on the client's own grid of pages (offsets `limit` apart). Past the end
 * of the list it is the last page that holds items on that grid (the first page when the list is empty), so
 * `previous` never leads to another empty page.
 */
export function previousOffset(offset: number, limit: number, count: number): number {
  if (count === 0) return 0;
  if (offset < count) return Math.max(0, offset - limit);
  const steps = Math.ceil((offset - count + 1) / limit);
  return Math.max(0, offset - steps * limit);
}

type PageLinks = Pick<Paginated<unknown>, 'next' | 'previous'>;

/** How many pages' links are kept at most; the least recently used go first. */
export const PAGE_LINKS_MAX = 2000;
/** Links of a URL longer than this are built every time (a few such URLs would fill what is kept). */
const PAGE_LINKS_URL_MAX_CHARS = 1024;
/**
 * Links answered before, by all they are built from (window, count, origin, URL): parsing and writing a URL is a
 * visible share of a kept catalog page's CPU, and the same pages are asked for again and again.
 */
const keptLinks = new Map<string, PageLinks>();

function buildLinks(request: FastifyRequest, { limit, offset }: PageWindow, count: number): PageLinks {
  const next =
    offset + limit < count ? absoluteUrl(request, { limit: String(limit), offset: String(offset + limit) }) : null;
  let previous: string | null = null;
  if (offset > 0) {
    const prev = previousOffset(offset, limit, count);
    previous = absoluteUrl(request, { limit: String(limit), offset: prev > 0 ? String(prev) : undefined });
  }
  return { next, previous };
}

function pageLinks(request: FastifyRequest, window: PageWindow, count: number): PageLinks {
  if (request.url.length > PAGE_LINKS_URL_MAX_CHARS) return buildLinks(request, window, count);
  // Numbers first, the origin after the last line feed (a Host header holds none): no two requests share a key.
  const key = `${window.limit} ${window.offset} ${count} ${request.url}\n${requestOrigin(request)}`;
  let links = keptLinks.get(key);
  if (links) {
    keptLinks.delete(key);
  } else {
    links = buildLinks(request, window, count);
    if (keptLinks.size >= PAGE_LINKS_MAX) keptLinks.delete(keptLinks.keys().next().value!);
  }
  keptLinks.set(key, links);
  return links;
}

/** Builds the `{count, next, previous, results}` page with absolute next/previous links. */
export function toPage<T>(request: FastifyRequest, window: PageWindow, count: number, results: T[]): Paginated<T> {
  const { next, previous } = pageLinks(request, window, count);
  return { count, next, previous, results };
}

/**
 * The page of a serialised slice as JSON text, the bytes `toPage` and JSON.stringify would give, with the items'
 * JSON put in as it is.
 */
export function serializedPage(request: FastifyRequest, window: PageWindow, slice: SerializedSlice): string {
  const { count, next, previous } = toPage(request, window, slice.count, []);
  const relation = slice.countRelation === undefined ? '' : `,"count_relation":${JSON.stringify(slice.countRelation)}`;
  return (
    `{"count":${count}${relation},"next":${JSON.stringify(next)},"previous":${JSON.stringify(previous)},` +
    `"results":${slice.json}}`
  );
}

/** Cuts a page out of a list already held in memory (for lists that are small by nature). */
export function sliceOf<T>(items: T[], window: PageWindow): Slice<T> {
  return { count: items.length, items: items.slice(window.offset, window.offset + window.limit) };
}
