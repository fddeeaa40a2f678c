import { Inject, Injectable } from '@nestjs/common';
import { AppError, type AuthUser, Clock, EventBus, validationError } from '@app/common';
import { AccessService } from '../auth/access.service.js';
import type { RegistryConfig } from '../config/app-config.js';
import { REGISTRY_CONFIG } from '../config/config.module.js';
import { UsersService } from '../users/users.service.js';
import { PluginVersionResponseDto } from './dto/plugin-version.dto.js';
import type { PluginFileInput, PublishPluginDto } from './dto/publish-plugin.dto.js';
import type { PublishResultResponseDto } from './dto/plugin-response.dto.js';
import { listingOf } from './manifest-info.js';
import { PluginVersionRepository } from './persistence/plugin-version.repository.js';
import { PluginRepository } from './persistence/plugin.repository.js';
import { type PreparedPackage, preparePackage, versionOf } from './plugin-package.js';
import { PluginStateService } from './plugin-state.service.js';
import { PluginViews } from './plugin-views.js';
import { assertScope, canManage, canSee } from './plugin-visibility.js';
import type { FileRole, OwnerType, PluginVersion, VersionStatus } from './registry.entity.js';
import {
  NotPluginManagerError,
  OrgPublishingForbiddenError,
  PluginKeyRetiredError,
  PluginKeyTakenError,
  PublisherNotYoursError,
  ReservedPublisherError,
  ScopeChangeOnPublishError,
} from './registry.errors.js';
import { RegistryAccess } from './registry-access.js';

/** Keys under this publisher belong to the plugins shipped with the server. */
const RESERVED_PUBLISHER = 'plughub';

const notYourOrg = () => validationError([{ field: 'owner_org', message: 'is not an organisation you belong to' }]);

/** Whether a (not yet validated) manifest names its key; one that does not gets it from its publisher. */
const hasKey = (manifest: unknown): boolean =>
  typeof manifest !== 'object' || manifest === null || (manifest as { key?: unknown }).key !== undefined;

const tagsOf = (distTags: { latest: string | null; next: string | null }, version: string) =>
  (['latest', 'next'] as const).filter((t) => distTags[t] === version).map(String);

/**
 * Publishing: a new key creates the plugin, an existing key adds a version. Who may publish: any authenticated
 * user, to private scope; org and public scope need the `publisher` platform role (admins always have it). A new
 * key starts with its owner's publisher name (the user's handle or the owning organisation's slug); a new version
 * keeps the plugin's scope and the listing fields PATCH edited.
 * Keys under `plughub.` are reserved for the plugins shipped with the server (registerShipped).
 */
