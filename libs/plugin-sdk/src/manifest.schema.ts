import { CAPABILITIES } from './capabilities.js';
import { HOOK_STEPS, HTTP_METHODS, MAX_LIMITS } from './manifest.types.js';
import { CUSTOM_SCOPE_MAX_LENGTH, CUSTOM_SCOPE_PATTERN } from './permissions.js';

/** `publisher.name`: two lower-case segments of `[a-z0-9-]`, each starting with a letter or digit. */
export const PLUGIN_KEY_PATTERN = '^[a-z0-9][a-z0-9-]*\\.[a-z0-9][a-z0-9-]*$';
export const SETTING_KEY_PATTERN = '^[a-z][a-z0-9_]*$';
/** Host names as written in an `http:external` grant: `example.com`, `example.com:8443`, `*.example.com`, `127.0.0.1`. */
export const HOST_PATTERN = '^(\\*\\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?$';
const EVENT_TYPE_PATTERN = '^[a-z0-9][a-z0-9_-]*(\\.[a-z0-9][a-z0-9_-]*)*$';
const SUBSCRIPTION_PATTERN = '^([a-z0-9][a-z0-9_-]*)(\\.[a-z0-9][a-z0-9_-]*)*(\\.\\*)?$|^\\*$';
/**
 * A relative file path inside the plugin package, without `..` segments or a trailing slash, that
 * the packager can write as a ustar entry below `package/`: the whole name fits the 100-byte name
 * field (92 characters after `package/`), or it splits at its last slash into a directory of at most
 * 147 characters (155 with `package/`, the prefix field) and a file name of at most 100.
 */
export const PACKAGE_PATH_PATTERN =
  '^(?=.{1,92}$|.{0,147}/[^/]{1,100}$)(?!/)(?!.*(^|/)\\.\\.(/|$))(?!.*/$)[A-Za-z0-9._/-]+$';
/** The name of an exported function a `hooks` entry points at. */
const HOOK_FUNCTION_PATTERN = '^[A-Za-z_$][A-Za-z0-9_$]*$';
const ENDPOINT_SEGMENT = '(?::[A-Za-z_][A-Za-z0-9_]*|[A-Za-z0-9._~-]+)';
/**
 * An endpoint path: relative (no leading slash), 1 to 16 segments, each static (`[A-Za-z0-9._~-]`, neither `.` nor
 * `..`) or a parameter (`:name`); no empty segment, so no trailing slash either.
 */
export const ENDPOINT_PATH_PATTERN = `^(?!.*(?:^|/)\\.{1,2}(?:/|$))${ENDPOINT_SEGMENT}(?:/${ENDPOINT_SEGMENT}){0,15}$`;
export const MAX_ENDPOINTS = 64;

const eventList = (pattern: string) => ({
  type: 'array',
  maxItems: 200,
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['type'],
    properties: {
      type: { type: 'string', pattern, maxLength: 200 },
      description: { type: 'string', maxLength: 500 },
    },
  },
});

const settingTypes = ['string', 'integer', 'number', 'boolean', 'choice', 'json'] as const;
// JSON Schema type a setting's default must have, per setting type (choice defaults are checked against choices in code).
const defaultTypeOf: Record<(typeof settingTypes)[number], string | string[] | undefined> = {
  string: 'string',
  integer: 'integer',
  number: 'number',
  boolean: 'boolean',
  choice: ['string', 'number'],
  json: undefined,
};

/**
 * The plugin manifest JSON Schema (draft 2020-12 subset understood by Ajv 8). Cross-field rules a schema
 * cannot express well (min <= max, default within bounds and choices, no default on secrets) are checked by
 * `validateManifest` as well, so use that rather than this schema alone.
 */
