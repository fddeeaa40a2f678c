import { Inject, Injectable } from '@nestjs/common';
import { type AuthUser, type FieldError } from '@app/common';
import { systemResolver } from '@app/runtime';
import { INSTALLATION_CONFIG, REGISTRY_CONFIG } from '../config/config.module.js';
import type { InstallationConfig, RegistryConfig } from '../config/app-config.js';
import { packagePath, unpackArtifact } from '../registry/artifact.js';
import type { PluginFileInput, PublishPluginDto } from '../registry/dto/publish-plugin.dto.js';
import { PublishingService } from '../registry/publishing.service.js';
import { FILE_ROLES } from '../registry/registry.entity.js';
import { PackageTooLargeError } from '../registry/registry.errors.js';
import type { InstallPluginDto } from './dto/install-plugin.dto.js';
import type { InstallationSource, InstallationTarget } from './installation.entity.js';
import {
  PackageInvalidError,
  PackageKeyMismatchError,
  SourceDryRunError,
  SourceFieldsError,
} from './installation.errors.js';
import { fetchPackage, type PackageFetchPolicy } from './package-fetch.js';

/** How long a `url` install waits for the package. */
const FETCH_TIMEOUT_MS = 30_000;

/** What the install goes on with once an uploaded or fetched package is published. */
export interface StagedPackage {
  source: InstallationSource;
  /** The exact version published, what the install resolves. */
  version: string;
}

/**
 * The `upload` and `url` install sources: the package (given in the body, or fetched from an allowed origin and
 * checked against `integrity`) is published as a private version of the plugin in the path, owned by the
 * target's organisation for an org install and by the caller otherwise, through the registry's own publishing
 * rules (manifest validation, upload limit, key ownership, immutable versions). The install then resolves that
 * exact version, which its publisher may install before review, as any manager may. The version stays
 * published if the install after it is refused.
 */
@Injectable()
export class PackageSource {
  private readonly fetchPolicy: PackageFetchPolicy;

  constructor(
    private readonly publishing: PublishingService,
    @Inject(INSTALLATION_CONFIG) config: InstallationConfig,
    @Inject(REGISTRY_CONFIG) private readonly registry: RegistryConfig,
  ) {
    this.fetchPolicy = {
      allowlist: config.urlAllowlist,
      maxBytes: registry.uploadBytes,
      timeoutMs: FETCH_TIMEOUT_MS,
      resolve: systemResolver,
    };
  }

  /** Checks that the body's fields match its source (before anything is resolved or fetched). */
  static check(dto: InstallPluginDto): void {
    const source = dto.source ?? 'store';
    const errors: FieldError[] = [];
    const want = (field: 'package' | 'url' | 'integrity', needed: boolean) => {
      if (needed && dto[field] === undefined) errors.push({ field, message: `is required with source ${source}` });
      if (!needed && dto[field] !== undefined) errors.push({ field, message: `is not used with source ${source}` });
    };
    want('package', source === 'upload');
    want('url', source === 'url');
    want('integrity', source === 'url');
    if (errors.length) throw new SourceFieldsError(errors);
    if (source !== 'store' && dto.dry_run) throw new SourceDryRunError(source);
  }

  /** Publishes the body's or the URL's package as `key`; answers the version to install. */
  async stage(
    caller: AuthUser,
    key: string,
    dto: InstallPluginDto,
    target: InstallationTarget,
  ): Promise<StagedPackage> {
    const source = dto.source === 'url' ? 'url' : 'upload';
    const { manifest, files } =
      source === 'url'
        ? this.unpack(await fetchPackage(dto.url!, dto.integrity!, this.fetchPolicy))
        : { manifest: dto.package!.manifest, files: dto.package!.files };
    // The path names the plugin: a manifest without a key (seed 002's format) gets it, one with another is refused.
    if (manifest.key !== undefined && manifest.key !== key) {
      throw new PackageKeyMismatchError(
        key,
        typeof manifest.key === 'string' ? manifest.key : JSON.stringify(manifest.key),
      );
    }
    const body: PublishPluginDto = {
      manifest: { ...manifest, key },
      files,
      scope: 'private',
      ...(target.scope === 'org' ? { owner_org: target.orgId } : {}),
    };
    const published = await this.publishing.publish(caller, body);
    return { source, version: published.version.version };
  }

  /** The manifest and files of a fetched artifact (a gzipped tar of `package/…`, as the registry serves them). */
  private unpack(bytes: Buffer): { manifest: Record<string, unknown>; files: Record<string, PluginFileInput> } {
    let entries: Map<string, Buffer>;
    try {
      entries = unpackArtifact(bytes, this.registry.uploadBytes * 2 + 64 * 1024);
    } catch (error) {
      if (error instanceof RangeError) throw new PackageTooLargeError(this.registry.uploadBytes, bytes.length);
      throw new PackageInvalidError('it is not a gzipped tar');
    }
    const raw = entries.get('manifest.json');
    if (!raw) throw new PackageInvalidError('it has no package/manifest.json');
    let manifest: unknown;
    try {
      manifest = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new PackageInvalidError('its manifest.json is not JSON');
    }
    if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
      throw new PackageInvalidError('its manifest.json is not an object');
    }
    const m = manifest as Record<string, unknown>;
    const files: Record<string, PluginFileInput> = {};
    for (const role of FILE_ROLES) {
      const content = entries.get(packagePath(role, m));
      if (content) files[role] = { content: content.toString('base64'), encoding: 'base64' };
    }
    return { manifest: m, files };
  }
}
