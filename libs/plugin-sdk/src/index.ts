/**
 * @app/plugin-sdk: the plugin manifest contract and the types plugin authors program against.
 *
 * - `validateManifest(json)` → `{ valid: true, manifest } | { valid: false, errors: [{ path, message }] }`
 * - `MANIFEST_SCHEMA` (JSON Schema), `PluginManifest` and friends
 * - `validateConfig(manifest.settings, values, { partial, pathPrefix })` → config with defaults, or errors;
 *   `splitSecrets`, `maskSecrets` for storing and showing it
 * - `CAPABILITY_CATALOGUE` / `CAPABILITIES` (served at GET /api/permissions/)
 * - `PluginHooks`, `PluginContext`, `PluginMessage`, `PluginEvent`, `HealthCheck`: the sandbox API
 */
export * from './capabilities.js';
export * from './config.validator.js';
export * from './manifest.types.js';
export * from './manifest.schema.js';
export * from './manifest.validator.js';
export * from './permissions.js';
export * from './plugin-api.types.js';
