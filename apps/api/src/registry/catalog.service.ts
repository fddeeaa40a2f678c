import { Inject, Injectable } from '@nestjs/common';
import { type AuthUser, Clock, type PageWindow, type SerializedSlice } from '@app/common';
import type { PatchedPluginDto } from './dto/patched-plugin.dto.js';
import type { PluginListQueryDto } from './dto/plugin-list-query.dto.js';
import { PluginDetailResponseDto, type PluginResponseDto } from './dto/plugin-response.dto.js';
import { sortVersionsDesc } from './dist-tags.js';
import { PluginVersionRepository } from './persistence/plugin-version.repository.js';
import { PluginRepository } from './persistence/plugin.repository.js';
import { type InstalledKeys, PluginViews } from './plugin-views.js';
import { assertScope, canManage, canSeeVersion } from './plugin-visibility.js';
import type { CatalogCriteria } from './registry.entity.js';
import {
  DependentsInstalledError,
  NotPluginManagerError,
  PluginInstalledError,
  pluginNotFound,
} from './registry.errors.js';
import { RegistryAccess } from './registry-access.js';
import { RegistryInstallations } from './registry-installations.js';

/** Installed/active filters as key sets: all of `include` must hold, none of `exclude`. */
function keyCriteria(query: PluginListQueryDto, mine: InstalledKeys): Pick<CatalogCriteria, 'keysIn' | 'keysNotIn'> {
  const include: string[][] = [];
  const exclude: string[] = [];
  if (query.installed === true) include.push(mine.installed);
  if (query.installed === false) exclude.push(...mine.installed);
  if (query.active === true) include.push(mine.active);
  if (query.active === false) exclude.push(...mine.active);
  return {
    keysIn: include.length ? include.reduce((a, b) => a.filter((k) => b.includes(k))) : undefined,
    keysNotIn: exclude.length ? exclude : undefined,
  };
}

/** The catalog and a plugin's listing: browse, read the detail, change the listing, unpublish. */
@Injectable()
export class CatalogService {
  constructor(
    private readonly plugins: PluginRepository,
    private readonly versions: PluginVersionRepository,
    private readonly registry: RegistryAccess,
    private readonly views: PluginViews,
    private readonly installations: RegistryInstallations,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  /** A page of the catalog as its items' JSON (built once per kept page and caller's keys: plugin-views.ts). */
  async list(caller: AuthUser, query: PluginListQueryDto, window: PageWindow): Promise<SerializedSlice> {
    const viewer = await this.registry.viewer(caller);
    const criteria: CatalogCriteria = {
      search: query.search,
      category: query.category,
      tags: query.tags,
      author: query.author,
      scope: query.scope,
      verified: query.verified,
      minRating: query.min_rating,
      builtin: query.builtin,
      sample: query.sample,
      mixin: query.mixin,
    };
    let mine: InstalledKeys | undefined;
    if (query.installed !== undefined || query.active !== undefined) {
      mine = await this.installations.keysFor(caller);
      Object.assign(criteria, keyCriteria(query, mine));
    }
    const page = await this.plugins.catalog(viewer, criteria, query.ordering, window);
    return this.views.serialized(page, caller, mine);
  }

  /** The listing with the manifest it shows, the versions the caller sees, dependents and their installation. */
  async get(caller: AuthUser, key: string): Promise<PluginDetailResponseDto> {
    const { plugin, viewer } = await this.registry.visiblePlugin(caller, key);
    const [all, dependents, installation, view] = await Promise.all([
      this.versions.list(key),
      this.plugins.dependents(key, viewer),
      this.installations.stateFor(caller, key),
      this.views.response(plugin, caller),
    ]);
    const versions = sortVersionsDesc(all.filter((v) => canSeeVersion(viewer, plugin, v.status)));
    const shown = versions.find((v) => v.version === plugin.displayVersion) ?? versions[0];
    return PluginDetailResponseDto.fromDetail(view, {
      installation,
      manifest: shown?.manifest ?? null,
      versions,
      dependents,
    });
  }

  async update(caller: AuthUser, key: string, dto: PatchedPluginDto): Promise<PluginResponseDto> {
    const { plugin, viewer } = await this.registry.visiblePlugin(caller, key);
    if (!canManage(viewer, plugin)) throw new NotPluginManagerError('change it');
    if (dto.scope && dto.scope !== plugin.scope) assertScope(caller, dto.scope, plugin.ownerType);
    const updated = await this.plugins.updateListing(key, dto);
    if (!updated) throw pluginNotFound();
    return this.views.response(updated, caller);
  }

  /** Unpublishes: a soft delete that keeps the key and every version, so neither can be reused. */
  async remove(caller: AuthUser, key: string): Promise<void> {
    const { plugin, viewer } = await this.registry.visiblePlugin(caller, key);
    if (!canManage(viewer, plugin)) throw new NotPluginManagerError('unpublish it');
    const [counts, dependents] = await Promise.all([
      this.installations.countInstallations([key]),
      this.installations.countInstalledDependents(key),
    ]);
    const installed = counts.get(key) ?? 0;
    if (installed > 0) throw new PluginInstalledError(key, installed);
    if (dependents > 0) throw new DependentsInstalledError(key, dependents);
    await this.plugins.softDelete(key, caller.id, this.clock.now());
  }
}
