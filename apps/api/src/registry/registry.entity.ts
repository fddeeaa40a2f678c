/**
 * The registry's entities and enums. Schemas, DTOs, services and repositories import them from here, never from
 * each other.
 */

export const PLUGIN_SCOPES = ['private', 'org', 'public'] as const;
export type PluginScope = (typeof PLUGIN_SCOPES)[number];

export const OWNER_TYPES = ['user', 'org', 'system'] as const;
/** `system` owns the builtin and sample plugins shipped in `plugins/`; only platform admins manage them. */
export type OwnerType = (typeof OWNER_TYPES)[number];

export const PLUGIN_SOURCES = ['store', 'builtin'] as const;
export type PluginSource = (typeof PLUGIN_SOURCES)[number];

export const VERSION_STATUSES = ['draft', 'pending', 'approved', 'rejected'] as const;
export type VersionStatus = (typeof VERSION_STATUSES)[number];

/** The four files a plugin version may carry besides its manifest. */
export const FILE_ROLES = ['runner', 'readme', 'icon', 'shape'] as const;
export type FileRole = (typeof FILE_ROLES)[number];

export const PLUGIN_ORDERINGS = [
  'name',
  '-name',
  'key',
  '-key',
  'downloads',
  '-downloads',
  'rating',
  '-rating',
  'updated_at',
  '-updated_at',
] as const;
export type PluginOrdering = (typeof PLUGIN_ORDERINGS)[number];

export const PLUGIN_MIXINS = ['settings', 'events', 'messaging', 'storage', 'http', 'remote'] as const;

export interface DistTags {
  /** The newest approved, non-yanked release (no prerelease part). */
  latest: string | null;
  /** The newest approved, non-yanked prerelease. */
  next: string | null;
}

export interface VersionState {
  version: string;
  status: VersionStatus;
  yanked: boolean;
}

/** A version's place in the review process, as the admin overview lists it. */
export interface VersionReviewState extends VersionState {
  submittedAt: Date | null;
  reviewedBy: string | null;
  reviewedAt: Date | null;
  reviewNotes: string | null;
  publishedAt: Date;
}

export interface PluginStats {
  downloads: number;
  rating: number;
  reviews: number;
}

export interface ListingFields {
  name: string;
  description: string;
  category: string | null;
  tags: string[];
  homepage: string | null;
  repository: string | null;
  icon: string | null;
}

/** What a manifest gives its plugin's listing (manifest-info.ts derives it). */
export interface ManifestListing extends ListingFields {
  author: string | null;
  license: string | null;
  mixins: string[];
  dependencies: string[];
}

/** The fields of a plugin the visibility rules look at. */
export interface Ownership {
  ownerType: OwnerType;
  ownerId: string | null;
  scope: PluginScope;
  hasApproved: boolean;
  deletedAt: Date | null;
}

