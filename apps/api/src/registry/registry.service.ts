import { Inject, Injectable } from '@nestjs/common';
import {
  AppError,
  type AuthUser,
  type FieldError,
  forbidden,
  hasRole,
  notFound,
  orderingToSort,
  type PageWindow,
  type Slice,
  validationError,
} from '@app/common';
import { validateManifest } from '@app/plugin-sdk';
import semver from 'semver';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { OrgsService } from '../orgs/orgs.service.js';
import { UsersService } from '../users/users.service.js';
import {
  buildArtifact,
  digestOf,
  FILE_ROLES,
  type FileRole,
  manifestBytes,
  packagePath,
  sha256Hex,
} from './artifact.js';
import {
  displayVersion,
  distTags,
  pluginStatus,
  resolveVersionSpec,
  sortVersionsDesc,
  versionKey,
  type VersionStatus,
} from './dist-tags.js';
import type { PatchedPluginDto } from './dto/patched-plugin.dto.js';
import type { PluginListQueryDto } from './dto/plugin-list-query.dto.js';
import type { PluginDetailView, PluginView } from './dto/plugin-response.dto.js';
import type { PatchedPluginVersionDto } from './dto/plugin-version.dto.js';
import type { PluginFileInput, PublishPluginDto } from './dto/publish-plugin.dto.js';
import type { RepositoryView } from './dto/repository-response.dto.js';
import { INSTALLATION_LOOKUP, type InstallationLookup } from './installation-lookup.js';
import { listingOf } from './manifest-info.js';
import {
  type Artifact,
  type CatalogCriteria,
  type Plugin,
  type PluginVersion,
  RegistryRepository,
} from './registry.repository.js';
import {
  canManage,
  canSee,
  canSeeVersion,
  type OwnerType,
  type PluginScope,
  type Viewer,
  visibilityFilter,
} from './visibility.js';

/** Keys under this publisher belong to the plugins shipped with the server. */
const RESERVED_PUBLISHER = 'plughub';

/** Strict base64 without a backtracking regex (a 7 MB string would overflow the regex engine's stack). */
export function isBase64(s: string): boolean {
  if (s.length % 4 !== 0) return false;
  const body = s.endsWith('==') ? s.slice(0, -2) : s.endsWith('=') ? s.slice(0, -1) : s;
  return !/[^A-Za-z0-9+/]/.test(body);
}

export interface PublishResult {
  created: boolean;
  plugin: PluginView;
  version: PluginVersion;
  tags: string[];
}

export interface VersionView {
  version: PluginVersion;
  tags: string[];
  isManager: boolean;
}

export type DownloadResult =
  { notModified: true; etag: string } | { notModified: false; etag: string; artifact: Artifact; filename: string };

interface PreparedVersion {
  manifest: Record<string, unknown> & { key: string; version: string };
  files: Array<{ role: FileRole; path: string; size: number; sha256: string; content: Buffer }>;
  artifact: Artifact;
}

const pluginNotFound = () => notFound('Plugin', 'PLUGIN_NOT_FOUND');
const versionNotFound = () => notFound('Plugin version', 'PLUGIN_NOT_FOUND');

const tagsOf = (p: Plugin, version: string) =>
  (['latest', 'next'] as const).filter((t) => p.distTags[t] === version).map(String);

/**
 * The registry's rules: publishing, visibility, catalog, versions, downloads. Who may publish: any
 * authenticated user, to private scope; org and public scope need the `publisher` platform role (admins
 * always have it). Keys under `plughub.` are reserved for the plugins shipped with the server.
 */
