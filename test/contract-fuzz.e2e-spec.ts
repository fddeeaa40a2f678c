/**
 * A spec-driven negative test. It walks openapi/openapi.json, so an operation added later is covered
 * without touching this file: for every operation and every body, query and path field it sends
 * null, the wrong type, out-of-range, over-long, deeply nested, odd-text and unknown-field values
 * (each kind once, then random ones from fast-check), and checks that
 *
 * - nothing answers 5xx, and every error is the envelope with a catalogue code and its status;
 * - a request the contract makes invalid (checked with the contract's own schemas, bodies closed to
 *   unknown fields as the server closes them) is refused with a 4xx;
 * - a refused request stored nothing (a fingerprint of every stored document, before and after);
 * - every answer is valid against the contract.
 *
 * FUZZ_RUNS sets the random cases per operation (default 8) on top of the fixed ones.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, ERROR_STATUS, type ErrorCode } from '@app/common';
import { ADMIN, useTestApp } from './support/app.js';
import { rawFingerprint } from './support/raw-db.js';
import { checkResponse, operations, spec, type SpecOperation } from './support/spec.js';

type Json = Record<string, unknown>;
type Schema = Json;

const SCHEMAS = (spec.components as Json).schemas as Record<string, Schema>;
const PATHS = spec.paths as Record<string, Json>;

const RUNS = Number(process.env.FUZZ_RUNS ?? 8);
/** Limits the contract documents for every operation (the 400 and 414 descriptions). */
const MAX_DEPTH = 32;
const MAX_PATH_PARAM = 100;

// ---- the contract's schemas ----------------------------------------------------------------------------

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Follows `$ref` and the single-member `allOf` the generator wraps refs in, keeping the outer keywords. */
function resolve(schema: unknown): Schema {
  let node: Json = isObject(schema) ? schema : {};
  for (let i = 0; i < 10; i++) {
    if (typeof node.$ref === 'string') {
      const { $ref, ...rest } = node;
      node = { ...rest, ...SCHEMAS[String($ref).split('/').pop()!] };
    } else if (Array.isArray(node.allOf) && node.allOf.length === 1) {
      const { allOf, ...rest } = node;
      node = { ...rest, ...resolve(allOf[0]) };
    } else break;
  }
  return node;
}

const typeOf = (s: Schema): string | undefined =>
  typeof s.type === 'string' ? s.type : Array.isArray(s.enum) ? typeof s.enum[0] : undefined;
const isFreeForm = (s: Schema) => typeOf(s) === 'object' && !isObject(s.properties);

/**
 * OpenAPI 3.0 → JSON Schema for checking requests: `nullable` becomes a null alternative, refs are
 * inlined, and an object with declared properties is closed to others, as the server's DTOs are.
 */
function requestSchema(node: unknown, depth = 0): unknown {
  if (depth > 40) return {};
  if (Array.isArray(node)) return node.map((n) => requestSchema(n, depth + 1));
  if (!isObject(node)) return node;
  const resolved = typeof node.$ref === 'string' ? resolve(node) : node;
  const out: Json = {};
  for (const [k, v] of Object.entries(resolved)) {
    if (['nullable', 'example', 'examples', 'readOnly', 'writeOnly', 'description'].includes(k)) continue;
    out[k] =
      k === 'properties' && isObject(v)
        ? Object.fromEntries(Object.entries(v).map(([p, s]) => [p, requestSchema(s, depth + 1)]))
        : requestSchema(v, depth + 1);
  }
  if (isObject(resolved.properties) && resolved.additionalProperties === undefined) out.additionalProperties = false;
  return resolved.nullable === true ? { anyOf: [out, { type: 'null' }] } : out;
}

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  a: Ajv,
) => Ajv;
const ajv = addFormats(new Ajv({ strict: false, allErrors: false, validateFormats: true }));
const compiled = new Map<unknown, ValidateFunction>();
function conforms(schema: unknown, value: unknown): boolean {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(requestSchema(schema) as object);
    compiled.set(schema, validate);
  }
  return validate(value);
}

