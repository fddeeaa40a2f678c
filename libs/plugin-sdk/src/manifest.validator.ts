import { Ajv, type ErrorObject } from 'ajv';
import semver from 'semver';
import { CAPABILITIES, CAPABILITY_NAMESPACES, isCapability } from './capabilities.js';
import { routeShape } from './endpoints.js';
import { MANIFEST_SCHEMA } from './manifest.schema.js';
import type { ManifestError, ManifestValidationResult, PluginManifest } from './manifest.types.js';
import { isCustomScope } from './permissions.js';
import { deriveKey } from './plugin-key.js';
import { matchesPattern, patternProblem } from './setting-rules.js';

export interface ValidateManifestOptions {
  /**
   * The publisher segment the registry will publish under (a user's handle, an org's slug). When given, a manifest
   * without `key` is accepted and gets `<publisher>.<slugifyName(name)>` (see deriveKey); without it `key` is
   * required. A manifest that has a key keeps it either way.
   */
  publisher?: string;
}

const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
/** The string formats the manifest schema names, for any validator that reads it (the contract's tests too). */
export const MANIFEST_FORMATS: Record<string, (s: string) => boolean> = {
  semver: (s) => semver.valid(s) === s,
  'semver-range': (s) => s.trim() !== '' && semver.validRange(s) !== null,
  'http-url': isHttpUrl,
};
for (const [name, validate] of Object.entries(MANIFEST_FORMATS)) ajv.addFormat(name, { type: 'string', validate });

const validateSchema = ajv.compile(MANIFEST_SCHEMA);

