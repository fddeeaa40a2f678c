import type { SettingDefinition } from './manifest.types.js';
import { choiceValues, matchesPattern } from './setting-rules.js';

export interface ConfigError {
  /** `<prefix><key>`, e.g. `config.batch_size` with the prefix `config.`. */
  path: string;
  message: string;
}

export type ConfigValidationResult =
  { valid: true; config: Record<string, unknown> } | { valid: false; errors: ConfigError[] };

export interface ConfigValidationOptions {
  /** Only the given keys are checked and nothing is required (PATCH). Defaults are not filled in. */
  partial?: boolean;
  /** Prepended to every error path (e.g. `config.`). */
  pathPrefix?: string;
}

/** The placeholder the API shows instead of a secret value. */
export const SECRET_MASK = '***hidden***';

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function typeError(def: SettingDefinition, value: unknown): string | undefined {
  switch (def.type) {
    case 'string':
      if (typeof value !== 'string') return 'must be a string';
      return def.pattern === undefined || matchesPattern(def.pattern, value) ? undefined : 'must match the pattern';
    case 'integer':
      return Number.isSafeInteger(value) ? undefined : 'must be an integer';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'must be a number';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    case 'choice':
      return choiceValues(def).includes(value as string | number)
        ? undefined
        : `must be one of: ${choiceValues(def)
            .map((c) => JSON.stringify(c))
            .join(', ')}`;
    case 'json':
      return isJson(value) ? undefined : 'must be JSON (objects, arrays, strings, numbers, booleans, null)';
  }
}

function isJson(value: unknown, depth = 0): boolean {
  if (depth > 64) return false;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((v) => isJson(v, depth + 1));
  if (isPlainObject(value)) return Object.values(value).every((v) => isJson(v, depth + 1));
  return false;
}

/**
 * Checks installation settings against the manifest's `settings` schema: unknown keys, types, bounds, choices,
 * required keys. On success returns the config with defaults filled in for missing keys (not in `partial` mode).
 * `null` clears a key (then its default applies, or `required` fails).
 */
export function validateConfig(
  settings: Record<string, SettingDefinition> | undefined,
  values: unknown,
  options: ConfigValidationOptions = {},
): ConfigValidationResult {
  const schema = settings ?? {};
  const prefix = options.pathPrefix ?? '';
  if (!isPlainObject(values))
    return { valid: false, errors: [{ path: prefix.replace(/\.$/, ''), message: 'must be an object' }] };
  const errors: ConfigError[] = [];
  const config: Record<string, unknown> = {};

  for (const [key, value] of Object.entries(values)) {
    const def = Object.prototype.hasOwnProperty.call(schema, key) ? schema[key] : undefined;
    if (!def) {
      errors.push({ path: prefix + key, message: 'is not a setting of this plugin' });
      continue;
    }
    if (value === null || value === undefined) continue;
    const problem = typeError(def, value);
    if (problem) {
      errors.push({ path: prefix + key, message: problem });
      continue;
    }
    if (typeof value === 'number') {
      if (def.min !== undefined && value < def.min)
        errors.push({ path: prefix + key, message: `must be >= ${def.min}` });
      if (def.max !== undefined && value > def.max)
        errors.push({ path: prefix + key, message: `must be <= ${def.max}` });
    }
    config[key] = value;
  }

  if (!options.partial) {
    for (const [key, def] of Object.entries(schema)) {
      if (key in config) continue;
      if (def.default !== undefined) config[key] = def.default;
      else if (def.required) errors.push({ path: prefix + key, message: 'is required' });
    }
  }
  return errors.length > 0 ? { valid: false, errors } : { valid: true, config };
}

/** Splits a validated config into plain values and secrets (to encrypt at rest, and for LoadSpec.secrets). */
export function splitSecrets(
  settings: Record<string, SettingDefinition> | undefined,
  config: Record<string, unknown>,
): { config: Record<string, unknown>; secrets: Record<string, unknown> } {
  const plain: Record<string, unknown> = {};
  const secrets: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) (settings?.[key]?.secret ? secrets : plain)[key] = value;
  return { config: plain, secrets };
}

/** The config as the API shows it: secrets that are set become SECRET_MASK. */
export function maskSecrets(
  settings: Record<string, SettingDefinition> | undefined,
  config: Record<string, unknown>,
): Record<string, unknown> {
  const masked: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    masked[key] = settings?.[key]?.secret && value !== undefined && value !== null ? SECRET_MASK : value;
  }
  return masked;
}
