type Json = Record<string, unknown>;

interface Doc {
  components: { schemas?: Record<string, Json> };
  paths: Record<string, Record<string, unknown>>;
}

const REF = '#/components/schemas/';

/** Calls `visit` on every schema below `node` (itself included), depth first. */
function eachSchema(node: unknown, visit: (schema: Json) => void): void {
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const item of node) eachSchema(item, visit);
    return;
  }
  const schema = node as Json;
  visit(schema);
  for (const key of ['items', 'not', 'additionalProperties']) eachSchema(schema[key], visit);
  for (const key of ['allOf', 'anyOf', 'oneOf']) eachSchema(schema[key], visit);
  if (schema.properties) for (const sub of Object.values(schema.properties as Json)) eachSchema(sub, visit);
}

/** The components a set of schemas reaches through `$ref`, transitively, except those in `stop`. */
function reachable(doc: Doc, roots: unknown[], stop: Set<string>): Set<string> {
  const schemas = doc.components.schemas ?? {};
  const found = new Set<string>();
  const queue = [...roots];
  while (queue.length) {
    eachSchema(queue.pop(), (s) => {
      const ref = typeof s.$ref === 'string' && s.$ref.startsWith(REF) ? s.$ref.slice(REF.length) : undefined;
      if (!ref || found.has(ref) || stop.has(ref)) return;
      found.add(ref);
      queue.push(schemas[ref]);
    });
  }
  return found;
}

function mediaSchemas(container: unknown): unknown[] {
  const content = (container as { content?: Record<string, { schema?: unknown }> } | undefined)?.content;
  return Object.values(content ?? {}).map((m) => m.schema);
}

/** Every operation of every path (path-level keys that are not operations are skipped). */
function eachOperation(doc: Doc, visit: (op: Json) => void): void {
  for (const item of Object.values(doc.paths)) {
    for (const op of Object.values(item) as Array<Json | undefined>) if (op && typeof op === 'object') visit(op);
  }
}

/**
 * Request DTOs are closed: the validation pipe refuses unknown properties (`forbidNonWhitelisted`), at every
 * nesting level it validates. Every object component a request body reaches says so with `additionalProperties:
 * false`, derived here so a new DTO needs nothing. Components that define their own `additionalProperties` (maps)
 * keep it; the plugin manifest is the plugin-sdk schema, closed where that schema closes it. A component reached
 * by a request and a response (HttpExternalGrant) is closed in both: the server answers only its fields.
 */
export function closeRequestBodies(doc: Doc, own: Set<string> = new Set(['PluginManifest'])): void {
  const requests: unknown[] = [];
  eachOperation(doc, (op) => requests.push(...mediaSchemas(op.requestBody)));
  const schemas = doc.components.schemas ?? {};
  const isObject = (name: string) => schemas[name]?.type === 'object' || !!schemas[name]?.properties;
  const closed = [...reachable(doc, requests, own)].filter(isObject);
  for (const name of closed) {
    if (!('additionalProperties' in schemas[name])) schemas[name].additionalProperties = false;
  }
}

/** Annotations that stay on a property when its schema is rewritten. */
const ANNOTATIONS = ['description', 'readOnly', 'writeOnly', 'deprecated', 'example', 'default'];

/**
 * `nullable` as OpenAPI 3.0.3 defines it: it only adds null to the `type` beside it, and other keywords keep
 * refusing null. So a nullable reference (`{allOf: [{$ref}], nullable: true}`, which validators refuse for null)
 * becomes `anyOf` of the reference and a null-only schema, and a nullable enum lists null among its values.
 */
export function strictNullables(doc: Doc): void {
  const schemas = doc.components.schemas ?? {};
  const fix = (s: Json): void => {
    if (s.nullable !== true) return;
    const only = Array.isArray(s.allOf) && s.allOf.length === 1 ? (s.allOf[0] as Json) : undefined;
    const ref = typeof s.$ref === 'string' ? s.$ref : typeof only?.$ref === 'string' ? only.$ref : undefined;
    if (ref) {
      const target = schemas[ref.slice(REF.length)];
      const type = typeof target?.type === 'string' ? target.type : 'object';
      for (const key of Object.keys(s)) if (!ANNOTATIONS.includes(key)) delete s[key];
      s.anyOf = [{ $ref: ref }, { type, nullable: true, enum: [null] }];
      return;
    }
    const options = (s.oneOf ?? s.anyOf) as Json[] | undefined;
    if (typeof s.type !== 'string' && Array.isArray(options)) {
      // Without a type beside it nullable means nothing: null becomes one more option of the union. The null
      // option is typed string, so beside a string option a oneOf would read as two options accepting strings
      // (linters refuse that): the union becomes an anyOf, which asks no exclusivity.
      delete s.nullable;
      options.push({ type: 'string', nullable: true, enum: [null] });
      if (s.oneOf && options.some((o) => o.type === 'string' && !Array.isArray(o.enum))) {
        s.anyOf = s.oneOf;
        delete s.oneOf;
      }
      return;
    }
    if (typeof s.type !== 'string') throw new Error(`nullable needs a type beside it: ${JSON.stringify(s)}`);
    // A copy: enum arrays can be shared with other schemas (nest reuses the constant).
    if (Array.isArray(s.enum) && !s.enum.includes(null)) s.enum = [...(s.enum as unknown[]), null];
  };
  eachSchema(Object.values(schemas), fix);
  eachOperation(doc, (op) => {
    for (const p of (op.parameters as Json[] | undefined) ?? []) eachSchema(p.schema, fix);
    eachSchema(mediaSchemas(op.requestBody), fix);
    for (const response of Object.values((op.responses as Json | undefined) ?? {})) {
      eachSchema(mediaSchemas(response), fix);
    }
  });
}

/**
 * A query parameter sent as one comma-separated string but parsed into a list carries, from the Swagger plugin's
 * reading of its property type, the `items` of an array beside `type: string`: strict validators refuse that, and
 * the enum in it describes one element, not the string. A schema that is not an array has no items.
 */
export function noItemsOffArrays(doc: Doc): void {
  const fix = (s: Json) => {
    if (s.items !== undefined && typeof s.type === 'string' && s.type !== 'array') delete s.items;
  };
  eachOperation(doc, (op) => {
    for (const p of (op.parameters as Json[] | undefined) ?? []) eachSchema(p.schema, fix);
  });
}
