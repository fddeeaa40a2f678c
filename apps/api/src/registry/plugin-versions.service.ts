import { Inject, Injectable } from '@nestjs/common';
import { type AuthUser, Clock, EventBus, type PageWindow, type Slice, sliceOf } from '@app/common';
import type { Viewer } from '../auth/auth.entity.js';
import { distTags, sortVersionsDesc } from './dist-tags.js';
import { type PatchedPluginVersionDto, PluginVersionResponseDto } from './dto/plugin-version.dto.js';
import { PluginVersionRepository } from './persistence/plugin-version.repository.js';
import { RegistryWriteEpoch } from './persistence/registry-epoch.js';
import { PluginRepository } from './persistence/plugin.repository.js';
import { PluginStateService } from './plugin-state.service.js';
import { canManage, canSee, canSeeVersion } from './plugin-visibility.js';
import type {
  Artifact,
  DistTags,
  InstallablePlugin,
  LoadablePackage,
  Plugin,
  PluginVersion,
  VersionChanges,
} from './registry.entity.js';
import { NotADraftError, NotPluginManagerError, StaleWriteError, versionNotFound } from './registry.errors.js';
import { RegistryAccess } from './registry-access.js';

/** A plugin as installs resolve over it, whoever asks: as stored, with its versions but rejected ones, newest first. */
interface Resolvable {
  plugin: Plugin;
  versions: PluginVersion[];
}

/** Resolvable plugins kept at most; past it they are all read again. */
const KEPT_RESOLVABLES = 5000;

export type DownloadResult =
  { notModified: true; etag: string } | { notModified: false; etag: string; artifact: Artifact; filename: string };

const tagsOf = (tags: DistTags, version: string) =>
  (['latest', 'next'] as const).filter((t) => tags[t] === version).map(String);

/** A plugin's versions: list and read them, deprecate, yank or submit one, download one; what installs and loads read. */
@Injectable()
export class PluginVersionsService {
  private kept = new Map<string, Resolvable | null>();
  private keptAt = -1;

