import { HTTP_METHODS, type EndpointDeclaration, type HttpMethod } from './manifest.types.js';

/** The longest request path `matchEndpoint` looks at; longer ones match nothing. */
export const MAX_REQUEST_PATH_LENGTH = 2048;

export type EndpointMatch =
  | { endpoint: EndpointDeclaration; params: Record<string, string> }
  | { error: 'not_found' }
  /** The path is declared, not for this method; `allow` lists the methods it is declared for (the Allow header). */
  | { error: 'method_not_allowed'; allow: HttpMethod[] };

interface CompiledRoute {
  endpoint: EndpointDeclaration;
  /** Static segments as text, parameters as `{ param }`. */
  segments: Array<string | { param: string }>;
}

const compiled = new WeakMap<readonly EndpointDeclaration[], CompiledRoute[]>();

function compile(endpoints: readonly EndpointDeclaration[]): CompiledRoute[] {
  let routes = compiled.get(endpoints);
  if (!routes) {
    routes = endpoints.map((endpoint) => ({
      endpoint,
      segments: endpoint.path.split('/').map((s) => (s.startsWith(':') ? { param: s.slice(1) } : s)),
    }));
    compiled.set(endpoints, routes);
  }
  return routes;
}

/** Splits a request path into decoded segments, or undefined when no declared route could match it. */
function requestSegments(path: string): string[] | undefined {
  if (path.length > MAX_REQUEST_PATH_LENGTH) return undefined;
  let trimmed = path.startsWith('/') ? path.slice(1) : path;
  if (trimmed.endsWith('/')) trimmed = trimmed.slice(0, -1); // `/api/x/` and `/api/x` route alike
  if (trimmed === '') return undefined;
  const segments: string[] = [];
  for (const raw of trimmed.split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return undefined; // malformed percent-encoding
    }
    if (raw === '' || segment === '.' || segment === '..') return undefined;
    segments.push(segment);
  }
  return segments;
}

/** The parameters when `route` matches `segments`; a `%2F` inside a segment stays inside its parameter. */
function bind(route: CompiledRoute, segments: string[]): Record<string, string> | undefined {
  if (route.segments.length !== segments.length) return undefined;
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  for (let i = 0; i < segments.length; i++) {
    const want = route.segments[i];
    if (typeof want === 'string') {
      if (want !== segments[i]) return undefined;
    } else params[want.param] = segments[i];
  }
  return params;
}

/** More specific first: at the first segment where two routes differ in kind, the static one wins. */
function specificity(a: CompiledRoute, b: CompiledRoute): number {
  for (let i = 0; i < a.segments.length; i++) {
    const aStatic = typeof a.segments[i] === 'string';
    const bStatic = typeof b.segments[i] === 'string';
    if (aStatic !== bStatic) return aStatic ? -1 : 1;
  }
  return 0;
}

/**
 * The declared endpoint serving `method path`, with its parameters. `path` is the part after
 * `/api/plugins/{plugin}/endpoints/`, as sent (percent-encoded; a leading or trailing slash is ignored); segments
 * are decoded one by one and compared case-sensitively. Among the routes matching the path, the most specific one
 * declaring the method wins (`users/me` before `users/:id`); a path declared only for other methods is
 * `method_not_allowed` with those methods, anything else (`..`, empty segments, bad encoding) `not_found`.
 */
export function matchEndpoint(endpoints: readonly EndpointDeclaration[], method: string, path: string): EndpointMatch {
  const segments = requestSegments(path);
  if (!segments) return { error: 'not_found' };
  const verb = method.toUpperCase();
  const candidates: Array<{ route: CompiledRoute; params: Record<string, string> }> = [];
  for (const route of compile(endpoints)) {
    const params = bind(route, segments);
    if (params) candidates.push({ route, params });
  }
  if (candidates.length === 0) return { error: 'not_found' };
  candidates.sort((a, b) => specificity(a.route, b.route));
  const hit = candidates.find((c) => (c.route.endpoint.methods as readonly string[]).includes(verb));
  if (hit) return { endpoint: hit.route.endpoint, params: { ...hit.params } };
  const declared = new Set(candidates.flatMap((c) => c.route.endpoint.methods));
  return { error: 'method_not_allowed', allow: HTTP_METHODS.filter((m) => declared.has(m)) };
}

/** The shape of a route, parameters unnamed: `users/:id` and `users/:uid` are the same route. */
export function routeShape(path: string): string {
  return path
    .split('/')
    .map((s) => (s.startsWith(':') ? ':' : s))
    .join('/');
}
