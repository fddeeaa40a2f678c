import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { PageWindow, Slice } from '@app/common';
import { countMatching, failedInsertIndex, onDuplicateKey } from '@app/database';
import type { Model } from 'mongoose';
import type { Viewer } from '../../auth/auth.entity.js';
import type {
  CatalogCriteria,
  DerivedFields,
  KillChange,
  ListingFields,
  NewPlugin,
  Plugin,
  PluginOrdering,
  OverviewCriteria,
  PluginScope,
  VerifiedChange,
} from '../registry.entity.js';
import { PluginKeyTakenError } from '../registry.errors.js';
import { CatalogCache } from './catalog-cache.js';
import { catalogFilter, catalogSort } from './catalog.query.js';
import { PluginDoc } from './plugin.schema.js';
import { REFRESH_AUDIENCE, visibilityFilter } from './plugin-visibility.query.js';
import { RegistryWriteEpoch } from './registry-epoch.js';
import {
  isListingField,
  listingFields,
  type PluginLean,
  searchFields,
  searchText,
  toPlugin,
} from './registry.mapper.js';

const LEAN_PLUGIN = { search_text: 0, search_grams: 0 } as const;

/** Download counts noted at most (plugins downloaded since the last write); past it every kept answer goes. */
const DOWNLOADS_NOTED = 10_000;

const byDownloads = (ordering: PluginOrdering | undefined) => ordering === 'downloads' || ordering === '-downloads';

/** A plugin as a bulk import stores it: created, its derived fields written at `rev`, its counters moved. */
export interface ImportedPlugin {
  plugin: NewPlugin;
  rev: number;
  derived: DerivedFields;
  stats: { downloads: number; ratingSum: number; reviews: number; rating: number };
  at: Date;
}

/** The stored fields of a new plugin (its listing, search fields and ownership). */
function newPluginFields(input: NewPlugin) {
  return {
    key: input.key,
    ...listingFields(input.key, input),
    owner_type: input.ownerType,
    owner_id: input.ownerId,
    scope: input.scope,
    status: input.status,
    is_builtin: input.isBuiltin,
    is_sample: input.isSample,
    source: input.source,
    created_by: input.createdBy,
  };
}

/** The `$set` of derived fields written at revision `rev`. */
function derivedSet(key: string, rev: number, fields: DerivedFields): Record<string, unknown> {
  return {
    computed_rev: rev,
    status: fields.status,
    has_approved: fields.hasApproved,
    dist_tags: fields.distTags,
    display_version: fields.displayVersion,
    last_published_at: fields.lastPublishedAt,
    ...(fields.listing ? listingFields(key, fields.listing) : {}),
  };
}

/**
 * The plugins collection: listings, ownership, derived state and running totals. Every write tells the write epoch
 * once it is stored, and the catalog's pages are kept per query for as long as the epoch says nothing changed.
 *
 * A download is not such a write: it moves one plugin's counter, which changes no filter's matches and only the
 * orders by downloads. Pages in another order are kept across it; the count the download left is noted and shown
 * in place of the older one a kept page holds (counts only grow, so the greater is the newer). Pages ordered by
 * downloads are kept only until the next download (the epoch's downloads generation).
 */
@Injectable()
export class PluginRepository implements OnApplicationBootstrap {
  private readonly pages = new CatalogCache<Slice<Plugin>>();
  /** Counts of the catalog's filters, at the write generation (a download changes no filter's matches). */
  private readonly counts = new CatalogCache<number>();
  /** Key → its download count as this node's last download of it left it. */
  private readonly downloads = new Map<string, number>();
  /** A kept page as `catalog` answers it, with the downloads generation it was answered at. */
  private readonly shown = new WeakMap<Slice<Plugin>, { downloads: number; page: Slice<Plugin> }>();

  constructor(
    @InjectModel(PluginDoc.name) private readonly plugins: Model<PluginDoc>,
    private readonly epoch: RegistryWriteEpoch,
  ) {}

  /**
   * Plugins stored before the audience and the search trigrams existed get them, at every start and idempotently:
   * a missing audience marks them (the query is indexed), their trigrams come first, and one update then derives
   * every missing audience in the database, so a start interrupted half-way simply does it again.
   */
  async onApplicationBootstrap(): Promise<void> {
    const stale = await this.plugins
      .find({ audience: null }, { key: 1, search_text: 1 })
      .lean<Array<{ key: string; search_text?: string }>>()
      .exec();
    if (!stale.length) return;
    for (const doc of stale) {
      await this.plugins.updateOne({ key: doc.key }, { $set: searchFields(doc.search_text ?? '') }).exec();
    }
    await this.plugins.collection.updateMany({ audience: null }, REFRESH_AUDIENCE);
    await this.epoch.written();
  }