/** Query strings arrive as text; read them as the parameter's type would be, like the server does. */
function fromQuery(schema: Schema, raw: string | string[]): unknown {
  if (Array.isArray(raw)) return raw.map((r) => fromQuery(schema, r));
  switch (typeOf(schema) ?? '') {
    case 'integer':
      return /^-?\d+$/.test(raw) ? Number(raw) : raw;
    case 'number':
      return /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
    case 'boolean':
      return raw === 'true' ? true : raw === 'false' ? false : raw;
    default:
      return raw;
  }
}

// ---- valid values, from the schema ---------------------------------------------------------------------

/** Bodies the contract leaves free-form (an open object) yet the server reads: a realistic seed. */
const FREE_FORM_SEEDS: Record<string, () => unknown> = {
  manifest: () => ({
    key: 'admin.seeded',
    name: 'Seeded',
    version: '1.0.0',
    description: 'A manifest for the fuzzer',
    runtime: { type: 'sandbox', entry: 'runner.js' },
  }),
};

function validValue(schema: unknown, name = '', depth = 0): unknown {
  const s = resolve(schema);
  if (depth > 8) return undefined;
  if (Array.isArray(s.enum)) return s.enum[0];
  if (Array.isArray(s.oneOf)) return validValue(s.oneOf[0], name, depth + 1);
  switch (typeOf(s) ?? '') {
    case 'string': {
      if (s.format === 'email') return 'fuzz@example.com';
      if (s.format === 'date-time') return '2999-01-01T00:00:00.000Z';
      if (s.format === 'uri') return 'https://example.com/fuzz';
      if (typeof s.pattern === 'string') {
        // fast-check cannot build every pattern (lookaheads); the placeholder below then stands in.
        try {
          return fc.sample(fc.stringMatching(new RegExp(s.pattern)), { numRuns: 1, seed: 7 })[0];
        } catch {
          /* fall through */
        }
      }
      const min = typeof s.minLength === 'number' ? s.minLength : 1;
      const text = 'fuzz-value'.padEnd(min, 'x');
      return typeof s.maxLength === 'number' ? text.slice(0, s.maxLength) : text;
    }
    case 'integer':
    case 'number':
      return typeof s.minimum === 'number' ? s.minimum : 1;
    case 'boolean':
      return false;
    case 'array':
      return [];
    case 'object': {
      if (!isObject(s.properties)) return FREE_FORM_SEEDS[name]?.() ?? {};
      const required = Array.isArray(s.required) ? (s.required as string[]) : [];
      return Object.fromEntries(required.map((p) => [p, validValue((s.properties as Json)[p], p, depth + 1)]));
    }
    default:
      return 'fuzz';
  }
}

// ---- the fields of an operation ------------------------------------------------------------------------

interface Field {
  location: 'body' | 'query' | 'path';
  /** Property path in the body; one name for query and path. */
  path: string[];
  schema: Schema;
  /** Body only: the object schemas from the root down to the field's parent (the parent last). */
  containers: Schema[];
  /** A field that stands for its object: the `unknown` kind adds a key to it. */
  isContainer?: boolean;
}

function bodyFields(schema: Schema, path: string[] = [], containers: Schema[] = [], depth = 0): Field[] {
  const s = resolve(schema);
  // A free-form object (the manifest) takes any key: adding odd ones must still not break anything.
  if (isFreeForm(s) && path.length)
    return [{ location: 'body', path, schema: s, containers: [...containers, s], isContainer: true }];
  if (depth > 4 || !isObject(s.properties)) return [];
  const chain = [...containers, s];
  const out: Field[] = [{ location: 'body', path, schema: s, containers: chain, isContainer: true }];
  for (const [name, raw] of Object.entries(s.properties)) {
    const child = resolve(raw);
    out.push({ location: 'body', path: [...path, name], schema: child, containers: chain });
    out.push(...bodyFields(child, [...path, name], chain, depth + 1));
    for (const alternative of Array.isArray(child.oneOf) ? child.oneOf : []) {
      out.push(...bodyFields(resolve(alternative), [...path, name], chain, depth + 1));
    }
  }
  return out;
}