export interface Plugin extends ListingFields, Ownership {
  key: string;
  /** Listing fields edited with PATCH since creation; the next publish keeps them. */
  editedFields: Array<keyof ListingFields>;
  author: string | null;
  license: string | null;
  verified: boolean;
  killed: boolean;
  killedReason: string | null;
  /** The killed versions while killed; empty means every version. */
  killedVersions: string[];
  killedBy: string | null;
  killedAt: Date | null;
  /** When the kill switch last changed (killed or revived). */
  killChangedAt: Date | null;
  verifiedBy: string | null;
  verifiedAt: Date | null;
  verifiedNotes: string | null;
  status: VersionStatus;
  distTags: DistTags;
  displayVersion: string | null;
  lastPublishedAt: Date | null;
  stats: PluginStats;
  isBuiltin: boolean;
  isSample: boolean;
  source: PluginSource;
  mixins: string[];
  dependencies: string[];
  createdBy: string | null;
  deletedBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface VersionFile {
  role: FileRole;
  path: string;
  size: number;
  sha256: string;
}

export interface PluginVersion {
  key: string;
  version: string;
  prerelease: boolean;
  status: VersionStatus;
  manifest: Record<string, unknown>;
  files: VersionFile[];
  size: number;
  checksum: string;
  integrity: string;
  deprecated: string | null;
  yanked: boolean;
  yankedAt: Date | null;
  downloads: number;
  reviewNotes: string | null;
  reviewedBy: string | null;
  reviewedAt: Date | null;
  submittedAt: Date | null;
  publishedBy: string | null;
  publishedAt: Date;
}

export interface Artifact {
  bytes: Buffer;
  size: number;
  checksum: string;
  integrity: string;
}

/** A plugin as the installation module resolves against it, for one caller. */
export interface InstallablePlugin {
  plugin: Plugin;
  /** Versions the caller may install: approved ones, and for its managers their drafts and pending ones too. */
  versions: PluginVersion[];
  /** The caller manages the plugin. */
  manages: boolean;
  /** dist-tags as the caller sees them: for its managers computed over every version they may install. */
  distTags: DistTags;
}

/** What the runtime needs of a version: its manifest and the text of its runner (null when it has none). */
export interface LoadablePackage {
  manifest: Record<string, unknown>;
  runner: string | null;
}

export interface PluginRating {
  id: string;
  key: string;
  userId: string;
  rating: number;
  text: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewPlugin extends ListingFields {
  key: string;
  author: string | null;
  license: string | null;
  ownerType: OwnerType;
  ownerId: string | null;
  scope: PluginScope;
  status: VersionStatus;
  isBuiltin: boolean;
  isSample: boolean;
  source: PluginSource;
  createdBy: string | null;
}

export interface NewVersion {
  key: string;
  version: string;
  versionKey: string;
  prerelease: boolean;
  status: VersionStatus;
  manifest: Record<string, unknown>;
  files: Array<VersionFile & { content: Buffer }>;
  artifact: Artifact;
  publishedBy: string | null;
  reviewedBy?: string | null;
}

/** Changes to a version's mutable fields (its content never changes). */
export type VersionChanges = Partial<{
  status: VersionStatus;
  deprecated: string | null;
  yanked: boolean;
  yankedAt: Date | null;
  submittedAt: Date;
  reviewNotes: string | null;
  reviewedBy: string | null;
  reviewedAt: Date | null;
}>;

/** Plugin fields derived from the versions (dist-tags, status, listing of the displayed manifest). */
export interface DerivedFields {
  status: VersionStatus;
  hasApproved: boolean;
  distTags: DistTags;
  displayVersion: string | null;
  lastPublishedAt: Date | null;
  listing?: ManifestListing;
}

export interface CatalogCriteria {
  search?: string;
  category?: string;
  tags?: string[];
  author?: string;
  scope?: PluginScope;
  verified?: boolean;
  minRating?: number;
  builtin?: boolean;
  sample?: boolean;
  mixin?: string;
  /** Only these keys / none of these keys (installed and active filters). */
  keysIn?: string[];
  keysNotIn?: string[];
}

/** The admin overview's filters: the catalog's, plus the kill switch and the owner (user or organisation id). */
export interface OverviewCriteria extends CatalogCriteria {
  killed?: boolean;
  ownerId?: string;
}

export interface VerifiedChange {
  verified: boolean;
  by: string;
  at: Date;
  notes: string | null;
}

export interface KillChange {
  killed: boolean;
  /** The versions killed (empty: every version); ignored on a revive. */
  versions: string[];
  reason: string;
  by: string;
  at: Date;
}

export type ReviewDecision = 'approved' | 'rejected';

// ---- events ---------------------------------------------------------------------------------------------------

export interface PluginPublishedEvent {
  key: string;
  version: string;
  status: VersionStatus;
  /** True when this version created the plugin. */
  created: boolean;
  /** The publisher's user id; null for plugins shipped with the server. */
  publishedBy: string | null;
  at: Date;
}

export interface VersionReviewedEvent {
  key: string;
  version: string;
  decision: ReviewDecision;
  reviewerId: string;
  /** Whom to tell: the plugin's owner. */
  ownerType: OwnerType;
  ownerId: string | null;
  notes: string | null;
  at: Date;
}

/** A version's owners yanked or restored it, or set or removed its deprecation (PATCH …/versions/{version}/). */
export interface VersionChangedEvent {
  key: string;
  version: string;
  /** What changed. */
  changes: Array<'yanked' | 'deprecated'>;
  /** The version's state after the change. */
  yanked: boolean;
  deprecated: string | null;
  /** Who changed it. */
  by: string;
  at: Date;
}

declare module '@app/common' {
  interface PlughubEvents {
    /** A version was published (new plugin, new version, or a shipped plugin registered at start). */
    'plugin.published': PluginPublishedEvent;
    /** A reviewer approved or rejected a version. */
    'version.reviewed': VersionReviewedEvent;
    /** A version was yanked or restored, deprecated or undeprecated. */
    'version.changed': VersionChangedEvent;
  }
}