  /**
   * Re-derives the plugin's audience from its stored owner, scope, approval and deletion, in one atomic update in
   * the database (so concurrent writers cannot leave it behind the fields it is derived from). Called after every
   * write that changes one of them.
   */
  private async refreshAudience(key: string): Promise<void> {
    await this.plugins.collection.updateOne({ key }, REFRESH_AUDIENCE);
  }

  /** A plugin by key, unpublished ones included (their key stays taken). */
  async find(key: string): Promise<Plugin | null> {
    const doc = await this.plugins.findOne({ key }, LEAN_PLUGIN).lean<PluginLean>().exec();
    return doc ? toPlugin(doc) : null;
  }

  /** The plugins of `keys` that exist (unpublished ones included), in no particular order. */
  async findMany(keys: readonly string[]): Promise<Plugin[]> {
    if (!keys.length) return [];
    const docs = await this.plugins
      .find({ key: { $in: [...keys] } }, LEAN_PLUGIN)
      .lean<PluginLean[]>()
      .exec();
    return docs.map(toPlugin);
  }

  /** PluginKeyTakenError when the key exists (the unique index decides races). */
  async create(input: NewPlugin): Promise<Plugin> {
    const doc = await onDuplicateKey(
      () => this.plugins.create(newPluginFields(input)),
      () => new PluginKeyTakenError(input.key),
    );
    await this.refreshAudience(input.key);
    await this.epoch.written();
    return toPlugin(doc.toObject());
  }

  /**
   * Stores many plugins at once, each exactly as `create`, then `writeDerived` at `rev`, then the rating and
   * download counters would leave it (a bulk import, e.g. seeding a large catalog): one insert and one audience
   * update for the lot. PluginKeyTakenError when a key exists; the plugins before it in the list are stored.
   */
  async importMany(entries: readonly ImportedPlugin[]): Promise<void> {
    if (!entries.length) return;
    const docs: Array<PluginLean & { __v: number }> = [];
    for (const e of entries) {
      const doc = new this.plugins({
        ...newPluginFields(e.plugin),
        ...derivedSet(e.plugin.key, e.rev, e.derived),
        stats: {
          downloads: e.stats.downloads,
          rating: e.stats.rating,
          reviews: e.stats.reviews,
          rating_sum: e.stats.ratingSum,
        },
        created_at: e.at,
        updated_at: e.at,
      });
      await doc.validate();
      docs.push({ ...(doc.toObject() as PluginLean), __v: 0 });
    }
    try {
      await onDuplicateKey(
        () => this.plugins.collection.insertMany(docs, { ordered: true }),
        (err) => new PluginKeyTakenError(docs[failedInsertIndex(err)]?.key ?? docs[0].key),
      );
    } finally {
      await this.plugins.collection.updateMany({ key: { $in: docs.map((d) => d.key) } }, REFRESH_AUDIENCE);
      await this.epoch.written();
    }
  }

  async updateListing(key: string, fields: Partial<ListingFields> & { scope?: PluginScope }): Promise<Plugin | null> {
    const current = await this.plugins
      .findOne({ key }, { key: 1, name: 1, description: 1, tags: 1 })
      .lean<PluginLean>()
      .exec();
    if (!current) return null;
    const merged = { key, name: current.name, description: current.description, tags: current.tags, ...fields };
    const edited = Object.keys(fields).filter((f) => isListingField(f) && fields[f] !== undefined);
    const update = {
      $set: { ...fields, ...searchFields(searchText(merged)) },
      ...(edited.length ? { $addToSet: { edited_fields: { $each: edited } } } : {}),
    };
    const updated = await this.plugins.updateOne({ key }, update).exec();
    if (!updated.matchedCount) return null;
    if (fields.scope !== undefined) await this.refreshAudience(key);
    await this.epoch.written();
    return this.find(key);
  }

  async delete(key: string): Promise<void> {
    const deleted = await this.plugins.deleteOne({ key }).exec();
    this.downloads.delete(key);
    await this.epoch.written(deleted.deletedCount > 0);
  }

  async softDelete(key: string, by: string, at: Date): Promise<void> {
    await this.plugins.updateOne({ key, deleted_at: null }, { $set: { deleted_at: at, deleted_by: by } }).exec();
    await this.refreshAudience(key);
    await this.epoch.written();
  }