  constructor(
    private readonly plugins: PluginRepository,
    private readonly versions: PluginVersionRepository,
    private readonly registry: RegistryAccess,
    private readonly state: PluginStateService,
    private readonly events: EventBus,
    private readonly epoch: RegistryWriteEpoch,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async list(caller: AuthUser, key: string, window: PageWindow): Promise<Slice<PluginVersionResponseDto>> {
    const { plugin, viewer } = await this.registry.visiblePlugin(caller, key);
    const isManager = canManage(viewer, plugin);
    const page = sliceOf(await this.visibleVersions(viewer, plugin), window);
    return {
      count: page.count,
      items: page.items.map((v) => PluginVersionResponseDto.from(v, tagsOf(plugin.distTags, v.version), isManager)),
    };
  }

  async get(caller: AuthUser, key: string, version: string): Promise<PluginVersionResponseDto> {
    const { plugin, viewer, found } = await this.visibleVersion(caller, key, version);
    return PluginVersionResponseDto.from(found, tagsOf(plugin.distTags, found.version), canManage(viewer, plugin));
  }

  /**
   * Deprecate, yank, or submit a draft. Content stays immutable. A change of `yanked` or `deprecated` is announced
   * as `version.changed` once stored (the installation module recomputes the installations' update fields).
   */
  async patch(
    caller: AuthUser,
    key: string,
    version: string,
    dto: PatchedPluginVersionDto,
  ): Promise<PluginVersionResponseDto> {
    const { plugin, viewer, found } = await this.visibleVersion(caller, key, version);
    if (!canManage(viewer, plugin)) throw new NotPluginManagerError('change its versions');
    if (dto.status === 'pending' && found.status !== 'draft') throw new NotADraftError(found.status);
    const changes: VersionChanges = {};
    if (dto.deprecated !== undefined && dto.deprecated !== found.deprecated) changes.deprecated = dto.deprecated;
    if (dto.yanked !== undefined && dto.yanked !== found.yanked) {
      changes.yanked = dto.yanked;
      changes.yankedAt = dto.yanked ? this.clock.now() : null;
    }
    if (dto.status === 'pending') {
      changes.status = 'pending';
      changes.submittedAt = this.clock.now();
    }
    let updated = found;
    if (Object.keys(changes).length) {
      const res = await this.versions.update(key, version, changes, dto.status ? ['draft'] : undefined);
      if (!res) throw new StaleWriteError();
      updated = res;
      if (changes.yanked !== undefined || changes.status) await this.state.refresh(key);
      const announced = (['yanked', 'deprecated'] as const).filter((k) => changes[k] !== undefined);
      if (announced.length) {
        await this.events.emit('version.changed', {
          key,
          version: updated.version,
          changes: announced,
          yanked: updated.yanked,
          deprecated: updated.deprecated,
          by: caller.id,
          at: this.clock.now(),
        });
      }
    }
    const fresh = (await this.plugins.find(key)) ?? plugin;
    return PluginVersionResponseDto.from(updated, tagsOf(fresh.distTags, updated.version), true);
  }

  /**
   * The artifact with its ETag (the integrity). Counts the download unless the client already has it or only asks
   * about it (`count: false`, for HEAD).
   */
  async download(
    caller: AuthUser,
    key: string,
    version: string,
    ifNoneMatch?: string,
    { count = true }: { count?: boolean } = {},
  ): Promise<DownloadResult> {
    const { found } = await this.visibleVersion(caller, key, version);
    const etag = `"${found.integrity}"`;
    const tags = (ifNoneMatch ?? '').split(',').map((s) => s.trim().replace(/^W\//, ''));
    if (tags.includes(etag) || tags.includes('*')) return { notModified: true, etag };
    const artifact = await this.versions.artifact(key, version);
    if (!artifact) throw versionNotFound();
    if (count) await Promise.all([this.versions.countDownload(key, version), this.plugins.countDownload(key)]);
    return { notModified: false, etag, artifact, filename: `${key}-${found.version}.tgz` };
  }

  /**
   * The plugins of `keys` the caller may see, each with the versions it may install, for the installation
   * module's dependency resolver (one call per resolution wave). Others may install approved versions only; the
   * plugin's managers also their own drafts and pending versions (to try them), never rejected ones. A key that is
   * unknown, unpublished or invisible to the caller is absent from the map.
   */
  async installables(caller: AuthUser, keys: readonly string[]): Promise<Map<string, InstallablePlugin>> {
    const stored = await this.resolvables([...new Set(keys)]);
    const found = [...stored.values()].filter((r): r is Resolvable => r !== null);
    const viewer = await this.registry.viewerFor(
      caller,
      found.map((r) => r.plugin),
    );
    const result = new Map<string, InstallablePlugin>();
    for (const { plugin, versions } of found) {
      if (!canSee(viewer, plugin)) continue;
      const manages = canManage(viewer, plugin);
      const installable = versions.filter((v) => canSeeVersion(viewer, plugin, v.status));
      // For managers the tags also cover versions still under review.
      const tags = manages
        ? distTags(installable.map((v) => ({ version: v.version, status: 'approved' as const, yanked: v.yanked })))
        : plugin.distTags;
      result.set(plugin.key, { plugin, versions: installable, manages, distTags: tags });
    }
    return result;
  }

  /**
   * The plugins of `keys` as installs resolve over them, whoever asks (null: no such plugin), kept while the
   * registry's content generation stands: a published version's content never changes, and every write to a
   * plugin or a version (publish, review, yank, deprecate, scope, kill, unpublish) moves that generation, on this
   * node once stored, on the others within EPOCH_POLL_MS. Installs ask for the same few plugins over and over.
   */
  private async resolvables(keys: string[]): Promise<Map<string, Resolvable | null>> {
    const generation = await this.epoch.contentCurrent();
    if (generation !== this.keptAt || this.kept.size > KEPT_RESOLVABLES) {
      this.kept = new Map();
      this.keptAt = generation;
    }
    const kept = this.kept;
    const result = new Map<string, Resolvable | null>();
    const missing = keys.filter((k) => {
      const entry = kept.get(k);
      if (entry !== undefined) result.set(k, entry);
      return entry === undefined;
    });
    if (!missing.length) return result;
    const [plugins, versions] = await Promise.all([this.plugins.findMany(missing), this.versions.listMany(missing)]);
    const byKey = new Map<string, PluginVersion[]>();
    for (const v of versions) if (v.status !== 'rejected') byKey.set(v.key, [...(byKey.get(v.key) ?? []), v]);
    const pluginOf = new Map(plugins.map((p) => [p.key, p]));
    // Kept only when nothing was written while it was read (the generation read at still stands).
    const keep = (await this.epoch.contentCurrent()) === generation && this.kept === kept;
    for (const key of missing) {
      const plugin = pluginOf.get(key);
      const entry = plugin ? { plugin, versions: sortVersionsDesc(byKey.get(key) ?? []) } : null;
      result.set(key, entry);
      if (keep) kept.set(key, entry);
    }
    return result;
  }

  /** The plugins of `keys` as stored, whoever may see them (the platform's own checks: killed, unpublished). */
  storedPlugins(keys: readonly string[]): Promise<Plugin[]> {
    return this.plugins.findMany([...new Set(keys)]);
  }

  /**
   * The approved, non-yanked versions of `key` whoever may see them, newest first (the installation module's
   * update checks: which newer version an installation could move to).
   */
  async releasedVersions(key: string): Promise<PluginVersion[]> {
    return sortVersionsDesc((await this.versions.list(key)).filter((v) => v.status === 'approved' && !v.yanked));
  }

  /** The manifest and runner text of key@version for the runtime (no caller: loading is the platform's act). */
  loadable(key: string, version: string): Promise<LoadablePackage | null> {
    return this.versions.loadable(key, version);
  }

  private async visibleVersions(viewer: Viewer, plugin: Plugin): Promise<PluginVersion[]> {
    const all = await this.versions.list(plugin.key);
    return sortVersionsDesc(all.filter((v) => canSeeVersion(viewer, plugin, v.status)));
  }

  private async visibleVersion(caller: AuthUser, key: string, version: string) {
    const { plugin, viewer } = await this.registry.visiblePlugin(caller, key);
    const found = await this.versions.find(key, version);
    if (!found || !canSeeVersion(viewer, plugin, found.status)) throw versionNotFound();
    return { plugin, viewer, found };
  }
}