interface Operation extends SpecOperation {
  bodySchema?: Schema;
  query: Array<{ name: string; schema: Schema; required: boolean }>;
  pathParams: Array<{ name: string; schema: Schema }>;
  fields: Field[];
  /** A success answers a stream that does not end (Server-Sent Events): judged by its status and headers. */
  streams: boolean;
}

function describeOperation(op: SpecOperation): Operation {
  const parameters = (Array.isArray(op.op.parameters) ? op.op.parameters : []) as Json[];
  const query = parameters
    .filter((p) => p.in === 'query')
    .map((p) => ({ name: String(p.name), schema: resolve(p.schema), required: p.required === true }));
  const pathParams = parameters
    .filter((p) => p.in === 'path')
    .map((p) => ({ name: String(p.name), schema: resolve(p.schema) }));
  const content = (op.op.requestBody as Json | undefined)?.content as Json | undefined;
  const bodySchema = (content?.['application/json'] as Json | undefined)?.schema as Schema | undefined;
  const fields: Field[] = [
    ...(bodySchema ? bodyFields(bodySchema) : []),
    ...query.map((q): Field => ({ location: 'query', path: [q.name], schema: q.schema, containers: [] })),
    ...pathParams.map((p): Field => ({ location: 'path', path: [p.name], schema: p.schema, containers: [] })),
  ];
  if (query.length) fields.push({ location: 'query', path: [], schema: {}, containers: [], isContainer: true });
  const streams = Object.entries(op.op.responses).some(
    ([status, response]) => status.startsWith('2') && 'text/event-stream' in ((response.content as Json) ?? {}),
  );
  return { ...op, bodySchema, query, pathParams, fields, streams };
}

// ---- mutations -----------------------------------------------------------------------------------------

const KINDS = ['null', 'wrong_type', 'out_of_range', 'over_long', 'deep', 'odd_text', 'unknown'] as const;
type Kind = (typeof KINDS)[number];

/** A value placed in a body as raw JSON text (nesting too deep to build as an object first). */
class RawJson {
  constructor(
    readonly raw: string,
    readonly depth: number,
  ) {}
}
type Payload = unknown;

function kindsFor(field: Field): Kind[] {
  if (field.isContainer) return ['unknown'];
  if (field.location === 'path') return ['null', 'wrong_type', 'out_of_range', 'over_long', 'deep', 'odd_text'];
  return KINDS.filter((k) => k !== 'unknown');
}

const nested = (depth: number, kind: 'array' | 'object') =>
  new RawJson(
    kind === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth),
    depth,
  );

const ODD_TEXT = fc.constantFrom(
  'a\u0000b',
  '\u0000',
  '.*',
  '(a+)+$',
  '$where',
  '{"$gt":""}',
  '../../etc/passwd',
  '\u202e\ud83d\ude00',
  '\ud800',
  ' ',
  '',
);
/** Keys that mean something to JavaScript, MongoDB or BSON. */
const ODD_KEYS = fc.constantFrom(
  '__proto__',
  'constructor',
  'prototype',
  '$where',
  '$set',
  'a.b',
  'a\u0000b',
  '',
  '\ud800',
);
/** A URL cannot carry a lone surrogate (encodeURIComponent throws): odd text for query and path. */
const URL_ODD_TEXT = ODD_TEXT.filter((text) => !/[\ud800-\udfff]/.test(text) || /^\u202e\ud83d\ude00$/.test(text));

/** Values of another JSON type than the schema's. */
function wrongType(s: Schema): fc.Arbitrary<Payload> {
  const type = typeOf(s);
  const candidates: Array<[string, fc.Arbitrary<Payload>]> = [
    ['string', fc.string({ maxLength: 20 })],
    ['integer', fc.integer()],
    ['number', fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d))],
    ['boolean', fc.boolean()],
    ['array', fc.array(fc.string({ maxLength: 3 }), { maxLength: 3 })],
    ['object', fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), fc.integer(), { maxKeys: 3 })],
  ];
  const oneOfTypes = Array.isArray(s.oneOf) ? s.oneOf.map((a) => typeOf(resolve(a))) : [];
  const allowed = new Set([type, ...oneOfTypes, ...(type === 'number' ? ['integer'] : [])]);
  const pool = candidates.filter(([t]) => !allowed.has(t)).map(([, arb]) => arb);
  return pool.length ? fc.oneof(...pool) : fc.constant(Symbol.for('skip'));
}

