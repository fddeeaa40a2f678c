import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import {
  AUTH_EXTENSION,
  type AuthRequirement,
  bodyExamplesOf,
  ERROR_REASONS_EXTENSION,
  ERROR_STATUSES_EXTENSION,
  ErrorResponseDto,
  openApiSecurity,
  schemaName,
} from '@app/common';
import { API_VERSION } from '../meta/api-version.js';
import { errorExamples } from './error-examples.js';
import { inventreeOperationId } from './operation-id.js';
import { PLUGIN_MANIFEST, pluginManifestComponent } from './plugin-manifest.component.js';
import { closeRequestBodies, noItemsOffArrays, strictNullables } from './strict-schemas.js';

type Json = Record<string, unknown>;

/** The parts of an operation the post-processing reads and writes. */
interface Operation {
  operationId?: string;
  requestBody?: Json;
  summary?: string;
  description?: string;
  security?: Array<Record<string, string[]>>;
  responses?: Record<string, Json>;
  [extension: string]: unknown;
}

interface Document {
  components: { schemas?: Record<string, Json>; responses?: Record<string, Json> };
  paths: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>>;
  tags?: Array<{ name: string; description: string }>;
  [key: string]: unknown;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
const AUTO_ID = 'auto:';

/** One tag per module, with what it covers. */
export const TAGS: Record<string, string> = {
  admin: 'Platform administration: the audit log, plugin review, verification and the kill switch.',
  auth: 'Log in, API tokens and the current user.',
  health: 'Liveness and readiness of the service.',
  installation:
    'Installing plugins into your own, an organisation’s or the instance’s target, starting, stopping and removing them.',
  meta: 'Server version, API changelog and this document.',
  metrics: 'Prometheus metrics of the service and its plugins.',
  orgs: 'Organisations and their members.',
  registry: 'The plugin registry: publish, catalog, versions, downloads, ratings and repositories.',
  users: 'User accounts and platform roles (admins).',
};

/** Reusable error responses, all with the one Error body. */
const ERROR_RESPONSES: Record<string, { name: string; description: string; headers?: Json }> = {
  '400': {
    name: 'BadRequest',
    description:
      'Invalid input (VALIDATION_ERROR and other 400 codes); `errors` lists each bad field (at most 100, ' +
      '`details.omitted_errors` counts the rest). A request refused as a whole says why in `details.reason`: ' +
      '`body_not_object`, `body_too_large` (over 64 KiB; an upload over its limit is LIMIT_EXCEEDED), ' +
      '`body_too_deep` (over 32 levels), `too_many_keys` (over 500 in an object or 5,000 in all), ' +
      '`too_many_values` (over 100,000), `invalid_json`, `invalid_unicode` (a lone surrogate), ' +
      '`forbidden_key` (`__proto__`, or a key holding NUL), `malformed_body`, `malformed_url`, ' +
      '`headers_too_large` (request line and headers over 16 KiB).',
  },
  '401': {
    name: 'Unauthenticated',
    description: 'Missing or invalid credentials (UNAUTHENTICATED).',
    headers: {
      'WWW-Authenticate': {
        description: 'The accepted schemes: `Bearer realm="plughub", Token realm="plughub"`.',
        schema: { type: 'string' },
      },
    },
  },
  '403': { name: 'Forbidden', description: 'Authenticated, but not allowed (FORBIDDEN, PLUGIN_PERMISSION_DENIED).' },
  '404': {
    name: 'NotFound',
    description: 'No such resource, or one the caller may not see (NOT_FOUND, PLUGIN_NOT_FOUND).',
  },
  '405': {
    name: 'MethodNotAllowed',
    description:
      'The path exists but not with this method (METHOD_NOT_ALLOWED); `Allow` and `details.allow` list its methods.',
    headers: {
      Allow: { description: 'The methods this path supports, e.g. `GET, HEAD, POST`.', schema: { type: 'string' } },
    },
  },
  '408': { name: 'Timeout', description: 'A plugin did not answer in time (PLUGIN_COMMUNICATION_TIMEOUT).' },
  '409': {
    name: 'Conflict',
    description: 'The request conflicts with the current state (CONFLICT and plugin 409 codes).',
  },
  '414': { name: 'UriTooLong', description: 'A path parameter is longer than 100 characters (URI_TOO_LONG).' },
  '415': {
    name: 'UnsupportedMediaType',
    description:
      'The body is not JSON as the server reads it (UNSUPPORTED_MEDIA_TYPE): send `Content-Type: application/json`, ' +
      'in UTF-8 (another `charset` is refused with `details.reason` `charset`) and without a `Content-Encoding` ' +
      '(`content_encoding`).',
  },
  '422': { name: 'LimitExceeded', description: 'A size, quota or plan limit was exceeded (LIMIT_EXCEEDED).' },
  '429': { name: 'RateLimited', description: 'Too many requests (RATE_LIMITED).' },
  '500': {
    name: 'InternalError',
    description: 'An internal failure (INTERNAL and plugin 500 codes); quote the request_id.',
  },
};

const DEFAULT_SUCCESS_DESCRIPTIONS: Record<string, string> = {
  '200': 'OK.',
  '201': 'Created.',
  '204': 'No content.',
};

function baseConfig() {
  return new DocumentBuilder()
    .setTitle('Plughub API')
    .setDescription(
      'Plughub is a self-hosted plugin platform: a registry where plugins are published and reviewed, ' +
        'installation for users, organisations or the whole instance, configuration, permissions, a sandboxed ' +
        'runtime, health, metrics, logs and messaging.\n\nAuthenticate with `Authorization: Bearer <jwt>` ' +
        '(from POST /api/auth/token/) or `Authorization: Token <key>` (an API token). Lists are paginated with ' +
        '`limit` and `offset`. Every error has the `Error` body.',
    )
    .setVersion(String(API_VERSION))
    .setLicense('MIT', 'https://opensource.org/licenses/MIT')
    .addServer('/', 'The server that serves this document')
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A JWT from POST /api/auth/token/.' },
      'bearerAuth',
    )
    .addApiKey(
      {
        type: 'apiKey',
        in: 'header',
        name: 'Authorization',
        description: 'Token-based authentication with required prefix "Token", e.g. `Token phk_…`.',
      },
      'tokenAuth',
    )
    .addBasicAuth(
      { type: 'http', scheme: 'basic', description: 'Email and password; token endpoint only.' },
      'basicAuth',
    )
    .build();
}

