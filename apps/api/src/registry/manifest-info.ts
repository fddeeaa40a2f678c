import type { ManifestListing } from './registry.entity.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function capabilities(m: Json): string[] {
  if (!Array.isArray(m.permissions)) return [];
  return m.permissions
    .map((p) => (typeof p === 'string' ? p : isObject(p) ? p.capability : undefined))
    .filter((p): p is string => typeof p === 'string');
}

/**
 * InvenTree-style mixins, derived from what a (valid) manifest declares: each names a family of platform
 * features the plugin uses, and is what the catalog's `mixin` filter matches.
 */
export function mixinsOf(m: Json): string[] {
  const caps = capabilities(m);
  const events = isObject(m.events) ? m.events : {};
  const out: string[] = [];
  if (isObject(m.settings) && Object.keys(m.settings).length > 0) out.push('settings');
  if (
    caps.some((c) => c.startsWith('events:')) ||
    (Array.isArray(events.emits) && events.emits.length > 0) ||
    (Array.isArray(events.subscribes) && events.subscribes.length > 0)
  ) {
    out.push('events');
  }
  if (caps.some((c) => c.startsWith('messages:'))) out.push('messaging');
  if (caps.some((c) => c.startsWith('storage:'))) out.push('storage');
  if (caps.includes('http:external')) out.push('http');
  if (isObject(m.runtime) && m.runtime.type === 'remote') out.push('remote');
  return out;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** The listing fields, author, licence, mixins and dependency keys a manifest gives its plugin. */
export function listingOf(m: Json): ManifestListing {
  return {
    name: typeof m.name === 'string' ? m.name : String(m.key),
    description: typeof m.description === 'string' ? m.description : '',
    category: str(m.category),
    tags: Array.isArray(m.tags) ? m.tags.filter((t): t is string => typeof t === 'string') : [],
    homepage: str(m.homepage) ?? str(m.website), // website: seed 002's word for it
    repository: str(m.repository),
    icon: str(m.icon),
    author: str(m.author),
    license: str(m.license),
    mixins: mixinsOf(m),
    dependencies: isObject(m.dependencies) ? Object.keys(m.dependencies).sort() : [],
  };
}
