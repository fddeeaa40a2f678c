import type { Types } from 'mongoose';
import { toSet } from '@app/database';
import type {
  ListingFields,
  ManifestListing,
  Plugin,
  PluginRating,
  PluginVersion,
  VersionChanges,
  VersionReviewState,
} from '../registry.entity.js';
import type { PluginReviewDoc } from './plugin-review.schema.js';
import type { PluginVersionDoc } from './plugin-version.schema.js';
import type { PluginDoc } from './plugin.schema.js';

export type PluginLean = PluginDoc & { _id: Types.ObjectId };
export type VersionLean = PluginVersionDoc & { _id: Types.ObjectId };
export type ReviewLean = PluginReviewDoc & { _id: Types.ObjectId };

const LISTING_FIELDS: ReadonlyArray<keyof ListingFields> = [
  'name',
  'description',
  'category',
  'tags',
  'homepage',
  'repository',
  'icon',
];
export const isListingField = (f: unknown): f is keyof ListingFields =>
  (LISTING_FIELDS as readonly unknown[]).includes(f);

/** Lower-cased text the `search` filter matches against. */
export function searchText(p: { key: string; name: string; description: string; tags: string[] }): string {
  return [p.key, p.name, p.description, ...p.tags].join('\n').toLowerCase();
}

/** How many of a search's trigrams go into its index condition: any of them bounds the scan, the rarest best. */
const MAX_QUERY_GRAMS = 8;

/**
 * The distinct trigrams (three code points) of a text: a substring's trigrams are among its text's, so a search is
 * first narrowed by an indexed trigram and then checked as a substring. Texts shorter than three have none.
 */
export function trigrams(text: string): string[] {
  const points = Array.from(text);
  const grams = new Set<string>();
  for (let i = 0; i + 3 <= points.length; i++) grams.add(points[i] + points[i + 1] + points[i + 2]);
  return [...grams];
}

/** The trigrams of a (lower-cased) search that its index condition names: at most MAX_QUERY_GRAMS, spread out. */
export function searchGrams(search: string): string[] {
  const grams = trigrams(search);
  if (grams.length <= MAX_QUERY_GRAMS) return grams;
  const step = grams.length / MAX_QUERY_GRAMS;
  return Array.from({ length: MAX_QUERY_GRAMS }, (_, i) => grams[Math.floor(i * step)]);
}

/** The stored fields a manifest's listing sets on its plugin. */
export function listingFields(
  key: string,
  l: Partial<ManifestListing> & Pick<ManifestListing, 'name' | 'description' | 'tags'>,
) {
  return {
    name: l.name,
    description: l.description,
    category: l.category,
    tags: l.tags,
    homepage: l.homepage,
    repository: l.repository,
    icon: l.icon,
    author: l.author,
    author_lc: l.author === undefined ? undefined : (l.author?.toLowerCase() ?? null),
    license: l.license,
    mixins: l.mixins,
    dependencies: l.dependencies,
    ...searchFields(searchText({ key, ...l })),
  };
}

/** The search text and the trigrams indexed for it. */
export function searchFields(text: string): { search_text: string; search_grams: string[] } {
  return { search_text: text, search_grams: trigrams(text) };
}

export const toPlugin = (d: PluginLean): Plugin => ({
  key: d.key,
  name: d.name,
  description: d.description,
  category: d.category ?? null,
  tags: d.tags ?? [],
  homepage: d.homepage ?? null,
  repository: d.repository ?? null,
  icon: d.icon ?? null,
  author: d.author ?? null,
  license: d.license ?? null,
  editedFields: (d.edited_fields ?? []).filter(isListingField),
  ownerType: d.owner_type,
  ownerId: d.owner_id ?? null,
  scope: d.scope,
  verified: d.verified ?? false,
  killed: d.killed ?? false,
  killedReason: d.killed_reason ?? null,
  killedVersions: d.killed_versions ?? [],
  killedBy: d.killed_by ?? null,
  killedAt: d.killed_at ?? null,
  killChangedAt: d.kill_changed_at ?? null,
  verifiedBy: d.verified_by ?? null,
  verifiedAt: d.verified_at ?? null,
  verifiedNotes: d.verified_notes ?? null,
  status: d.status,
  hasApproved: d.has_approved ?? false,
  distTags: { latest: d.dist_tags?.latest ?? null, next: d.dist_tags?.next ?? null },
  displayVersion: d.display_version ?? null,
  lastPublishedAt: d.last_published_at ?? null,
  stats: {
    downloads: d.stats?.downloads ?? 0,
    rating: d.stats?.rating ?? 0,
    reviews: d.stats?.reviews ?? 0,
  },
  isBuiltin: d.is_builtin ?? false,
  isSample: d.is_sample ?? false,
  source: d.source ?? 'store',
  mixins: d.mixins ?? [],
  dependencies: d.dependencies ?? [],
  createdBy: d.created_by ?? null,
  deletedAt: d.deleted_at ?? null,
  deletedBy: d.deleted_by ?? null,
  createdAt: d.created_at,
  updatedAt: d.updated_at,
});

/** A version's review state: what the admin overview lists of each version, and the part of `toVersion` it shares. */
export const toReviewState = (d: VersionLean): VersionReviewState => ({
  version: d.version,
  status: d.status,
  yanked: d.yanked ?? false,
  submittedAt: d.submitted_at ?? null,
  reviewedBy: d.reviewed_by ?? null,
  reviewedAt: d.reviewed_at ?? null,
  reviewNotes: d.review_notes ?? null,
  publishedAt: d.published_at,
});

export const toVersion = (d: VersionLean): PluginVersion => ({
  ...toReviewState(d),
  key: d.plugin_key,
  prerelease: d.prerelease,
  manifest: d.manifest,
  files: (d.files ?? []).map((f) => ({ role: f.role, path: f.path, size: f.size, sha256: f.sha256 })),
  size: d.size,
  checksum: d.checksum,
  integrity: d.integrity,
  deprecated: d.deprecated ?? null,
  yankedAt: d.yanked_at ?? null,
  downloads: d.downloads ?? 0,
  publishedBy: d.published_by ?? null,
});

const VERSION_FIELDS: Record<keyof VersionChanges, keyof PluginVersionDoc> = {
  status: 'status',
  deprecated: 'deprecated',
  yanked: 'yanked',
  yankedAt: 'yanked_at',
  submittedAt: 'submitted_at',
  reviewNotes: 'review_notes',
  reviewedBy: 'reviewed_by',
  reviewedAt: 'reviewed_at',
};

/** The `$set` of a version change; undefined fields are left alone. */
export const toVersionSet = (changes: VersionChanges): Record<string, unknown> => toSet(VERSION_FIELDS, changes);

export const toRating = (d: ReviewLean): PluginRating => ({
  id: String(d._id),
  key: d.plugin_key,
  userId: d.user_id,
  rating: d.rating,
  text: d.text ?? '',
  createdAt: d.created_at,
  updatedAt: d.updated_at,
});
