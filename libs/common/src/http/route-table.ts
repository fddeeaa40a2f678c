const PARAM = Symbol('param');
const REST = Symbol('rest');
type Segment = string | typeof PARAM | typeof REST;

interface Pattern {
  segments: Segment[];
  methods: Set<string>;
}

const segmentsOf = (path: string) => path.replace(/\/+$/, '').split('/').slice(1);

/**
 * The registered routes by path pattern, to tell "no such path" (404) from "no such method on this
 * path" (405 with Allow). Fastify's router answers both with its not-found handler.
 */
export class RouteTable {
  private readonly patterns = new Map<string, Pattern>();

  /** Records a route as Fastify's onRoute hook sees it (`/api/users/:id`, `/api/files/*`). */
  add(methods: string | string[], url: string): void {
    const key = url.replace(/\/+$/, '') || '/';
    let pattern = this.patterns.get(key);
    if (!pattern) {
      // A segment with a parameter anywhere in it (`:id`, `:from-:to`, `:id(^\\d+)`) matches any segment.
      const segments = segmentsOf(url).map((s): Segment => (s === '*' ? REST : s.includes(':') ? PARAM : s));
      pattern = { segments, methods: new Set() };
      this.patterns.set(key, pattern);
    }
    for (const method of Array.isArray(methods) ? methods : [methods]) {
      pattern.methods.add(method.toUpperCase());
      // Fastify answers HEAD on every GET route.
      if (method.toUpperCase() === 'GET') pattern.methods.add('HEAD');
    }
  }

  /** The methods some route serves at this concrete path (query string ignored), sorted; empty for none. */
  allowedFor(url: string): string[] {
    const query = url.indexOf('?');
    const parts = segmentsOf(query === -1 ? url : url.slice(0, query));
    const allowed = new Set<string>();
    for (const { segments, methods } of this.patterns.values()) {
      if (matches(segments, parts)) for (const m of methods) allowed.add(m);
    }
    return [...allowed].sort();
  }
}

function matches(segments: Segment[], parts: string[]): boolean {
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    if (segment === REST) return true;
    if (i >= parts.length) return false;
    if (segment === PARAM ? parts[i] === '' : segment !== parts[i]) return false;
  }
  return segments.length === parts.length;
}