function outOfRange(s: Schema): fc.Arbitrary<Payload> {
  const options: Array<fc.Arbitrary<Payload>> = [];
  if (typeof s.minimum === 'number') options.push(fc.constant(s.minimum - 1));
  if (typeof s.maximum === 'number') options.push(fc.constant(s.maximum + 1));
  if (typeOf(s) === 'integer') options.push(fc.constantFrom(2 ** 53 + 2, 1e300, -1e300, 0.5));
  if (typeOf(s) === 'number') options.push(fc.constantFrom(1e308, -1e308));
  if (typeof s.maxLength === 'number') options.push(fc.constant('m'.repeat(s.maxLength + 1)));
  if (typeof s.minLength === 'number' && s.minLength > 0) options.push(fc.constant('m'.repeat(s.minLength - 1)));
  if (typeof s.pattern === 'string') options.push(fc.constantFrom('Not Matching!', '-x-', '\u0000'));
  if (Array.isArray(s.enum)) options.push(fc.constantFrom('not_in_the_enum', String(s.enum[0]).toUpperCase() + '!'));
  if (typeof s.format === 'string') options.push(fc.constantFrom(`not a ${s.format}`, '2024-13-45T99:99:99Z'));
  if (typeOf(s) === 'array') {
    const item = resolve(s.items);
    options.push(fc.constant([wrongTypeSample(item)]));
    if (typeof s.maxItems === 'number')
      options.push(fc.constant(Array.from({ length: s.maxItems + 1 }, (_, i) => `i${i}`)));
    if (s.uniqueItems === true) options.push(fc.constant([validValue(item), validValue(item)]));
  }
  return options.length ? fc.oneof(...options) : wrongType(s);
}

const wrongTypeSample = (s: Schema) => fc.sample(wrongType(s), { numRuns: 1, seed: 3 })[0];

/** The other container for a container field: `[]` and `[{}]` for an object, `{}` for an array. */
const containerConfusions = (s: Schema): Payload[] =>
  typeOf(s) === 'object' ? [[], [{}]] : typeOf(s) === 'array' ? [{}] : [];

/** Payloads for a body field. */
function bodyPayload(field: Field, kind: Kind): fc.Arbitrary<Payload> {
  const s = field.schema;
  switch (kind) {
    case 'null':
      return fc.constant(null);
    case 'wrong_type':
      return wrongType(s);
    case 'out_of_range':
      return outOfRange(s);
    case 'over_long':
      return typeOf(s) === 'array'
        ? fc.integer({ min: 2_000, max: 20_000 }).map((n) => Array.from({ length: n }, () => 'x'))
        : fc.integer({ min: 20_000, max: 90_000 }).map((n) => 'o'.repeat(n));
    case 'deep':
      return fc
        .tuple(fc.integer({ min: MAX_DEPTH + 1, max: 4_000 }), fc.constantFrom('array' as const, 'object' as const))
        .map(([depth, shape]) => nested(depth, shape));
    case 'odd_text':
      return ODD_TEXT;
    case 'unknown':
      return fc
        .tuple(
          fc.oneof(fc.string({ minLength: 1, maxLength: 30, unit: 'binary' }), ODD_KEYS),
          fc.jsonValue({ maxDepth: 2 }),
        )
        .filter(([key]) => !isObject(s.properties) || !Object.hasOwn(s.properties, key));
  }
}

/** A value as query text; objects as JSON (String() throws on one whose `toString` key is a number). */
const asText = (v: unknown): string => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));

