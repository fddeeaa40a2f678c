import { MANIFEST_SCHEMA } from '@app/plugin-sdk';
import { toOpenApi30 } from './json-schema-to-oas30.js';

/** The component name of the plugin manifest in the contract. */
export const PLUGIN_MANIFEST = 'PluginManifest';

/** A reference to the manifest component, for DTO properties (`@ApiProperty({ allOf: [pluginManifestRef] })`). */
export const pluginManifestRef = { $ref: `#/components/schemas/${PLUGIN_MANIFEST}` };

/** The plugin-sdk manifest JSON Schema as the contract's PluginManifest component (translated once, here). */
export function pluginManifestComponent(): Record<string, unknown> {
  return {
    ...toOpenApi30(MANIFEST_SCHEMA),
    description:
      'A plugin manifest, as the plugin-sdk JSON Schema defines it (libs/plugin-sdk). Versions are semantic ' +
      'versions (`format: semver`), `engines.plughub` and dependency values semver ranges (`semver-range`), ' +
      'URLs http or https (`http-url`). Publishing also checks what a schema cannot say: `min` <= `max`, a ' +
      'default within its bounds and choices, no default on a secret setting.',
  };
}