@Injectable()
export class RegistryService {
  constructor(
    private readonly repo: RegistryRepository,
    private readonly orgs: OrgsService,
    private readonly users: UsersService,
    @Inject(INSTALLATION_LOOKUP) private readonly installations: InstallationLookup,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async viewerOf(caller: AuthUser): Promise<Viewer> {
    const memberships = await this.orgs.membershipsOf(caller.id);
    return {
      id: caller.id,
      isAdmin: hasRole(caller, 'admin'),
      orgRoles: new Map(memberships.map((m) => [m.orgId, m.role])),
    };
  }

  /** The plugin if the caller may see it; PLUGIN_NOT_FOUND otherwise (never 403). */
  async visiblePlugin(caller: AuthUser, key: string): Promise<{ plugin: Plugin; viewer: Viewer }> {
    const [plugin, viewer] = await Promise.all([this.repo.findPlugin(key), this.viewerOf(caller)]);
    if (!plugin || !canSee(viewer, plugin)) throw pluginNotFound();
    return { plugin, viewer };
  }

  // ---- publishing -------------------------------------------------------------------------------------------

  async publish(caller: AuthUser, dto: PublishPluginDto): Promise<PublishResult> {
    const prepared = this.prepare(dto.manifest, dto.files);
    const { key } = prepared.manifest;
    const viewer = await this.viewerOf(caller);
    if (key.split('.')[0] === RESERVED_PUBLISHER && !viewer.isAdmin) {
      throw forbidden(`Keys under "${RESERVED_PUBLISHER}." are reserved for the plugins shipped with Plughub.`);
    }
    const status: VersionStatus = dto.draft ? 'draft' : 'pending';

    const existing = await this.repo.findPlugin(key);
    if (existing) {
      if (existing.deletedAt) {
        throw new AppError('CONFLICT', `The plugin ${key} was unpublished; its key cannot be reused.`, [], { key });
      }
      if (!canManage(viewer, existing)) {
        if (canSee(viewer, existing)) throw forbidden('Only the owners of this plugin may publish versions of it.');
        throw new AppError('CONFLICT', `The plugin key ${key} is already taken.`, [], { key });
      }
      const rescope = dto.scope && dto.scope !== existing.scope ? dto.scope : undefined;
      if (rescope) this.assertScope(caller, rescope, existing.ownerType);
      const inserted = await this.repo.insertVersion(this.newVersion(prepared, status, caller.id));
      if (rescope) await this.repo.updateListing(key, { scope: rescope });
      await this.refreshDerived(key);
      return this.publishResult(false, key, inserted);
    }

    const owner = await this.ownerFor(caller, dto.owner_org);
    const scope = dto.scope ?? 'private';
    this.assertScope(caller, scope, owner.type);
    const listing = listingOf(prepared.manifest);
    await this.repo.createPlugin({
      key,
      ...listing,
      ownerType: owner.type,
      ownerId: owner.id,
      scope,
      status,
      isBuiltin: false,
      isSample: false,
      source: 'store',
      createdBy: caller.id,
    });
    let inserted: PluginVersion;
    try {
      inserted = await this.repo.insertVersion(this.newVersion(prepared, status, caller.id));
    } catch (err) {
      await this.repo.deleteEmptyPlugin(key); // do not leave a plugin without versions behind
      throw err;
    }
    await this.refreshDerived(key);
    return this.publishResult(true, key, inserted);
  }

  /**
   * Registers a plugin shipped in `plugins/` as a system-owned, public, approved version. Idempotent: a
   * version already registered is left alone. Returns false when it did nothing.
   */
  async registerShipped(
    manifestJson: unknown,
    files: Partial<Record<FileRole, Buffer>>,
    kind: { builtin: boolean; sample: boolean },
  ): Promise<boolean> {
    const inputs = Object.fromEntries(
      Object.entries(files).map(([role, bytes]) => [role, { content: bytes.toString('base64'), encoding: 'base64' }]),
    );
    const prepared = this.prepare(manifestJson, inputs);
    const { key, version } = prepared.manifest;
    const existing = await this.repo.findPlugin(key);
    if (existing && (existing.ownerType !== 'system' || existing.deletedAt)) return false;
    if (existing && (await this.repo.findVersion(key, version))) return false;
    if (!existing) {
      await this.repo.createPlugin({
        key,
        ...listingOf(prepared.manifest),
        ownerType: 'system',
        ownerId: null,
        scope: 'public',
        status: 'approved',
        isBuiltin: kind.builtin,
        isSample: kind.sample,
        source: 'builtin',
        createdBy: null,
      });
    }
    await this.repo.insertVersion({ ...this.newVersion(prepared, 'approved', null), reviewedBy: null });
    await this.refreshDerived(key);
    return true;
  }

  /** Validates manifest and files together, listing every problem, then builds the artifact. */
  private prepare(
    manifestInput: unknown,
    fileInputs: Partial<Record<FileRole, PluginFileInput>> | undefined,
  ): PreparedVersion {
    const errors: FieldError[] = [];
    const result = validateManifest(manifestInput);
    if (!result.valid) {
      for (const e of result.errors)
        errors.push({ field: e.path ? `manifest.${e.path}` : 'manifest', message: e.message });
    }
    const decoded = new Map<FileRole, Buffer>();
    for (const role of FILE_ROLES) {
      const input = fileInputs?.[role];
      if (input === undefined) continue;
      if (typeof input === 'string') {
        decoded.set(role, Buffer.from(input, 'utf8'));
      } else if (input.encoding === 'base64') {
        const clean = input.content.replace(/\s+/g, '');
        if (!isBase64(clean)) errors.push({ field: `files.${role}.content`, message: 'is not valid base64' });
        else decoded.set(role, Buffer.from(clean, 'base64'));
      } else {
        decoded.set(role, Buffer.from(input.content, 'utf8'));
      }
    }
    const m = (result.valid ? result.manifest : manifestInput) as Record<string, unknown>;
    const runtime = m && typeof m.runtime === 'object' ? (m.runtime as { type?: string }) : undefined;
    if (runtime?.type === 'sandbox' && !decoded.has('runner') && fileInputs?.runner === undefined) {
      errors.push({ field: 'files.runner', message: 'is required for a sandbox runtime' });
    }
    if (errors.length) throw validationError(errors, 'The plugin manifest or files are invalid.');

    const manifest = m as PreparedVersion['manifest'];
    const files = FILE_ROLES.filter((r) => decoded.has(r)).map((role) => {
      const content = decoded.get(role)!;
      return { role, path: packagePath(role, manifest), size: content.length, sha256: sha256Hex(content), content };
    });
    const mBytes = manifestBytes(manifest);
    const total = mBytes.length + files.reduce((n, f) => n + f.size, 0);
    const limit = this.config.limits.uploadBytes;
    if (total > limit) {
      throw new AppError('LIMIT_EXCEEDED', `The package is ${total} bytes; the limit is ${limit}.`, [], {
        limit,
        actual: total,
      });
    }
    const paths = new Set<string>(['manifest.json']);
    for (const f of files) {
      if (paths.has(f.path)) {
        throw validationError([{ field: `files.${f.role}`, message: `its package path ${f.path} is used twice` }]);
      }
      paths.add(f.path);
    }
    const bytes = buildArtifact([{ role: 'manifest', path: 'manifest.json', content: mBytes }, ...files]);
    return { manifest, files, artifact: { bytes, ...digestOf(bytes) } };
  }

  private newVersion(p: PreparedVersion, status: VersionStatus, by: string | null) {
    return {
      key: p.manifest.key,
      version: p.manifest.version,
      versionKey: versionKey(p.manifest.version),
      prerelease: semver.prerelease(p.manifest.version) !== null,
      status,
      manifest: p.manifest,
      files: p.files,
      artifact: p.artifact,
      publishedBy: by,
    };
  }

  private async publishResult(created: boolean, key: string, version: PluginVersion): Promise<PublishResult> {
    const plugin = (await this.repo.findPlugin(key))!;
    const [view] = await this.views([plugin], null);
    return { created, plugin: view, version, tags: tagsOf(plugin, version.version) };
  }

  private async ownerFor(caller: AuthUser, ownerOrg?: string): Promise<{ type: OwnerType; id: string }> {
    if (!ownerOrg) return { type: 'user', id: caller.id };
    const role = await this.orgs.roleOf(caller.id, ownerOrg);
    if (!role) {
      throw validationError([{ field: 'owner_org', message: 'is not an organisation you belong to' }]);
    }
    if (role.role !== 'owner' && role.role !== 'admin') {
      throw forbidden('Only owners and admins of the organisation may publish plugins for it.');
    }
    return { type: 'org', id: role.org.id };
  }

  private assertScope(caller: AuthUser, scope: PluginScope, ownerType: OwnerType): void {
    if (scope === 'org' && ownerType !== 'org') {
      throw validationError([{ field: 'scope', message: 'org scope needs a plugin owned by an organisation' }]);
    }
    if (scope !== 'private' && !hasRole(caller, 'publisher')) {
      throw forbidden(`Publishing with ${scope} scope needs the publisher role.`);
    }
  }

  /**
   * Recomputes what the plugin derives from its versions. Each change claims a revision first; a write
   * computed from an older revision never overwrites one computed from a newer one.
   */
  async refreshDerived(key: string): Promise<void> {
    const rev = await this.repo.bumpRev(key);
    const [plugin, states] = await Promise.all([this.repo.findPlugin(key), this.repo.versionStates(key)]);
    if (!plugin) return;
    const display = displayVersion(states);
    let listing;
    if (display && display !== plugin.displayVersion) {
      const v = await this.repo.findVersion(key, display);
      if (v) listing = listingOf(v.manifest);
    }
    const published = states.map((s) => s.publishedAt.getTime());
    await this.repo.writeDerived(key, rev, {
      status: pluginStatus(states),
      hasApproved: states.some((s) => s.status === 'approved'),
      distTags: distTags(states),
      displayVersion: display,
      lastPublishedAt: published.length ? new Date(Math.max(...published)) : null,
      listing,
    });
  }

  // ---- catalog and details ----------------------------------------------------------------------------------

  async catalog(caller: AuthUser, query: PluginListQueryDto, window: PageWindow): Promise<Slice<PluginView>> {
    const viewer = await this.viewerOf(caller);
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
    let mine: { installed: string[]; active: string[] } | null = null;
    if (query.installed !== undefined || query.active !== undefined) {
      mine = await this.installations.keysFor(caller);
      const include: string[][] = [];
      const exclude: string[] = [];
      if (query.installed === true) include.push(mine.installed);
      if (query.installed === false) exclude.push(...mine.installed);
      if (query.active === true) include.push(mine.active);
      if (query.active === false) exclude.push(...mine.active);
      if (include.length) criteria.keysIn = include.reduce((a, b) => a.filter((k) => b.includes(k)));
      if (exclude.length) criteria.keysNotIn = exclude;
    }
    // Keys are unique, so ordering by key needs no _id tie-break, which lets the unique key index serve it.
    const sort =
      (query.ordering ?? 'key').replace('-', '') === 'key'
        ? { key: query.ordering === '-key' ? (-1 as const) : (1 as const) }
        : orderingToSort(query.ordering, 'key', { downloads: 'stats.downloads', rating: 'stats.rating' });
    const slice = await this.repo.catalog(visibilityFilter(viewer), criteria, sort, window.offset, window.limit);
    return { count: slice.count, items: await this.views(slice.items, caller, mine) };
  }

  /** Adds owner names, installation counts and the caller's installation flags to plugins. */
  private async views(
    plugins: Plugin[],
    caller: AuthUser | null,
    mine: { installed: string[]; active: string[] } | null = null,
  ): Promise<PluginView[]> {
    if (!plugins.length) return [];
    const userIds = [...new Set(plugins.filter((p) => p.ownerType === 'user').map((p) => p.ownerId!))];
    const orgIds = [...new Set(plugins.filter((p) => p.ownerType === 'org').map((p) => p.ownerId!))];
    const [users, orgs, counts, keys] = await Promise.all([
      userIds.length ? this.users.findByIds(userIds) : Promise.resolve([]),
      Promise.all(orgIds.map((id) => this.orgs.findById(id))),
      this.installations.countInstallations(plugins.map((p) => p.key)),
      mine ?? (caller ? this.installations.keysFor(caller) : Promise.resolve({ installed: [], active: [] })),
    ]);
    const names = new Map<string, string>([
      ...users.map((u) => [u.id, u.name] as [string, string]),
      ...orgs.filter((o) => o !== null).map((o) => [o.id, o.slug] as [string, string]),
    ]);
    const installed = new Set(keys.installed);
    const active = new Set(keys.active);
    return plugins.map((plugin) => ({
      plugin,
      owner: {
        type: plugin.ownerType,
        id: plugin.ownerId,
        name: plugin.ownerType === 'system' ? 'system' : (names.get(plugin.ownerId!) ?? ''),
      },
      installed: installed.has(plugin.key),
      active: active.has(plugin.key),
      installation: null,
      installations: counts.get(plugin.key) ?? 0,
    }));
  }

  async get(caller: AuthUser, key: string): Promise<PluginDetailView> {
    const { plugin, viewer } = await this.visiblePlugin(caller, key);
    const [versions, dependents, installation, [view]] = await Promise.all([
      this.visibleVersions(viewer, plugin),
      this.repo.dependents(key, visibilityFilter(viewer)),
      this.installations.stateFor(caller, key),
      this.views([plugin], caller),
    ]);
    const shown = versions.find((v) => v.version === plugin.displayVersion) ?? versions[0];
    return {
      ...view,
      installed: installation !== null,
      active: installation?.active ?? false,
      installation,
      manifest: shown?.manifest ?? null,
      versions,
      dependents,
    };
  }

  async update(caller: AuthUser, key: string, dto: PatchedPluginDto): Promise<PluginView> {
    const { plugin, viewer } = await this.visiblePlugin(caller, key);
    if (!canManage(viewer, plugin)) throw forbidden('Only the owners of this plugin may change it.');
    if (dto.scope && dto.scope !== plugin.scope) this.assertScope(caller, dto.scope, plugin.ownerType);
    const updated = await this.repo.updateListing(key, dto);
    const [view] = await this.views([updated!], caller);
    return view;
  }

  /** Unpublishes: a soft delete that keeps the key and every version, so neither can be reused. */
  async remove(caller: AuthUser, key: string): Promise<void> {
    const { plugin, viewer } = await this.visiblePlugin(caller, key);
    if (!canManage(viewer, plugin)) throw forbidden('Only the owners of this plugin or an admin may unpublish it.');
    const [counts, dependents] = await Promise.all([
      this.installations.countInstallations([key]),
      this.installations.countInstalledDependents(key),
    ]);
    const installed = counts.get(key) ?? 0;
    if (installed > 0) {
      throw new AppError('CONFLICT', `${key} is installed ${installed} time(s); uninstall it first.`, [], {
        installations: installed,
      });
    }
    if (dependents > 0) {
      throw new AppError('PLUGIN_DEPENDENCY_ERROR', `${dependents} installed plugin(s) depend on ${key}.`, [], {
        dependents,
      });
    }
    await this.repo.softDelete(key, caller.id);
  }

  // ---- versions ---------------------------------------------------------------------------------------------

  private async visibleVersions(viewer: Viewer, plugin: Plugin): Promise<PluginVersion[]> {
    const all = await this.repo.listVersions(plugin.key);
    return sortVersionsDesc(all.filter((v) => canSeeVersion(viewer, plugin, v.status)));
  }

  async listVersions(caller: AuthUser, key: string, window: PageWindow): Promise<Slice<VersionView>> {
    const { plugin, viewer } = await this.visiblePlugin(caller, key);
    const versions = await this.visibleVersions(viewer, plugin);
    const isManager = canManage(viewer, plugin);
    return {
      count: versions.length,
      items: versions
        .slice(window.offset, window.offset + window.limit)
        .map((version) => ({ version, tags: tagsOf(plugin, version.version), isManager })),
    };
  }

  private async visibleVersion(caller: AuthUser, key: string, version: string) {
    const { plugin, viewer } = await this.visiblePlugin(caller, key);
    const found = await this.repo.findVersion(key, version);
    if (!found || !canSeeVersion(viewer, plugin, found.status)) throw versionNotFound();
    return { plugin, viewer, version: found };
  }

  async getVersion(caller: AuthUser, key: string, version: string): Promise<VersionView> {
    const { plugin, viewer, version: found } = await this.visibleVersion(caller, key, version);
    return { version: found, tags: tagsOf(plugin, found.version), isManager: canManage(viewer, plugin) };
  }

  /** Deprecate, yank, or submit a draft. Content stays immutable. */
  async patchVersion(
    caller: AuthUser,
    key: string,
    version: string,
    dto: PatchedPluginVersionDto,
  ): Promise<VersionView> {
    const { plugin, viewer, version: found } = await this.visibleVersion(caller, key, version);
    if (!canManage(viewer, plugin)) throw forbidden('Only the owners of this plugin may change its versions.');
    if (dto.status === 'pending' && found.status !== 'draft') {
      throw new AppError('CONFLICT', `Only drafts can be submitted; this version is ${found.status}.`, [], {
        status: found.status,
      });
    }
    const set: Parameters<RegistryRepository['updateVersion']>[2] = {};
    if (dto.deprecated !== undefined) set.deprecated = dto.deprecated;
    if (dto.yanked !== undefined && dto.yanked !== found.yanked) {
      set.yanked = dto.yanked;
      set.yankedAt = dto.yanked ? new Date() : null;
    }
    if (dto.status === 'pending') {
      set.status = 'pending';
      set.submittedAt = new Date();
    }
    let updated = found;
    if (Object.keys(set).length) {
      const res = await this.repo.updateVersion(key, version, set, dto.status ? ['draft'] : undefined);
      if (!res) throw new AppError('CONFLICT', 'The version changed meanwhile; try again.');
      updated = res;
      if (set.yanked !== undefined || set.status) await this.refreshDerived(key);
    }
    const fresh = (await this.repo.findPlugin(key)) ?? plugin;
    return { version: updated, tags: tagsOf(fresh, updated.version), isManager: true };
  }

  /**
   * The version an installation of `key` should use for `spec` (dist-tag, exact version or semver range), for
   * the installation module. Others may install approved versions only; the plugin's managers also their own
   * drafts and pending versions (to try them), never rejected ones. PLUGIN_NOT_FOUND when nothing matches.
   */
  async resolveInstallable(caller: AuthUser, key: string, spec = 'latest'): Promise<PluginVersion> {
    const { plugin, viewer } = await this.visiblePlugin(caller, key);
    const candidates = (await this.visibleVersions(viewer, plugin)).filter((v) => v.status !== 'rejected');
    let tags = plugin.distTags;
    if (canManage(viewer, plugin)) {
      // For managers the tags also cover versions still under review.
      const asApproved = candidates.map((v) => ({ version: v.version, status: 'approved' as const, yanked: v.yanked }));
      tags = distTags(asApproved);
    }
    const chosen = resolveVersionSpec(candidates, tags, spec.trim());
    const found = chosen ? candidates.find((v) => v.version === chosen) : undefined;
    if (!found) {
      throw new AppError('PLUGIN_NOT_FOUND', `No installable version of ${key} matches "${spec}".`, [], { spec });
    }
    return found;
  }

  /** The artifact with its ETag (the integrity); counts the download unless the client already has it. */
  async download(caller: AuthUser, key: string, version: string, ifNoneMatch?: string): Promise<DownloadResult> {
    const { version: found } = await this.visibleVersion(caller, key, version);
    const etag = `"${found.integrity}"`;
    const tags = (ifNoneMatch ?? '').split(',').map((s) => s.trim().replace(/^W\//, ''));
    if (tags.includes(etag) || tags.includes('*')) return { notModified: true, etag };
    const artifact = await this.repo.artifact(key, version);
    if (!artifact) throw versionNotFound();
    await this.repo.countDownload(key, version);
    return { notModified: false, etag, artifact, filename: `${key}-${found.version}.tgz` };
  }

  // ---- repositories -----------------------------------------------------------------------------------------

  async repositories(caller: AuthUser, catalogUrl: string, window: PageWindow): Promise<Slice<RepositoryView>> {
    const viewer = await this.viewerOf(caller);
    const { count, lastChange } = await this.repo.summary(visibilityFilter(viewer));
    const local: RepositoryView = {
      name: 'local',
      description: 'The plugin registry of this Plughub instance.',
      url: catalogUrl,
      kind: 'local',
      pluginCount: count,
      lastSync: lastChange,
    };
    return { count: 1, items: [local].slice(window.offset, window.offset + window.limit) };
  }
}
