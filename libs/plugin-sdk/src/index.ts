/**
 * @app/plugin-sdk: the plugin manifest contract and the types plugin authors program against.
 *
 * - `validateManifest(json, { publisher? })` → `{ valid: true, manifest } | { valid: false, errors: [{ path, message }] }`
 * - `normalizeManifest(manifest)`: the resolved runtime, hook function per step, homepage, and the permissions
 *   split into capabilities and custom scopes; what every consumer reads
 * - `MANIFEST_SCHEMA` (JSON Schema), `PluginManifest` and friends; `deriveKey`, `slugifyName`
 * - `matchEndpoint(endpoints, method, path)`: the route a plugin endpoint request goes to
 * - `validateConfig(manifest.settings, values, { partial, pathPrefix })` → config with defaults, or errors;
 *   `splitSecrets`, `maskSecrets` for storing and showing it
 * - `CAPABILITY_CATALOGUE` / `CAPABILITIES` (served at GET /api/permissions/); `isCapability`, `isCustomScope`,
 *   `splitPermissions`
 * - `PluginHooks`, `PluginContext`, `PluginMessage`, `PluginEvent`, `PluginRequest`, `PluginResponse`,
 *   `HealthCheck`: the sandbox API
 */
export * from './capabilities.js';
export * from './config.validator.js';
export * from './endpoints.js';
export * from './manifest.types.js';
export * from './manifest.schema.js';
export * from './manifest.validator.js';
export * from './normalize.js';
export * from './permissions.js';
export * from './setting-rules.js';
export * from './plugin-api.types.js';
export * from './plugin-key.js';
