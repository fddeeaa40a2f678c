/** How many validated queries one pipe keeps at most; the least recently used goes first. */
export const VALIDATED_QUERIES_MAX = 1000;
/** A query whose JSON text is longer than this is validated every time (a few would fill the cache). */
export const VALIDATED_QUERY_MAX_CHARS = 2048;

type Plain = string | number | boolean | null | undefined;

interface Kept {
  type: object;
  proto: object | null;
  fields: Array<[string, Plain | Plain[]]>;
}

const isPlain = (v: unknown): v is Plain => v === null || (typeof v !== 'object' && typeof v !== 'function');

/**
 * Query strings that passed the validation pipe, by DTO class and the parsed query's JSON text, with the DTO they
 * became: the catalog's pages are asked again and again with the same few hundred queries, and class-transformer
 * and class-validator cost more per request than the kept page they lead to. Query DTOs depend on their query
 * alone (their transforms and rules read nothing else), so the same text always becomes the same DTO.
 *
 * Only queries as a query-string parser gives them are kept (every value a string or a list of strings, so the
 * JSON text tells them apart), and only DTOs whose own fields are plain values or lists of them. A hit answers a
 * fresh copy (its own instance and lists), so a handler that changes its DTO changes no other request's. A refused
 * query is never kept: it is validated, and refused, again.
 */
export class ValidatedQueries {
  private readonly entries = new Map<string, Kept>();
  private readonly ids = new WeakMap<object, number>();
  private nextId = 0;

  constructor(private readonly max = VALIDATED_QUERIES_MAX) {}

  get size(): number {
    return this.entries.size;
  }

  /** The cache key of `query` for DTO class `type`, or undefined for a query that is not kept. */
  keyOf(type: object, query: Record<string, unknown>): string | undefined {
    for (const key in query) {
      const value = query[key];
      if (typeof value !== 'string' && !(Array.isArray(value) && value.every((v) => typeof v === 'string'))) {
        return undefined;
      }
    }
    const text = JSON.stringify(query);
    if (text.length > VALIDATED_QUERY_MAX_CHARS) return undefined;
    let id = this.ids.get(type);
    if (id === undefined) this.ids.set(type, (id = this.nextId++));
    return `${id}:${text}`;
  }

  /** A copy of the DTO the query under `key` became, or undefined when none is kept. */
  get(key: string, type: object): object | undefined {
    const kept = this.entries.get(key);
    if (kept?.type !== type) return undefined;
    this.entries.delete(key);
    this.entries.set(key, kept);
    return copyOf(kept);
  }

  /** Keeps what the query under `key` became, when its fields are all plain values or lists of them. */
  keep(key: string, type: object, dto: unknown): void {
    if (typeof dto !== 'object' || dto === null) return;
    const fields: Kept['fields'] = [];
    for (const name of Reflect.ownKeys(dto)) {
      const field = Object.getOwnPropertyDescriptor(dto, name)!;
      if (typeof name !== 'string' || name === '__proto__' || !field.enumerable || !field.writable) return;
      const value: unknown = field.value;
      if (Array.isArray(value) ? !value.every(isPlain) : !isPlain(value)) return;
      fields.push([name, Array.isArray(value) ? [...(value as Plain[])] : (value as Plain)]);
    }
    this.entries.delete(key);
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { type, proto: Object.getPrototypeOf(dto) as object | null, fields });
  }
}

function copyOf(kept: Kept): object {
  const copy = Object.create(kept.proto) as Record<string, unknown>;
  for (const [name, value] of kept.fields) copy[name] = Array.isArray(value) ? [...value] : value;
  return copy;
}