/** Payloads for a query field: text, or repeated text. */
function queryPayload(field: Field, kind: Kind): fc.Arbitrary<Payload> {
  const s = field.schema;
  switch (kind) {
    case 'null':
      return fc.constant('null');
    case 'wrong_type':
      return ['integer', 'number', 'boolean'].includes(typeOf(s) ?? '')
        ? fc.constantFrom('abc', '1.5x', 'true1', '{}', '[]')
        : fc.array(fc.string({ maxLength: 5 }), { minLength: 2, maxLength: 4 });
    case 'out_of_range':
      return outOfRange(s).map((v) => (Array.isArray(v) ? v.map(asText) : asText(v)));
    case 'over_long':
      return fc.integer({ min: 1_000, max: 20_000 }).map((n) => 'q'.repeat(n));
    case 'deep':
      return fc.integer({ min: 2, max: 300 }).map((n) => Array.from({ length: n }, (_, i) => `v${i}`));
    case 'odd_text':
      return URL_ODD_TEXT;
    case 'unknown':
      return fc.tuple(fc.string({ minLength: 1, maxLength: 30 }), fc.string({ maxLength: 10 }));
  }
}

function pathPayload(kind: Kind): fc.Arbitrary<Payload> {
  switch (kind) {
    case 'null':
      return fc.constant('null');
    case 'wrong_type':
      return fc.constantFrom('0', '-1', '1.5', 'true', '[]', '{}');
    case 'out_of_range':
      return fc.constantFrom('0'.repeat(24), 'ffffffffffffffffffffffff', 'A.B', 'a..b');
    case 'over_long':
      return fc.integer({ min: MAX_PATH_PARAM + 1, max: 3_000 }).map((n) => 'p'.repeat(n));
    case 'deep':
      return fc.integer({ min: 2, max: 50 }).map((n) => Array.from({ length: n }, () => 'd').join('/'));
    case 'odd_text':
      return URL_ODD_TEXT.filter((text) => text !== '');
    case 'unknown':
      return fc.constant('x');
  }
}

// ---- building and judging a request --------------------------------------------------------------------

interface Case {
  field: Field;
  kind: Kind;
  payload: Payload;
}

/** A case as fast-check prints a counterexample: where, what kind, and the value (cut short). */
function withLabel(c: Case): Case {
  const value = c.payload instanceof RawJson ? `<${c.payload.depth} levels>` : JSON.stringify(c.payload);
  const label = `${c.field.location}:${c.field.path.join('.') || '(root)'} ${c.kind} ${String(value).slice(0, 120)}`;
  return Object.assign(c, { [fc.toStringMethod]: () => label });
}

interface Request {
  path: Record<string, string>;
  query: Record<string, string | string[]>;
  body?: unknown;
  bodyText?: string;
  /** What the contract says of it: must it be refused? */
  mustRefuse: boolean;
}

const RAW_MARKER = '\u0000fuzz-raw\u0000';

function setAt(root: Json, field: Field, value: unknown): void {
  let node = root;
  field.path.slice(0, -1).forEach((key, i) => {
    if (!isObject(node[key])) node[key] = validValue(field.containers[i + 1]);
    node = node[key] as Json;
  });
  node[field.path[field.path.length - 1]] = value;
}

function containerAt(root: Json, field: Field): Json {
  let node = root;
  field.path.forEach((key, i) => {
    if (!isObject(node[key])) node[key] = validValue(field.containers[i + 1]);
    node = node[key] as Json;
  });
  return node;
}

