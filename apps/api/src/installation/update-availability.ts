import { Inject, Injectable } from '@nestjs/common';
import semver from 'semver';
import { PluginVersionsService } from '../registry/plugin-versions.service.js';
import type { Installation } from './installation.entity.js';
import { PLATFORM_VERSION } from './installation.ports.js';
import { InstallationRepository } from './persistence/installation.repository.js';

/** A released version as the update checks see it. */
export interface ReleasedVersion {
  version: string;
  /** The manifest's `engines.plughub`, or null for any platform. */
  engines: string | null;
  deprecated: string | null;
}

/** Whether a version's `engines.plughub` admits the platform (a prerelease platform counts as its release line). */
export function admitsPlatform(engines: string | null, platform: string): boolean {
  if (engines === null) return true;
  return semver.validRange(engines) !== null && semver.satisfies(platform, engines, { includePrerelease: true });
}

/**
 * The newest version an installation at `installed` could update to: released (approved, not yanked: the caller
 * passes only those), not a prerelease, not deprecated, running on this platform, and newer than `installed`;
 * with `sameMajor`, only within the installed major (what auto-update installs). Null when there is none.
 */
export function availableUpdate(
  installed: string,
  released: readonly ReleasedVersion[],
  platform: string,
  sameMajor = false,
): string | null {
  const current = semver.parse(installed);
  if (!current) return null;
  let best: string | null = null;
  for (const r of released) {
    const v = semver.parse(r.version);
    if (!v || v.prerelease.length || r.deprecated !== null || !semver.gt(v, current)) continue;
    if (sameMajor && v.major !== current.major) continue;
    if (!admitsPlatform(r.engines, platform)) continue;
    if (best === null || semver.gt(v, best)) best = v.version;
  }
  return best;
}

/** Released versions from the registry's stored versions (their manifests' engines). */
export function releasedFrom(
  versions: ReadonlyArray<{ version: string; manifest: Record<string, unknown>; deprecated: string | null }>,
): ReleasedVersion[] {
  return versions.map((v) => {
    const engines = (v.manifest.engines as { plughub?: unknown } | undefined)?.plughub;
    return { version: v.version, engines: typeof engines === 'string' ? engines : null, deprecated: v.deprecated };
  });
}

/**
 * Keeps `update_available` / `available_version` of installations current: recomputed for every installation of
 * a plugin when one of its versions is approved (AutoUpdater), and set by every operation that writes an
 * installation's version (install, update, rollback) from the versions it resolved against.
 */
@Injectable()
export class UpdateAvailability {
  constructor(
    private readonly installations: InstallationRepository,
    private readonly registry: PluginVersionsService,
    @Inject(PLATFORM_VERSION) private readonly platform: string,
  ) {}

  /** The released versions of `key` as the update checks see them. */
  async released(key: string): Promise<ReleasedVersion[]> {
    return releasedFrom(await this.registry.releasedVersions(key));
  }

  /** The newest version `installed` of `key` could move to, or null. */
  availableFor(installed: string, released: readonly ReleasedVersion[], sameMajor = false): string | null {
    return availableUpdate(installed, released, this.platform, sameMajor);
  }

  /**
   * Recomputes the update fields of every installation of `key` (one write per installed version) and answers
   * the installations as they are after it.
   */
  async refresh(key: string): Promise<Installation[]> {
    const released = await this.released(key);
    const all = await this.installations.listByPlugin(key);
    const versions = new Set(all.map((i) => i.installedVersion));
    for (const version of versions) {
      await this.installations.setAvailableVersion(key, version, this.availableFor(version, released));
    }
    return this.installations.listByPlugin(key);
  }
}
