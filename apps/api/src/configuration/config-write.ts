import type { FieldError } from '@app/common';
import { SECRET_MASK, type SettingDefinition, validateConfig } from '@app/plugin-sdk';

export type SettingsSchema = Record<string, SettingDefinition> | undefined;

/** What is stored for an installation's settings: plain values in clear, secrets only by key (sealed elsewhere). */
export interface StoredSettings {
  config: Record<string, unknown>;
  secretKeys: readonly string[];
}

/** A checked write: the next plain values, the secrets to seal and to drop, and what it changes. */
export interface ConfigWritePlan {
  config: Record<string, unknown>;
  /** Secret values given in clear, to seal for `<installation id>/<key>`; never logged or answered. */
  sealSecrets: Record<string, unknown>;
  /** Secrets cleared (null, or left out of a PUT). */
  dropSecrets: string[];
  /** Keys whose value changes, in schema order (a secret written again counts: its value is not compared). */
  updatedFields: string[];
  /** The changed keys whose setting says `restart_required`: they reach the plugin at its next start. */
  restartRequired: string[];
}

export type ConfigWriteResult = { ok: true; plan: ConfigWritePlan } | { ok: false; errors: FieldError[] };

const own = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Plans a PUT (`replace`: the body is the whole configuration; plain keys left out take their default, secrets left
 * out are cleared, required settings must have a value) or a PATCH (`merge`: only the given keys change) of an
 * installation's settings. Every bad field is reported at once (`<field>.<key>`). A secret given as the mask
 * `***hidden***` keeps its stored value (a client writing back what GET showed changes nothing); the mask for a
 * secret that has no value is an error, never stored as the value. `null` clears a key (its default applies); a
 * required secret cannot be cleared.
 */
export function planConfigWrite(
  settings: SettingsSchema,
  stored: StoredSettings,
  body: unknown,
  mode: 'replace' | 'merge',
  field = 'configuration',
): ConfigWriteResult {
  const schema = settings ?? {};
  const given = typeof body === 'object' && body !== null && !Array.isArray(body) ? { ...body } : body;
  const errors: FieldError[] = [];
  const storedSecrets = new Set(stored.secretKeys);
  const kept = new Set<string>();
  if (typeof given === 'object' && given !== null && !Array.isArray(given)) {
    const values = given as Record<string, unknown>;
    for (const key of Object.keys(values)) {
      if (!own(schema, key) || !schema[key].secret || values[key] !== SECRET_MASK) continue;
      delete values[key];
      if (storedSecrets.has(key)) kept.add(key);
      else errors.push({ field: `${field}.${key}`, message: 'is the mask of a secret that has no value' });
    }
  }
  const checked = validateConfig(schema, given, { partial: true, pathPrefix: `${field}.` });
  if (!checked.valid) errors.push(...checked.errors.map((e) => ({ field: e.path, message: e.message })));
  if (!checked.valid || errors.length) return { ok: false, errors: sortErrors(errors) };

  const values = given as Record<string, unknown>;
  const config: Record<string, unknown> = {};
  const sealSecrets: Record<string, unknown> = {};
  const dropSecrets: string[] = [];
  const updatedFields: string[] = [];
  for (const [key, def] of Object.entries(schema)) {
    const mentioned = own(values, key) || kept.has(key);
    const value = own(checked.config, key) ? checked.config[key] : undefined;
    if (def.secret) {
      if (kept.has(key)) continue;
      if (value !== undefined) {
        sealSecrets[key] = value;
        updatedFields.push(key);
      } else if (mentioned || mode === 'replace') {
        if (def.required) {
          errors.push({ field: `${field}.${key}`, message: 'is required' });
        } else if (storedSecrets.has(key)) {
          dropSecrets.push(key);
          updatedFields.push(key);
        }
      }
      continue;
    }
    let next: unknown;
    if (mode === 'merge' && !mentioned) next = stored.config[key];
    else next = value !== undefined ? value : def.default;
    if (next === undefined && def.required && mode === 'replace') {
      errors.push({ field: `${field}.${key}`, message: 'is required' });
      continue;
    }
    if (next !== undefined) config[key] = next;
    if (!sameJson(next, stored.config[key])) updatedFields.push(key);
  }
  if (errors.length) return { ok: false, errors: sortErrors(errors) };
  const restartRequired = updatedFields.filter((key) => schema[key]?.restart_required === true);
  return { ok: true, plan: { config, sealSecrets, dropSecrets, updatedFields, restartRequired } };
}

function sortErrors(errors: FieldError[]): FieldError[] {
  return [...errors].sort((a, b) => (a.field < b.field ? -1 : a.field > b.field ? 1 : 0));
}
