import { MANIFEST_SCHEMA, PLUGIN_KEY_PATTERN } from './manifest.schema.js';

/** The longest plugin key (the schema's `key.maxLength`). */
export const PLUGIN_KEY_MAX_LENGTH: number = MANIFEST_SCHEMA.properties.key.maxLength;
const keyPattern = new RegExp(PLUGIN_KEY_PATTERN);

/**
 * A display name as a key segment: accents dropped (`Café` → `cafe`), lower-case, every run of other characters
 * one `-`, none at either end. `Data Processor v2!` → `data-processor-v2`; `数据` → `` (nothing usable).
 */
export function slugifyName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * The key a manifest without one gets when `publisher` publishes it: `<publisher>.<slugifyName(name)>`, or
 * undefined when that is no valid key (a publisher segment that is not one, a name with nothing usable in it, or
 * longer than PLUGIN_KEY_MAX_LENGTH: such a manifest must give its key).
 */
export function deriveKey(publisher: string, name: string): string | undefined {
  const key = `${publisher}.${slugifyName(name)}`;
  return key.length <= PLUGIN_KEY_MAX_LENGTH && keyPattern.test(key) ? key : undefined;
}
