import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { MANIFEST_FORMATS } from '@app/plugin-sdk';

type Json = Record<string, unknown>;

interface SpecResponse {
  $ref?: string;
  content?: Record<string, { schema?: Json }>;
}

export interface SpecOperationObject {
  operationId: string;
  security?: Json[];
  responses: Record<string, SpecResponse>;
  [key: string]: unknown;
}

interface Spec {
  paths: Record<string, Record<string, SpecOperationObject | undefined>>;
  components: { responses: Record<string, SpecResponse>; [key: string]: unknown };
  [key: string]: unknown;
}

// ajv-formats ships CommonJS; under ESM its default export arrives wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv,
) => Ajv;

export const spec = JSON.parse(readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8')) as Spec;

/** OpenAPI 3.0 → JSON Schema: `nullable` becomes a null alternative; refs point into the spec document. */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const obj: Json = {};
  for (const [k, v] of Object.entries(node as Json)) {
    if (k === '$ref' && typeof v === 'string') obj.$ref = `spec.json${v}`;
    else if (k !== 'nullable' && k !== 'example' && k !== 'examples') obj[k] = toJsonSchema(v);
  }
  if ((node as Json).nullable === true) return { anyOf: [obj, { type: 'null' }] };
  return obj;
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
addFormats(ajv);
for (const [name, validate] of Object.entries(MANIFEST_FORMATS)) ajv.addFormat(name, { type: 'string', validate });
ajv.addSchema({ $id: 'spec.json', components: toJsonSchema(spec.components) });

const cache = new Map<string, ValidateFunction>();

function resolveResponse(response: SpecResponse): SpecResponse | undefined {
  if (response.$ref) return spec.components.responses[response.$ref.split('/').pop() ?? ''];
  return response;
}

/**
 * Checks an actual response against the committed contract: the status must be documented for the
 * operation and a JSON body must match its schema. Returns a list of problems (empty when it conforms).
 */
export function checkResponse(method: string, schemaPath: string, status: number, body: unknown): string[] {
  const op = spec.paths[schemaPath]?.[method.toLowerCase()];
  if (!op) return [`${method} ${schemaPath} is not in openapi.json`];
  // `default` documents answers passed through as a plugin gave them (its endpoints), whatever their status.
  const documented = op.responses[String(status)] ?? op.responses.default;
  if (!documented) return [`${method} ${schemaPath} answered ${status}, which the contract does not document`];
  const schema = resolveResponse(documented)?.content?.['application/json']?.schema;
  if (!schema || body === undefined) return [];
  const key = `${method} ${schemaPath} ${status}`;
  let validate = cache.get(key);
  if (!validate) {
    validate = ajv.compile(toJsonSchema(schema) as object);
    cache.set(key, validate);
  }
  if (validate(body)) return [];
  return (validate.errors ?? []).map((e) => `${key}: ${e.instancePath || '(body)'} ${e.message}`);
}

export interface SpecOperation {
  method: string;
  path: string;
  operationId: string;
  security: Json[];
  op: SpecOperationObject;
}

export function operations(): SpecOperation[] {
  const out: SpecOperation[] = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
      const op = item[method];
      if (op) out.push({ method, path, operationId: op.operationId, security: op.security ?? [], op });
    }
  }
  return out;
}
