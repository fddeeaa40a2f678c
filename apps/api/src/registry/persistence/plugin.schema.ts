import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import {
  OWNER_TYPES,
  type OwnerType,
  PLUGIN_SCOPES,
  PLUGIN_SOURCES,
  type PluginScope,
  type PluginSource,
  VERSION_STATUSES,
  type VersionStatus,
} from '../registry.entity.js';
import { PropDefault, PropNullableDate, PropNullableString, PropRequired, PropStringList } from '@app/database';

@Schema({ _id: false })
export class PluginStatsDoc {
  @PropDefault(0)
  downloads: number;

  /** Average rating, rounded to two decimals; always `rating_sum / reviews` at the time it was written. */
  @PropDefault(0)
  rating: number;

  @PropDefault(0)
  reviews: number;

  @PropDefault(0)
  rating_sum: number;
}
const PluginStatsSchema = SchemaFactory.createForClass(PluginStatsDoc);

@Schema({ _id: false })
export class DistTagsDoc {
  @PropNullableString()
  latest: string | null;

  @PropNullableString()
  next: string | null;
}
const DistTagsSchema = SchemaFactory.createForClass(DistTagsDoc);

@Schema({ collection: 'plugins', timestamps: { createdAt: 'created_at', updatedAt: 'updated_at' } })
export class PluginDoc {
  /** `publisher.name`, unique forever: an unpublished plugin keeps its key. */
  @Prop({ required: true, unique: true })
  key: string;

  @PropRequired()
  name: string;

  @PropDefault('')
  description: string;

  @Prop({ type: String, default: null, index: true })
  category: string | null;

  @Prop({ type: [String], default: [], index: true })
  tags: string[];

  @PropNullableString()
  author: string | null;

  /** Lower-cased author, for the case-insensitive `author` filter. */
  @Prop({ type: String, default: null, index: true })
  author_lc: string | null;

  @PropNullableString()
  license: string | null;

  @PropNullableString()
  homepage: string | null;

  @PropNullableString()
  repository: string | null;

  @PropNullableString()
  icon: string | null;

  @Prop({ type: String, enum: OWNER_TYPES, required: true })
  owner_type: OwnerType;

  /** User id or organisation id as a string; null for system plugins. */
  @Prop({ type: String, default: null, index: true })
  owner_id: string | null;

  @Prop({ type: String, enum: PLUGIN_SCOPES, required: true })
  scope: PluginScope;

  @PropDefault(false)
  verified: boolean;

  @PropDefault(false)
  killed: boolean;

  @PropNullableString()
  killed_reason: string | null;

  /** Who marked the plugin verified (or unverified) last, when, and why. */
  @PropNullableString()
  verified_by: string | null;

  @PropNullableDate()
  verified_at: Date | null;

  @PropNullableString()
  verified_notes: string | null;

  /** The killed versions; empty while killed means every version. */
  @PropStringList()
  killed_versions: string[];

  @PropNullableString()
  killed_by: string | null;

  @PropNullableDate()
  killed_at: Date | null;

  /**
   * When the kill switch last changed (killed or revived): each node's kill watcher reads the plugins changed
   * since it last looked, through this index, about once a second.
   */
  @Prop({ type: Date, default: null, index: { sparse: true } })
  kill_changed_at: Date | null;

  @Prop({ type: String, enum: VERSION_STATUSES, required: true })
  status: VersionStatus;

  /** At least one version is approved: the plugin may be visible beyond its managers. */
  @PropDefault(false)
  has_approved: boolean;

  @Prop({ type: DistTagsSchema, default: () => ({}) })
  dist_tags: DistTagsDoc;

  /** The version whose manifest the listing fields were last taken from. */
  @PropNullableString()
  display_version: string | null;

  @PropNullableDate()
  last_published_at: Date | null;

  @Prop({ type: PluginStatsSchema, default: () => ({}) })
  stats: PluginStatsDoc;

  @Prop({ default: false, index: true })
  is_builtin: boolean;

  @Prop({ default: false, index: true })
  is_sample: boolean;

  @Prop({ type: String, enum: PLUGIN_SOURCES, default: 'store' })
  source: PluginSource;

  /** Mixin names derived from the displayed manifest (settings, events, messaging, storage, http, remote). */
  @Prop({ type: [String], default: [], index: true })
  mixins: string[];

  /** Keys of the plugins the displayed manifest depends on; answers "who depends on X". */
  @Prop({ type: [String], default: [], index: true })
  dependencies: string[];

  /** Listing fields edited with PATCH: the manifest set them at creation, PATCH wins after, so publishing keeps them. */
  @PropStringList()
  edited_fields: string[];

  /** Lower-cased key, name, description and tags: the catalog's `search` is a substring of this field. */
  @PropDefault('')
  search_text: string;

  /** The distinct trigrams of search_text (indexed): a search is narrowed by its rarest trigram first. */
  @PropStringList()
  search_grams: string[];

  /** Who may see it, derived in the database from the fields below (plugin-visibility.query.ts); indexed first. */
  @PropNullableString()
  audience: string | null;

  /** Incremented by every change to the versions; derived fields are only written by the newest change. */
  @PropDefault(0)
  rev: number;

  @PropDefault(0)
  computed_rev: number;

  @PropNullableString()
  created_by: string | null;

  @PropNullableDate()
  deleted_at: Date | null;

  @PropNullableString()
  deleted_by: string | null;

  created_at: Date;
  updated_at: Date;
}
export const PluginSchema = SchemaFactory.createForClass(PluginDoc);
// The catalog: every index starts with the audience (a viewer's few values are merged in sort order), then the
// category where one is filtered on, then the ordering, ending in _id like the sort itself, so a page is read in
// index order and stops early, and a count is the size of index ranges. A search starts from its rarest trigram
// in the one multikey index below; it does not start with the audience, so the writes that re-derive the audience
// (every publish, approval, scope change) leave its hundred-odd entries per plugin where they are.
PluginSchema.index({ audience: 1, key: 1 });
PluginSchema.index({ audience: 1, name: 1, _id: 1 });
PluginSchema.index({ audience: 1, 'stats.downloads': -1, _id: -1 });
PluginSchema.index({ audience: 1, 'stats.rating': -1, _id: -1 });
PluginSchema.index({ audience: 1, updated_at: -1, _id: -1 });
PluginSchema.index({ audience: 1, category: 1, key: 1 });
PluginSchema.index({ audience: 1, category: 1, 'stats.downloads': -1, _id: -1 });
PluginSchema.index({ search_grams: 1 });
// Platform admins read a range of audiences; these serve their orderings and the newest change.
PluginSchema.index({ 'stats.downloads': -1, _id: -1 });
PluginSchema.index({ 'stats.rating': -1, _id: -1 });
PluginSchema.index({ updated_at: -1, _id: -1 });
PluginSchema.index({ name: 1, _id: 1 });