/** Builds the finished contract from the running app's controllers. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const raw = SwaggerModule.createDocument(app, baseConfig(), {
    extraModels: [ErrorResponseDto],
    operationIdFactory: (controllerKey, methodKey) => `${AUTO_ID}${controllerKey}.${methodKey}`,
  });
  const schemas = (raw.components ??= {}).schemas ?? (raw.components.schemas = {});
  schemas[PLUGIN_MANIFEST] = pluginManifestComponent();
  return finalizeDocument(raw as unknown as Document) as unknown as OpenAPIObject;
}

/**
 * Post-processing that makes the document InvenTree-shaped, truthful to strict validators and deterministic:
 * trailing-slash paths, derived operationIds, security from the auth decorators, the error responses (with an
 * example per code) on every operation, public schema names, closed request bodies, nullables that OpenAPI 3.0
 * validators accept, the request examples declared on the DTOs, and sorted keys.
 */
export function finalizeDocument(doc: Document): Document {
  const schemas = doc.components.schemas ?? {};

  // 1. Public schema names: UserResponseDto → User; every $ref follows.
  const renames = new Map<string, string>();
  for (const name of Object.keys(schemas)) {
    const renamed = schemaName(name);
    if (renamed !== name) {
      if (schemas[renamed] && !renames.has(renamed)) throw new Error(`Schema name clash: ${name} → ${renamed}`);
      renames.set(name, renamed);
    }
  }
  const renamedSchemas: Record<string, Json> = {};
  for (const [name, schema] of Object.entries(schemas)) renamedSchemas[renames.get(name) ?? name] = schema;
  doc.components.schemas = renamedSchemas;
  rewriteRefs(doc, renames);

  // 2. Paths under /api/ with a trailing slash (InvenTree); /metrics stays as Prometheus spells it.
  const paths: Document['paths'] = {};
  const seenIds = new Map<string, string>();
  for (const [path, item] of Object.entries(doc.paths)) {
    const slashed = path.endsWith('/') || !path.startsWith('/api/') ? path : `${path}/`;
    paths[slashed] = item;
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const id = completeOperation(op, slashed, method);
      const previous = seenIds.get(id);
      if (previous) throw new Error(`Duplicate operationId ${id}: ${previous} and ${method} ${slashed}`);
      seenIds.set(id, `${method} ${slashed}`);
    }
  }
  doc.paths = paths;

  const classOf = new Map([...renames].map(([cls, name]) => [name, cls]));
  addRequestExamples(doc, (name) => bodyExamplesOf(classOf.get(name) ?? name));
  closeRequestBodies(doc);
  strictNullables(doc);
  noItemsOffArrays(doc);

  const used = JSON.stringify(doc.paths);
  doc.components.responses = Object.fromEntries(
    Object.entries(ERROR_RESPONSES)
      .filter(([, { name }]) => used.includes(`"#/components/responses/${name}"`))
      .map(([status, { name, description, headers }]) => [
        name,
        {
          description,
          ...(headers ? { headers } : {}),
          content: {
            'application/json': {
              schema: { $ref: '#/components/schemas/Error' },
              examples: errorExamples(Number(status)),
            },
          },
        },
      ]),
  );
  doc.tags = Object.entries(TAGS).map(([name, description]) => ({ name, description }));
  return sortKeys(doc);
}