@Injectable()
export class PublishingService {
  constructor(
    private readonly plugins: PluginRepository,
    private readonly versions: PluginVersionRepository,
    private readonly access: AccessService,
    private readonly registry: RegistryAccess,
    private readonly state: PluginStateService,
    private readonly views: PluginViews,
    private readonly users: UsersService,
    private readonly events: EventBus,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async publish(caller: AuthUser, dto: PublishPluginDto): Promise<PublishResultResponseDto> {
    const publisher = hasKey(dto.manifest) ? undefined : await this.publisherOf(caller, dto.owner_org);
    const prepared = await preparePackage(dto.manifest, dto.files, this.config.uploadBytes, publisher);
    const { key } = prepared.manifest;
    const viewer = await this.registry.viewer(caller);
    if (key.split('.')[0] === RESERVED_PUBLISHER && !viewer.isAdmin)
      throw new ReservedPublisherError(RESERVED_PUBLISHER);
    const status: VersionStatus = dto.draft ? 'draft' : 'pending';

    const existing = await this.plugins.find(key);
    if (existing) {
      if (existing.deletedAt) throw new PluginKeyRetiredError(key);
      if (!canManage(viewer, existing)) {
        if (canSee(viewer, existing)) throw new NotPluginManagerError('publish versions of it');
        throw new PluginKeyTakenError(key);
      }
      if (dto.scope && dto.scope !== existing.scope) throw new ScopeChangeOnPublishError(existing.scope);
      const inserted = await this.versions.insert(versionOf(prepared, status, caller.id), this.clock.now());
      return this.published(false, caller, inserted);
    }

    const owner = await this.ownerFor(caller, dto.owner_org);
    await this.assertPublisher(key, owner);
    const scope = dto.scope ?? 'private';
    assertScope(caller, scope, owner.type);
    await this.plugins.create({
      key,
      ...listingOf(prepared.manifest),
      ownerType: owner.type,
      ownerId: owner.id,
      scope,
      status,
      isBuiltin: false,
      isSample: false,
      source: 'store',
      createdBy: caller.id,
    });
    return this.published(true, caller, await this.firstVersion(prepared, status, caller.id));
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
    ) as Partial<Record<FileRole, PluginFileInput>>;
    const prepared = await preparePackage(manifestJson, inputs, this.config.uploadBytes);
    const { key, version } = prepared.manifest;
    const existing = await this.plugins.find(key);
    if (existing && (existing.ownerType !== 'system' || existing.deletedAt)) return false;
    if (existing && (await this.versions.find(key, version))) return false;
    if (!existing) {
      await this.plugins.create({
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
    const inserted = await this.versions.insert(
      { ...versionOf(prepared, 'approved', null), reviewedBy: null },
      this.clock.now(),
    );
    await this.state.refresh(key);
    await this.events.emit('plugin.published', this.publishedEvent(!existing, inserted));
    return true;
  }

  /** The first version of a new plugin; the plugin goes again if it cannot be stored. */
  private async firstVersion(prepared: PreparedPackage, status: VersionStatus, by: string): Promise<PluginVersion> {
    try {
      return await this.versions.insert(versionOf(prepared, status, by), this.clock.now());
    } catch (err) {
      if ((await this.versions.count(prepared.manifest.key)) === 0) await this.plugins.delete(prepared.manifest.key);
      throw err;
    }
  }

  private async published(
    created: boolean,
    caller: AuthUser,
    version: PluginVersion,
  ): Promise<PublishResultResponseDto> {
    await this.state.refresh(version.key);
    const plugin = await this.plugins.find(version.key);
    if (!plugin) throw new Error(`plugin ${version.key} vanished while it was published`);
    await this.events.emit('plugin.published', this.publishedEvent(created, version));
    return {
      created,
      plugin: await this.views.response(plugin, null),
      version: PluginVersionResponseDto.from(version, tagsOf(plugin.distTags, version.version), true),
    };
  }

  private publishedEvent(created: boolean, v: PluginVersion) {
    return { key: v.key, version: v.version, status: v.status, created, publishedBy: v.publishedBy, at: v.publishedAt };
  }

  /**
   * The publisher segment a manifest without `key` is published under: the owning organisation's slug with
   * `owner_org`, else the caller's handle, the names their keys start with (assertPublisher). Only asked for
   * keyless manifests, so a manifest with a key is published exactly as before.
   */
  private async publisherOf(caller: AuthUser, ownerOrg?: string): Promise<string> {
    if (!ownerOrg) {
      const user = await this.users.findForAuth(caller.id);
      if (!user) throw new Error(`the caller ${caller.id} has no account`);
      return user.handle;
    }
    const org = await this.access.resolveTarget(caller, { scope: 'org', org: ownerOrg }).catch((err: unknown) => {
      throw err instanceof AppError && err.code === 'NOT_FOUND' ? notYourOrg() : err;
    });
    if (org.kind !== 'org') throw notYourOrg();
    return org.org.slug;
  }

  /** A new key starts with its owner's publisher name (`plughub.`, reserved, was checked before). */
  private async assertPublisher(key: string, owner: { type: OwnerType; id: string }): Promise<void> {
    const publisher = key.split('.')[0];
    if (publisher === RESERVED_PUBLISHER) return;
    const holder = await this.users.publisherOf(publisher);
    if (holder?.type !== owner.type || holder.id !== owner.id) throw new PublisherNotYoursError(publisher);
  }

  private async ownerFor(caller: AuthUser, ownerOrg?: string): Promise<{ type: OwnerType; id: string }> {
    if (!ownerOrg) return { type: 'user', id: caller.id };
    const org = await this.access.resolveTarget(caller, { scope: 'org', org: ownerOrg }).catch((err: unknown) => {
      throw err instanceof AppError && err.code === 'NOT_FOUND' ? notYourOrg() : err;
    });
    if (org.kind !== 'org') throw notYourOrg();
    await this.access.assert(caller, 'manage', org, () => new OrgPublishingForbiddenError());
    return { type: 'org', id: org.id };
  }
}