function buildRequest(op: Operation, fixtures: Record<string, string>, c: Case): Request {
  // A fixture of this test, else the contract's example, else a placeholder (an operation added later).
  const path = Object.fromEntries(
    op.pathParams.map(({ name, schema }) => [
      name,
      fixtures[`${op.path}:${name}`] ??
        fixtures[name] ??
        (typeof schema.example === 'string' ? schema.example : 'fuzz'),
    ]),
  );
  const query: Record<string, string | string[]> = {};
  for (const q of op.query) if (q.required) query[q.name] = String(validValue(q.schema));
  const body = op.bodySchema ? (structuredClone(validValue(op.bodySchema)) as Json) : undefined;
  let mustRefuse = false;
  let raw: RawJson | undefined;

  if (c.field.location === 'body' && body) {
    if (c.kind === 'unknown') {
      const [key, value] = c.payload as [string, unknown];
      // An own key, also when it is `__proto__` (an assignment would set the container's prototype instead, and
      // JSON.stringify would leave the key out: the server would be sent a valid body).
      Object.defineProperty(containerAt(body, c.field), key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else if (c.payload instanceof RawJson) {
      raw = c.payload;
      setAt(body, c.field, RAW_MARKER);
      mustRefuse = raw.depth > MAX_DEPTH;
    } else {
      setAt(body, c.field, c.payload);
    }
    mustRefuse ||= !conforms(op.bodySchema, body);
  } else if (c.field.location === 'query') {
    if (c.kind === 'unknown') {
      const [key, value] = c.payload as [string, string];
      // Fastify's query parser drops `__proto__` itself: the server never sees that one.
      if (!op.query.some((q) => q.name === key) && key !== '__proto__') {
        query[encodeURIComponent(key)] = value; // the client encodes values, not names
        mustRefuse = true; // list queries are closed DTOs, as bodies are
      }
    } else {
      const name = c.field.path[0];
      const given = c.payload as string | string[];
      // In a query string an empty list is no parameter at all, and a list of one is that one value.
      const value = Array.isArray(given) && given.length === 1 ? given[0] : given;
      if (!Array.isArray(value) || value.length) {
        query[name] = value;
        mustRefuse = !conforms(c.field.schema, fromQuery(c.field.schema, value));
      }
    }
  } else if (c.field.location === 'path') {
    const value = String(c.payload);
    path[c.field.path[0]] = value;
    // Over 100 characters the router refuses it (414); else the parameter's own schema decides.
    mustRefuse = value.length > MAX_PATH_PARAM || !conforms(c.field.schema, value);
  }
  const bodyText =
    body === undefined ? undefined : JSON.stringify(body).replace(JSON.stringify(RAW_MARKER), raw?.raw ?? 'null');
  return { path, query, body, bodyText, mustRefuse };
}

const t = useTestApp();

describe('every operation of the contract, fed hostile input', () => {
  let token: string;
  let fingerprint: string;
  const fixtures: Record<string, string> = {};
  const judged = { total: 0, mustRefuse: 0, fixed: 0 };

  beforeAll(async () => {
    token = await t.login(ADMIN.email, ADMIN.password);
    const admin = t.client({ accessToken: token });
    const user = await t.createUser({ email: 'fuzz-user@plughub.test' });
    const org = await admin.POST('/api/orgs/', { body: { slug: 'fuzz-org', name: 'Fuzz' } });
    const apiToken = await admin.POST('/api/auth/api-tokens/', { body: { name: 'fuzz' } });
    const published = await admin.POST('/api/plugins/', {
      body: {
        manifest: { ...(FREE_FORM_SEEDS.manifest() as Json), key: 'admin.fixture' } as never,
        files: { runner: 'export default {}' },
      },
    });
    expect([org.response.status, apiToken.response.status, published.response.status]).toEqual([201, 201, 201]);
    Object.assign(fixtures, {
      org: org.data!.slug,
      user: user.id,
      plugin: 'admin.fixture',
      version: '1.0.0',
      id: user.id,
      '/api/auth/api-tokens/{id}/:id': apiToken.data!.id,
    });
    fingerprint = await rawFingerprint(t.app);
  });

  async function send(op: Operation, request: Request) {
    const client = t.client(op.security.some((s) => 'bearerAuth' in s) ? { accessToken: token } : {});
    type Call = (path: string, init: Json) => Promise<{ response: Response; data?: unknown; error?: unknown }>;
    const call = (client as unknown as Record<string, Call>)[op.method.toUpperCase()];
    const { response, data, error } = await call(op.path, {
      params: { path: request.path, query: request.query },
      ...(op.streams ? { parseAs: 'stream' } : {}),
      ...(request.bodyText === undefined ? {} : { body: request.body, bodySerializer: () => request.bodyText }),
    });
    // An accepted stream stays open: close it, or the app cannot shut down.
    if (data instanceof ReadableStream) await data.cancel();
    const type = response.headers.get('content-type') ?? '';
    return { response, body: type.includes('json') ? (data ?? error) : undefined };
  }

  async function judge(op: Operation, c: Case): Promise<void> {
    const request = buildRequest(op, fixtures, c);
    judged.total++;
    if (request.mustRefuse) judged.mustRefuse++;
    const where = `${op.method.toUpperCase()} ${op.path} ${c.field.location}:${c.field.path.join('.') || '(root)'} ${c.kind}`;
    const { response, body } = await send(op, request);
    const status = response.status;
    // Taken before judging, so one failure does not make every later request look guilty.
    const before = fingerprint;
    fingerprint = await rawFingerprint(t.app);
    expect(status, `${where} answered ${status}: ${JSON.stringify(body)?.slice(0, 300)}`).toBeLessThan(500);
    if (request.mustRefuse) expect(status, `${where} must be refused`).toBeGreaterThanOrEqual(400);
    expect(checkResponse(op.method, op.path, status, body), where).toEqual([]);
    if (status >= 400) {
      const envelope = body as { code: ErrorCode; status: number; request_id: string };
      expect(ERROR_CODES, where).toContain(envelope.code);
      expect([envelope.status, ERROR_STATUS[envelope.code]], where).toEqual([status, status]);
      expect(envelope.request_id, where).toBe(response.headers.get('x-request-id'));
      expect(fingerprint, `${where} stored something although refused`).toBe(before);
    }
  }

  const all = operations().map(describeOperation);

  it('covers every operation of the contract', () => {
    expect(all.length).toBe(Object.values(PATHS).flatMap((item) => Object.keys(item)).length);
  });

  it.each(all.filter((op) => op.fields.length).map((op) => [`${op.method.toUpperCase()} ${op.path}`, op] as const))(
    '%s',
    async (_name, op) => {
      const payloadFor = (field: Field, kind: Kind) =>
        field.location === 'body'
          ? bodyPayload(field, kind)
          : field.location === 'query'
            ? queryPayload(field, kind)
            : pathPayload(kind);
      const cases = fc
        .constantFrom(...op.fields)
        .chain((field) =>
          fc
            .constantFrom(...kindsFor(field))
            .chain((kind) => payloadFor(field, kind).map((payload) => withLabel({ field, kind, payload }))),
        )
        .filter((c) => c.payload !== Symbol.for('skip'));
      // Every field meets every kind once (seeded), then fast-check draws more.
      const examples = op.fields.flatMap((field) =>
        kindsFor(field).map((kind, i): [Case] => [
          withLabel({ field, kind, payload: fc.sample(payloadFor(field, kind), { numRuns: 1, seed: i + 1 })[0] }),
        ]),
      );
      // An object where an array is declared, and arrays (empty too) where an object is: nested validation that
      // walks an array's elements would pass [] as the object.
      for (const field of op.fields) {
        if (field.location !== 'body' || field.isContainer) continue;
        for (const payload of containerConfusions(field.schema))
          examples.push([withLabel({ field, kind: 'wrong_type', payload })]);
      }
      const fixed = examples.filter(([c]) => c.payload !== Symbol.for('skip'));
      judged.fixed += fixed.length;
      // fast-check counts the examples in numRuns.
      await fc.assert(
        fc.asyncProperty(cases, (c) => judge(op, c)),
        { numRuns: fixed.length + RUNS, examples: fixed, endOnFailure: true },
      );
    },
    // A bound against a hang, not a verdict on speed: an operation with many fields judges hundreds of cases, each a
    // request and a fingerprint of the database, and POST /api/plugins/ took 32 s on a loaded 2-core machine.
    180_000 + RUNS * 1_000,
  );

  it('judged every fixed case and many the contract refuses', () => {
    expect(judged.total).toBeGreaterThanOrEqual(judged.fixed);
    expect(judged.mustRefuse).toBeGreaterThan(judged.total / 2);
  });
});