/**
 * Puts the examples each request DTO declares (`@BodyExamples`) on its request bodies; Swagger UI prefills the
 * first. An inline body schema keeps the example declared with it. A request body without examples fails the
 * build: Swagger UI would invent values from the schema.
 */
function addRequestExamples(doc: Document, examplesOf: (schema: string) => Json | undefined): void {
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const body = item[method]?.requestBody as { content?: Record<string, Json> } | undefined;
      for (const media of Object.values(body?.content ?? {})) {
        const schema = media.schema as { $ref?: string; example?: unknown } | undefined;
        // An inline body schema (a plugin's settings map) carries its example itself, as @ApiBody declares it.
        if (!schema?.$ref && (media.examples || schema?.example !== undefined)) continue;
        const ref = schema?.$ref;
        const examples = ref ? examplesOf(ref.replace('#/components/schemas/', '')) : undefined;
        if (!examples) throw new Error(`${method} ${path}: the request body's DTO declares no @BodyExamples`);
        media.examples = examples;
      }
    }
  }
}

/** The `$ref` of the JSON body of a response, if it has one. */
function jsonRef(response: Json | undefined): string | undefined {
  const content = response?.content as Record<string, { schema?: { $ref?: string } }> | undefined;
  return content?.['application/json']?.schema?.$ref;
}

/** Completes one operation in place; returns its operationId. */
function completeOperation(op: Operation, path: string, method: string): string {
  const auth = openApiSecurity(op[AUTH_EXTENSION] as AuthRequirement | undefined);
  delete op[AUTH_EXTENSION];

  let id = op.operationId;
  if (typeof id !== 'string' || id.startsWith(AUTO_ID)) {
    const okRef = jsonRef(op.responses?.['200']);
    const isList = method === 'get' && !!okRef && /\/Paginated\w+List$/.test(okRef);
    id = inventreeOperationId(path, method, isList);
    op.operationId = id;
  }
  if (!op.description) op.description = op.summary;
  const reasons = (op[ERROR_REASONS_EXTENSION] ?? []) as ErrorReason[];
  delete op[ERROR_REASONS_EXTENSION];
  if (reasons.length) op.description = `${op.description ?? ''}${describeReasons(reasons)}`;

  op.security = auth.security;
  if (auth.requiredRoles.length) op['x-required-roles'] = auth.requiredRoles;

  // What the HTTP layer answers before any handler runs: a path served under other methods, an
  // over-long path parameter, a body that is not JSON (any method but GET may carry one).
  const declared = (op[ERROR_STATUSES_EXTENSION] ?? []) as number[];
  const codes = ['400', '404', '405', '500', ...declared.map(String)];
  if (path.includes('{')) codes.push('414');
  if (method !== 'get') codes.push('415');
  delete op[ERROR_STATUSES_EXTENSION];
  if (auth.unauthenticated) codes.push('401');
  if (auth.forbidden) codes.push('403');
  const responses = (op.responses ??= {});
  for (const [code, response] of Object.entries(responses)) {
    if (!response.description) response.description = DEFAULT_SUCCESS_DESCRIPTIONS[code] ?? 'Response.';
    // Error statuses declared by a controller get the shared Error response.
    if (ERROR_RESPONSES[code]) codes.push(code);
  }
  for (const code of codes) {
    responses[code] = { $ref: `#/components/responses/${ERROR_RESPONSES[code].name}` };
  }
  return id;
}

interface ErrorReason {
  status: number;
  code: string;
  reason: string;
  description: string;
}

/** The `details.reason` values an operation can answer (from `@ApiErrors`), as a list in its description. */
function describeReasons(reasons: ErrorReason[]): string {
  const lines = [...reasons]
    .sort((a, b) => a.status - b.status || a.reason.localeCompare(b.reason))
    .map((r) => `- \`${r.reason}\` (${r.status} ${r.code}): ${r.description}`);
  return `\n\nErrors by \`details.reason\`:\n${lines.join('\n')}`;
}

function rewriteRefs(node: unknown, renames: Map<string, string>): void {
  if (Array.isArray(node)) {
    for (const item of node) rewriteRefs(item, renames);
  } else if (node && typeof node === 'object') {
    const obj = node as Json;
    if (typeof obj.$ref === 'string') {
      const name = obj.$ref.replace('#/components/schemas/', '');
      const renamed = renames.get(name);
      if (renamed) obj.$ref = `#/components/schemas/${renamed}`;
    }
    for (const value of Object.values(obj)) rewriteRefs(value, renames);
  }
}

/** Recursively sorts object keys (arrays keep their order), so the file is byte-stable. */
export function sortKeys<T>(node: T): T {
  if (Array.isArray(node)) return (node as unknown[]).map((item) => sortKeys(item)) as T;
  if (node && typeof node === 'object') {
    return Object.fromEntries(
      Object.keys(node)
        .sort()
        .map((k) => [k, sortKeys((node as Json)[k])]),
    ) as T;
  }
  return node;
}
