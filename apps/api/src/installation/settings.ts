import type { FieldError } from '@app/common';
import { type SettingDefinition, validateConfig } from '@app/plugin-sdk';

export type SettingsSchema = Record<string, SettingDefinition> | undefined;

/**
 * The setting values an install is given, checked against the manifest's settings schema: unknown keys, types,
 * bounds and choices are errors (`<field>.<key>`, every one at once); `required` is not checked here (an
 * installation may be installed unconfigured, and only activation needs its required settings). Defaults fill
 * what is not given; secret settings come out apart, for the caller to seal.
 */
export function settingsAtInstall(
  settings: SettingsSchema,
  given: Record<string, unknown> | undefined,
  field = 'config',
): { config: Record<string, unknown>; secrets: Record<string, unknown>; errors: FieldError[] } {
  const result = validateConfig(settings, given ?? {}, { partial: true, pathPrefix: `${field}.` });
  if (!result.valid) {
    return { config: {}, secrets: {}, errors: result.errors.map((e) => ({ field: e.path, message: e.message })) };
  }
  const config: Record<string, unknown> = {};
  const secrets: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(settings ?? {})) {
    const value = Object.prototype.hasOwnProperty.call(result.config, key) ? result.config[key] : def.default;
    if (value === undefined) continue;
    (def.secret ? secrets : config)[key] = value;
  }
  return { config, secrets, errors: [] };
}

/** The required settings that have no value (neither a plain value nor a stored secret), in schema order. */
export function missingRequired(
  settings: SettingsSchema,
  config: Record<string, unknown>,
  secretKeys: readonly string[],
): string[] {
  const secrets = new Set(secretKeys);
  return Object.entries(settings ?? {})
    .filter(([key, def]) => def.required && (def.secret ? !secrets.has(key) : config[key] === undefined))
    .map(([key]) => key);
}

/**
 * Settings across a version change (an update, a dependency raised by an install, a reinstall): values the new
 * schema still accepts are kept, defaults of new settings fill in, values of settings that are gone or no longer
 * fit are dropped. A secret is kept only while its setting is still secret (a setting that changed between plain
 * and secret starts empty: never shown in clear, never sealed from clear by accident).
 */
export function settingsAcrossVersions(
  settings: SettingsSchema,
  config: Record<string, unknown>,
  secretKeys: readonly string[],
): { config: Record<string, unknown>; keptSecrets: string[] } {
  const schema = settings ?? {};
  const next: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(schema)) {
    if (def.secret) continue;
    const value = config[key];
    const fits = value !== undefined && validateConfig({ [key]: def }, { [key]: value }, { partial: true }).valid;
    if (fits) next[key] = value;
    else if (def.default !== undefined) next[key] = def.default;
  }
  return { config: next, keptSecrets: secretKeys.filter((key) => schema[key]?.secret === true) };
}