  async setVerified(key: string, change: VerifiedChange): Promise<Plugin | null> {
    const set = {
      verified: change.verified,
      verified_by: change.by,
      verified_at: change.at,
      verified_notes: change.notes,
    };
    const doc = await this.plugins
      .findOneAndUpdate({ key, deleted_at: null }, { $set: set }, { returnDocument: 'after', projection: LEAN_PLUGIN })
      .lean<PluginLean>()
      .exec();
    await this.epoch.written(!!doc);
    return doc ? toPlugin(doc) : null;
  }

  /**
   * Pulls the kill switch (`killed`) or lifts it; `onlyIfKilled` makes the write conditional on the plugin being
   * killed (a revive). Null when no such plugin (or, with the condition, when it was not killed).
   */
  async setKilled(key: string, change: KillChange, onlyIfKilled = false): Promise<Plugin | null> {
    const set = {
      killed: change.killed,
      killed_versions: change.killed ? change.versions : [],
      killed_reason: change.reason,
      killed_by: change.by,
      killed_at: change.at,
      kill_changed_at: change.at,
    };
    const q: Record<string, unknown> = { key, deleted_at: null };
    if (onlyIfKilled) q.killed = true;
    const doc = await this.plugins
      .findOneAndUpdate(q, { $set: set }, { returnDocument: 'after', projection: LEAN_PLUGIN })
      .lean<PluginLean>()
      .exec();
    await this.epoch.written(!!doc);
    return doc ? toPlugin(doc) : null;
  }

  /** Plugins whose kill switch changed after `since` (the kill watcher's one indexed query), oldest change first. */
  async killChangesSince(since: Date, limit = 500): Promise<Plugin[]> {
    const docs = await this.plugins
      .find({ kill_changed_at: { $gt: since } }, LEAN_PLUGIN)
      .sort({ kill_changed_at: 1 })
      .limit(limit)
      .lean<PluginLean[]>()
      .exec();
    return docs.map(toPlugin);
  }

  /** One page of every live plugin, whoever owns it (the admin overview), filtered and ordered like the catalog. */
  async overview(
    criteria: OverviewCriteria,
    ordering: PluginOrdering | undefined,
    window: PageWindow,
  ): Promise<Slice<Plugin>> {
    const q = catalogFilter({ deleted_at: null }, criteria);
    if (criteria.killed !== undefined) q.killed = criteria.killed;
    if (criteria.ownerId !== undefined) q.owner_id = criteria.ownerId;
    return this.page(q, ordering, window);
  }

  /** Claims a revision number for a change to the plugin's versions. */
  async bumpRev(key: string): Promise<number> {
    const doc = await this.plugins
      .findOneAndUpdate(
        { key },
        { $inc: { rev: 1 } },
        { returnDocument: 'after', projection: { rev: 1 }, timestamps: false },
      )
      .lean<{ rev: number }>()
      .exec();
    return doc?.rev ?? 0;
  }

  /** Writes derived fields unless a newer revision already has. */
  async writeDerived(key: string, rev: number, fields: DerivedFields): Promise<void> {
    const set = derivedSet(key, rev, fields);
    const written = await this.plugins.updateOne({ key, computed_rev: { $lt: rev } }, { $set: set }).exec();
    if (written.modifiedCount) await this.refreshAudience(key);
    await this.epoch.written(written.modifiedCount > 0);
  }

  /**
   * One page of the plugins the viewer may see, filtered, in the requested order (from an index where one fits).
   * The page is shared with other reads of the same query (it must not be changed): the same object while no
   * registry write and no download happened.
   */
  async catalog(
    viewer: Viewer,
    criteria: CatalogCriteria,
    ordering: PluginOrdering | undefined,
    window: PageWindow,
  ): Promise<Slice<Plugin>> {
    const q = catalogFilter(visibilityFilter(viewer), criteria);
    // The query itself is the key: two callers whose visibility filters are equal share the answer. Its count does
    // not depend on the order, the window or downloads: every page and order of one filter shares one.
    const filter = JSON.stringify(q);
    const key = JSON.stringify([filter, catalogSort(ordering), window.offset, window.limit]);
    const { writes, downloads } = await this.epoch.generations();
    const page = await this.pages.get(key, byDownloads(ordering) ? downloads : writes, () =>
      this.page(
        q,
        ordering,
        window,
        this.counts.get(filter, writes, () => countMatching(this.plugins, q)),
      ),
    );
    return this.shownAt(page, downloads);
  }

  /**
   * The kept page with the download counts this node noted, as one object per page and downloads generation: the
   * same object again while nothing was downloaded, so what is built from it can be kept with it (plugin-views.ts).
   */
  private shownAt(page: Slice<Plugin>, downloads: number): Slice<Plugin> {
    const known = this.shown.get(page);
    if (known?.downloads === downloads) return known.page;
    const items = page.items.map((p) => this.withDownloads(p));
    const shown = items.every((p, i) => p === page.items[i]) ? page : { count: page.count, items };
    this.shown.set(page, { downloads, page: shown });
    return shown;
  }