function isHttpUrl(s: string): boolean {
  try {
    const url = new URL(s);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `/settings/batch_size/max` → `settings.batch_size.max` (JSON Pointer escapes undone). */
function dotted(pointer: string, ...extra: Array<string | number>): string {
  const parts =
    pointer === ''
      ? []
      : pointer
          .slice(1)
          .split('/')
          .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  return [...parts, ...extra.map(String)].join('.');
}

function fromAjv(e: ErrorObject): ManifestError | undefined {
  const p = e.params as Record<string, unknown>;
  // Root `runtime`/`main` and string permissions get one precise message each from crossFieldErrors.
  if (e.schemaPath.startsWith('#/anyOf') || (e.instancePath === '' && e.keyword === 'anyOf')) return undefined;
  if (/^\/permissions\/\d+$/.test(e.instancePath) && e.schemaPath.includes('/then/')) return undefined;
  if (/^\/endpoints\/\d+\/path$/.test(e.instancePath) && e.keyword === 'pattern') {
    return {
      path: dotted(e.instancePath),
      message: 'must be a relative path (no leading slash) of 1 to 16 static or :param segments, without . or ..',
    };
  }
  switch (e.keyword) {
    case 'if': // the branch's own errors are reported too; this one only says "must match then".
    case 'propertyNames': // reported with the failing pattern below
      return undefined;
    case 'required':
      return { path: dotted(e.instancePath, String(p.missingProperty)), message: 'is required' };
    case 'additionalProperties':
      return { path: dotted(e.instancePath, String(p.additionalProperty)), message: 'is not an allowed property' };
    case 'enum':
      return {
        path: dotted(e.instancePath),
        message: `must be one of: ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    case 'const':
      return { path: dotted(e.instancePath), message: `must be ${JSON.stringify(p.allowedValue)}` };
    case 'format':
      return { path: dotted(e.instancePath), message: formatMessage(String(p.format)) };
    case 'not':
      if (e.schemaPath.includes('/allOf/6/')) {
        return { path: dotted(e.instancePath), message: 'min and max apply only to integer and number settings' };
      }
      if (e.schemaPath.includes('/allOf/8/')) {
        return { path: dotted(e.instancePath), message: 'pattern applies only to string settings' };
      }
      return { path: dotted(e.instancePath), message: 'choices apply only to choice settings' };
    default:
      if (e.propertyName !== undefined) {
        return { path: dotted(e.instancePath, e.propertyName), message: `invalid key: ${e.message ?? ''}` };
      }
      return { path: dotted(e.instancePath), message: e.message ?? 'is invalid' };
  }
}

function formatMessage(format: string): string {
  switch (format) {
    case 'semver':
      return 'must be a semantic version such as 1.2.3';
    case 'semver-range':
      return 'must be a semver range such as ^1.2.0 or >=1.0.0 <2.0.0';
    default:
      return 'must be an http(s) URL';
  }
}

const OTHER_CAPABILITIES = CAPABILITIES.filter((c) => c !== 'http:external').join(', ');

/** Why a permission string is neither a capability nor a custom scope. */
function permissionStringError(perm: string): string | undefined {
  if (perm === 'http:external') {
    return 'http:external needs its allowed hosts: write { "capability": "http:external", "hosts": [...] }';
  }
  if (isCapability(perm) || isCustomScope(perm)) return undefined;
  if (CAPABILITY_NAMESPACES.includes(perm.split(':')[0])) {
    return `unknown capability ${perm.slice(0, 80)}: the capabilities are ${OTHER_CAPABILITIES} and http:external`;
  }
  return (
    `must be a capability (${OTHER_CAPABILITIES}) or a custom scope written resource:action ` +
    '(lower-case letters, digits, _ and -, each part starting with a letter, the action may be *; at most 64 characters)'
  );
}

/** Which of `main`/`runtime`, `website`/`homepage` and `hooks` disagree or do not apply. */
function formatErrors(m: Record<string, unknown>): ManifestError[] {
  const errors: ManifestError[] = [];
  const runtime = isObject(m.runtime) ? m.runtime : undefined;
  if (m.runtime === undefined && m.main === undefined)
    errors.push({ path: 'runtime', message: 'is required (or main)' });
  if (runtime?.type === 'remote') {
    if (m.main !== undefined) errors.push({ path: 'main', message: 'names a sandbox entry; this plugin is remote' });
    if (m.hooks !== undefined) errors.push({ path: 'hooks', message: 'apply to sandbox plugins only' });
  } else if (runtime?.type === 'sandbox' && typeof m.main === 'string' && m.main !== runtime.entry) {
    errors.push({ path: 'main', message: 'must equal runtime.entry (it is its synonym)' });
  }
  if (typeof m.website === 'string' && typeof m.homepage === 'string' && m.website !== m.homepage) {
    errors.push({ path: 'website', message: 'must equal homepage (it is its synonym)' });
  }
  if (isObject(m.hooks)) {
    for (const [step, name] of Object.entries(m.hooks)) {
      if (typeof name === 'string' && name in Object.prototype) {
        errors.push({ path: `hooks.${step}`, message: `${name} is a built-in of every object, not a hook` });
      }
    }
  }
  return errors;
}

/** Duplicate routes, repeated parameter names, and endpoints without the permission to serve them. */
function endpointErrors(m: Record<string, unknown>): ManifestError[] {
  const errors: ManifestError[] = [];
  if (!Array.isArray(m.endpoints)) return errors;
  const shapes = new Map<string, number>();
  m.endpoints.forEach((endpoint: unknown, i) => {
    if (!isObject(endpoint) || typeof endpoint.path !== 'string') return;
    const shape = routeShape(endpoint.path);
    const first = shapes.get(shape);
    if (first !== undefined) {
      errors.push({
        path: `endpoints.${i}.path`,
        message: `the same route as endpoints.${first}: declare all methods of a path in one entry`,
      });
    } else shapes.set(shape, i);
    const params = endpoint.path
      .split('/')
      .filter((s) => s.startsWith(':'))
      .map((s) => s.slice(1));
    if (new Set(params).size !== params.length) {
      errors.push({ path: `endpoints.${i}.path`, message: 'names a parameter twice' });
    }
  });
  const permissions: unknown[] = Array.isArray(m.permissions) ? m.permissions : [];
  if (m.endpoints.length > 0 && !permissions.includes('endpoints:serve')) {
    errors.push({ path: 'endpoints', message: 'serving endpoints needs endpoints:serve in permissions' });
  }
  return errors;
}

/** Rules across fields that the JSON Schema leaves out; each runs only where the shape is already right. */
function crossFieldErrors(m: Record<string, unknown>): ManifestError[] {
  const errors: ManifestError[] = [...formatErrors(m), ...endpointErrors(m)];

  if (Array.isArray(m.permissions)) {
    const seen = new Set<string>();
    m.permissions.forEach((perm, i) => {
      const problem = typeof perm === 'string' ? permissionStringError(perm) : undefined;
      if (problem) errors.push({ path: `permissions.${i}`, message: problem });
      const id = typeof perm === 'string' ? perm : isObject(perm) ? perm.capability : undefined;
      if (typeof id === 'string') {
        if (seen.has(id)) errors.push({ path: `permissions.${i}`, message: `duplicate permission ${id}` });
        seen.add(id);
      }
    });
  }

  if (isObject(m.dependencies) && typeof m.key === 'string' && m.key in m.dependencies) {
    errors.push({ path: `dependencies.${m.key}`, message: 'a plugin cannot depend on itself' });
  }

  if (isObject(m.settings)) {
    for (const [key, def] of Object.entries(m.settings)) {
      if (!isObject(def)) continue;
      const at = (field: string) => `settings.${key}.${field}`;
      const { min, max, default: dflt, choices } = def;
      if (typeof min === 'number' && typeof max === 'number' && min > max) {
        errors.push({ path: at('min'), message: 'must be <= max' });
      }
      if (typeof dflt === 'number') {
        if (typeof min === 'number' && dflt < min) errors.push({ path: at('default'), message: `must be >= ${min}` });
        if (typeof max === 'number' && dflt > max) errors.push({ path: at('default'), message: `must be <= ${max}` });
      }
      if (def.type === 'choice' && Array.isArray(choices)) {
        const values: unknown[] = choices.map((c: unknown) => (isObject(c) ? c.value : c));
        if (dflt !== undefined && !values.includes(dflt)) {
          errors.push({ path: at('default'), message: 'must be one of the choices' });
        }
        const firstAt = values.findIndex((v, i) => values.indexOf(v) !== i);
        if (firstAt !== -1 && choices.some(isObject))
          errors.push({ path: at(`choices.${firstAt}`), message: 'repeats another choice’s value' });
      }
      if (typeof def.pattern === 'string') {
        const problem = patternProblem(def.pattern);
        if (problem) errors.push({ path: at('pattern'), message: problem });
        else if (typeof dflt === 'string' && !matchesPattern(def.pattern, dflt)) {
          errors.push({ path: at('default'), message: 'must match the pattern' });
        }
      }
      if (def.secret === true && dflt !== undefined) {
        errors.push({ path: at('default'), message: 'a secret setting cannot have a default (manifests are public)' });
      }
    }
  }
  return errors;
}

/** A missing key: required, or derived from the publisher (see ValidateManifestOptions). */
function withKey(
  input: Record<string, unknown>,
  options: ValidateManifestOptions,
): { manifest: Record<string, unknown>; error?: ManifestError } {
  if (input.key !== undefined) return { manifest: input };
  if (options.publisher === undefined) return { manifest: input, error: { path: 'key', message: 'is required' } };
  const key = typeof input.name === 'string' ? deriveKey(options.publisher, input.name) : undefined;
  if (key === undefined) {
    const message = `is missing and cannot be derived from publisher ${JSON.stringify(options.publisher)} and this name: give the key`;
    return { manifest: input, error: { path: 'key', message } };
  }
  return { manifest: { key, ...input } };
}

/**
 * Validates an untrusted manifest (parsed JSON) and lists every violation with a dotted path
 * (`settings.batch_size.max`, `permissions.0`, `''` for the root). On success the same object is returned, typed
 * (a copy with the derived `key` when it was missing and `options.publisher` given). Read it through
 * `normalizeManifest`, which resolves the format's synonyms (`main`, `website`, `hooks`).
 */
export function validateManifest(input: unknown, options: ValidateManifestOptions = {}): ManifestValidationResult {
  const errors: ManifestError[] = [];
  if (!validateSchema(input)) {
    for (const e of validateSchema.errors ?? []) {
      const mapped = fromAjv(e);
      if (mapped) errors.push(mapped);
    }
  }
  let manifest = input;
  if (isObject(input)) {
    const keyed = withKey(input, options);
    manifest = keyed.manifest;
    if (keyed.error) errors.push(keyed.error);
    errors.push(...crossFieldErrors(keyed.manifest));
  }

  const unique = new Map<string, ManifestError>();
  for (const e of errors) unique.set(`${e.path}\u0000${e.message}`, e);
  if (unique.size > 0) return { valid: false, errors: [...unique.values()] };
  return { valid: true, manifest: manifest as PluginManifest };
}