export const MANIFEST_SCHEMA = {
  $id: 'https://plughub.dev/schemas/plugin-manifest.json',
  title: 'Plughub plugin manifest',
  type: 'object',
  additionalProperties: false,
  // `key` may be left to the registry (see validateManifest's `publisher`); `main` may stand in for `runtime`.
  required: ['name', 'version', 'description'],
  anyOf: [{ required: ['runtime'] }, { required: ['main'] }],
  properties: {
    $schema: { type: 'string' },
    key: { type: 'string', pattern: PLUGIN_KEY_PATTERN, maxLength: 100, description: 'publisher.name' },
    name: { type: 'string', minLength: 1, maxLength: 100 },
    version: { type: 'string', format: 'semver', maxLength: 64 },
    description: { type: 'string', minLength: 1, maxLength: 2000 },
    author: { type: 'string', maxLength: 200 },
    license: { type: 'string', maxLength: 100 },
    homepage: { type: 'string', format: 'http-url', maxLength: 2000 },
    website: { type: 'string', format: 'http-url', maxLength: 2000, description: 'synonym of homepage' },
    repository: { type: 'string', format: 'http-url', maxLength: 2000 },
    icon: { type: 'string', pattern: PACKAGE_PATH_PATTERN, maxLength: 200 },
    category: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$', maxLength: 50 },
    tags: {
      type: 'array',
      maxItems: 20,
      uniqueItems: true,
      items: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$', maxLength: 50 },
    },
    engines: {
      type: 'object',
      additionalProperties: false,
      properties: { plughub: { type: 'string', format: 'semver-range', maxLength: 200 } },
    },
    dependencies: {
      type: 'object',
      maxProperties: 50,
      propertyNames: { pattern: PLUGIN_KEY_PATTERN, maxLength: 100 },
      additionalProperties: { type: 'string', format: 'semver-range', maxLength: 200 },
    },
    permissions: {
      type: 'array',
      maxItems: 64,
      items: {
        if: { type: 'string' },
        then: {
          anyOf: [
            { enum: CAPABILITIES.filter((c) => c !== 'http:external') },
            { type: 'string', pattern: CUSTOM_SCOPE_PATTERN, maxLength: CUSTOM_SCOPE_MAX_LENGTH },
          ],
        },
        else: {
          type: 'object',
          additionalProperties: false,
          required: ['capability', 'hosts'],
          properties: {
            capability: { const: 'http:external' },
            hosts: {
              type: 'array',
              minItems: 1,
              maxItems: 50,
              uniqueItems: true,
              items: { type: 'string', pattern: HOST_PATTERN, maxLength: 260 },
            },
          },
        },
      },
    },
    events: {
      type: 'object',
      additionalProperties: false,
      properties: { emits: eventList(EVENT_TYPE_PATTERN), subscribes: eventList(SUBSCRIPTION_PATTERN) },
    },
    settings: {
      type: 'object',
      maxProperties: 100,
      propertyNames: { pattern: SETTING_KEY_PATTERN, maxLength: 64 },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['type'],
        properties: {
          type: { enum: settingTypes },
          name: { type: 'string', maxLength: 100 },
          description: { type: 'string', maxLength: 1000 },
          default: true,
          min: { type: 'number' },
          max: { type: 'number' },
          choices: {
            type: 'array',
            minItems: 1,
            maxItems: 500,
            uniqueItems: true,
            items: {
              oneOf: [
                { type: ['string', 'number'] },
                {
                  type: 'object',
                  additionalProperties: false,
                  required: ['value', 'display_name'],
                  properties: {
                    value: { type: ['string', 'number'] },
                    display_name: { type: 'string', minLength: 1, maxLength: 200 },
                  },
                },
              ],
            },
          },
          pattern: { type: 'string', minLength: 1, maxLength: 500 },
          required: { type: 'boolean' },
          secret: { type: 'boolean' },
          units: { type: 'string', maxLength: 30 },
          restart_required: { type: 'boolean' },
        },
        allOf: [
          ...settingTypes.map((t) => ({
            if: { properties: { type: { const: t } }, required: ['type'] },
            then: {
              ...(defaultTypeOf[t] ? { properties: { default: { type: defaultTypeOf[t] } } } : {}),
              ...(t === 'choice' ? { required: ['choices'] } : {}),
            },
          })),
          {
            if: { properties: { type: { enum: ['string', 'boolean', 'choice', 'json'] } }, required: ['type'] },
            then: { not: { anyOf: [{ required: ['min'] }, { required: ['max'] }] } },
          },
          {
            if: { properties: { type: { not: { const: 'choice' } } }, required: ['type'] },
            then: { not: { required: ['choices'] } },
          },
          {
            if: { properties: { type: { not: { const: 'string' } } }, required: ['type'] },
            then: { not: { required: ['pattern'] } },
          },
        ],
      },
    },
    runtime: {
      type: 'object',
      required: ['type'],
      properties: { type: { enum: ['sandbox', 'remote'] } },
      if: { properties: { type: { const: 'remote' } }, required: ['type'] },
      then: {
        additionalProperties: false,
        required: ['entry_point'],
        properties: { type: true, entry_point: { type: 'string', format: 'http-url', maxLength: 2000 } },
      },
      else: {
        additionalProperties: false,
        required: ['entry'],
        properties: {
          type: true,
          entry: { type: 'string', pattern: PACKAGE_PATH_PATTERN, maxLength: 200 },
        },
      },
    },
    main: { type: 'string', pattern: PACKAGE_PATH_PATTERN, maxLength: 200, description: 'synonym of runtime.entry' },
    hooks: {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(
        HOOK_STEPS.map((step) => [step, { type: 'string', pattern: HOOK_FUNCTION_PATTERN, maxLength: 64 }]),
      ),
    },
    endpoints: {
      type: 'array',
      maxItems: MAX_ENDPOINTS,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['path', 'methods', 'description'],
        properties: {
          path: { type: 'string', pattern: ENDPOINT_PATH_PATTERN, maxLength: 200 },
          methods: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: HTTP_METHODS } },
          description: { type: 'string', minLength: 1, maxLength: 500 },
          public: { type: 'boolean' },
        },
      },
    },
    limits: {
      type: 'object',
      additionalProperties: false,
      properties: {
        memory_mb: { type: 'integer', minimum: 1, maximum: MAX_LIMITS.memory_mb },
        timeout_ms: { type: 'integer', minimum: 1, maximum: MAX_LIMITS.timeout_ms },
        max_pending: { type: 'integer', minimum: 1, maximum: MAX_LIMITS.max_pending },
      },
    },
  },
} as const;