  /** How the kept catalog pages served so far: hits, misses (database reads) and pages kept (a bench's figures). */
  catalogCacheStats(): { hits: number; misses: number; kept: number } {
    return { hits: this.pages.hits, misses: this.pages.misses, kept: this.pages.count };
  }

  /** The plugin with the download count this node last counted for it, when that is newer than its own. */
  private withDownloads(plugin: Plugin): Plugin {
    const n = this.downloads.get(plugin.key);
    return n === undefined || n <= plugin.stats.downloads
      ? plugin
      : { ...plugin, stats: { ...plugin.stats, downloads: n } };
  }

  /** One page of the plugins `q` matches in the catalog's order, without the search fields, and their count. */
  private async page(
    q: Record<string, unknown>,
    ordering: PluginOrdering | undefined,
    window: PageWindow,
    count: Promise<number> = countMatching(this.plugins, q),
  ): Promise<Slice<Plugin>> {
    const [n, items] = await Promise.all([
      count,
      this.plugins
        .find(q, LEAN_PLUGIN)
        .sort(catalogSort(ordering))
        .skip(window.offset)
        .limit(window.limit)
        .lean<PluginLean[]>()
        .exec(),
    ]);
    return { count: n, items: items.map(toPlugin) };
  }

  /** How many plugins the viewer may see, and when the newest of them last changed. */
  async summary(viewer: Viewer): Promise<{ count: number; lastChange: Date | null }> {
    const visible = visibilityFilter(viewer);
    const [count, newest] = await Promise.all([
      countMatching(this.plugins, visible),
      this.plugins.findOne(visible, { updated_at: 1 }).sort({ updated_at: -1 }).lean<PluginLean>().exec(),
    ]);
    return { count, lastChange: newest?.updated_at ?? null };
  }

  /** Keys of plugins the viewer may see whose displayed manifest depends on `key`. */
  async dependents(key: string, viewer: Viewer, limit = 100): Promise<string[]> {
    const docs = await this.plugins
      .find({ ...visibilityFilter(viewer), dependencies: key }, { key: 1 })
      .sort({ key: 1 })
      .limit(limit)
      .lean<PluginLean[]>()
      .exec();
    return docs.map((d) => d.key);
  }

  /** Counts a download: the plugin's counter moves, and so do the answers ordered by downloads (see the class). */
  async countDownload(key: string): Promise<void> {
    const doc = await this.plugins
      .findOneAndUpdate(
        { key },
        { $inc: { 'stats.downloads': 1 } },
        { returnDocument: 'after', projection: { 'stats.downloads': 1 }, timestamps: false },
      )
      .lean<PluginLean>()
      .exec();
    const n = doc?.stats?.downloads;
    if (n !== undefined && n > (this.downloads.get(key) ?? -1)) {
      if (this.downloads.size >= DOWNLOADS_NOTED) {
        // Forgetting the counts would let kept pages show older ones: nothing kept may stay.
        this.downloads.clear();
        await this.epoch.written(false);
      }
      this.downloads.set(key, n);
    }
    await this.epoch.downloaded(!!doc);
  }

  /** Applies a rating change to the plugin's running totals, atomically; returns the new totals. */
  async addToRatingTotals(key: string, sumDelta: number, countDelta: number): Promise<{ sum: number; count: number }> {
    const doc = await this.plugins
      .findOneAndUpdate(
        { key },
        { $inc: { 'stats.rating_sum': sumDelta, 'stats.reviews': countDelta } },
        { returnDocument: 'after', projection: { stats: 1 }, timestamps: false },
      )
      .lean<PluginLean>()
      .exec();
    await this.epoch.written(!!doc);
    return { sum: doc?.stats?.rating_sum ?? 0, count: doc?.stats?.reviews ?? 0 };
  }

  /**
   * Writes the average for the totals it was computed from, only if they are still current: of concurrent
   * writers, the one that applied the last increment is the one whose write lands, so the stored average is
   * exact.
   */
  async setRatingIfCurrent(key: string, totals: { sum: number; count: number }, rating: number): Promise<void> {
    const set = await this.plugins
      .updateOne(
        { key, 'stats.rating_sum': totals.sum, 'stats.reviews': totals.count },
        { $set: { 'stats.rating': rating } },
        { timestamps: false },
      )
      .exec();
    await this.epoch.written(set.modifiedCount > 0);
  }
}
