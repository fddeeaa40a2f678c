import { Ajv, type ErrorObject } from 'ajv';
import semver from 'semver';
import { MANIFEST_SCHEMA } from './manifest.schema.js';
import type { ManifestError, ManifestValidationResult, PluginManifest } from './manifest.types.js';

const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
ajv.addFormat('semver', { type: 'string', validate: (s: string) => semver.valid(s) === s });
ajv.addFormat('semver-range', {
  type: 'string',
  validate: (s: string) => s.trim() !== '' && semver.validRange(s) !== null,
});
ajv.addFormat('http-url', { type: 'string', validate: isHttpUrl });

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

/** Rules across fields that the JSON Schema leaves out; each runs only where the shape is already right. */
function crossFieldErrors(m: Record<string, unknown>): ManifestError[] {
  const errors: ManifestError[] = [];

  if (Array.isArray(m.permissions)) {
    const seen = new Set<string>();
    m.permissions.forEach((perm, i) => {
      if (perm === 'http:external') {
        errors.push({
          path: `permissions.${i}`,
          message: 'http:external needs its allowed hosts: write { "capability": "http:external", "hosts": [...] }',
        });
      }
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
      if (def.type === 'choice' && Array.isArray(choices) && dflt !== undefined && !choices.includes(dflt)) {
        errors.push({ path: at('default'), message: 'must be one of the choices' });
      }
      if (def.secret === true && dflt !== undefined) {
        errors.push({ path: at('default'), message: 'a secret setting cannot have a default (manifests are public)' });
      }
    }
  }
  return errors;
}

/**
 * Validates an untrusted manifest (parsed JSON) and lists every violation with a dotted path
 * (`settings.batch_size.max`, `permissions.0`, `''` for the root). On success the same object is returned, typed.
 */
export function validateManifest(input: unknown): ManifestValidationResult {
  const errors: ManifestError[] = [];
  if (!validateSchema(input)) {
    for (const e of validateSchema.errors ?? []) {
      const mapped = fromAjv(e);
      if (mapped) errors.push(mapped);
    }
  }
  if (isObject(input)) errors.push(...crossFieldErrors(input));

  // A bare "http:external" already gets a precise message; drop the generic enum complaint about the same item.
  const precise = new Set(errors.filter((e) => e.message.startsWith('http:external needs')).map((e) => e.path));
  const unique = new Map<string, ManifestError>();
  for (const e of errors) {
    if (precise.has(e.path) && !e.message.startsWith('http:external needs')) continue;
    unique.set(`${e.path}\u0000${e.message}`, e);
  }
  if (unique.size > 0) return { valid: false, errors: [...unique.values()] };
  return { valid: true, manifest: input as PluginManifest };
}
