import semver from 'semver';
import type { DistTags, VersionState, VersionStatus } from './registry.entity.js';

// The installation module's resolver takes these types from here; they are declared in the entity file.
export type { DistTags, VersionState, VersionStatus };

/**
 * `key@version` identity ignores build metadata, as semver precedence does: `1.0.0+a` and `1.0.0+b` are the
 * same version, so publishing the second is a conflict.
 */
export function versionKey(version: string): string {
  const parsed = semver.parse(version);
  if (!parsed) throw new Error(`not a semantic version: ${version}`);
  return parsed.version;
}

const newest = (versions: string[]) => versions.reduce<string | null>((a, b) => (!a || semver.gt(b, a) ? b : a), null);

/** dist-tags from the versions' states: yanked, draft, pending and rejected versions never get a tag. */
export function distTags(versions: VersionState[]): DistTags {
  const tagged = versions.filter((v) => v.status === 'approved' && !v.yanked).map((v) => v.version);
  return {
    latest: newest(tagged.filter((v) => semver.prerelease(v) === null)),
    next: newest(tagged.filter((v) => semver.prerelease(v) !== null)),
  };
}

/**
 * The version whose manifest the catalog shows: the latest tag, else the newest approved version (prereleases
 * or yanked ones included), else the newest version of any status (only its managers can see it then).
 */
export function displayVersion(versions: VersionState[]): string | null {
  const tags = distTags(versions);
  if (tags.latest) return tags.latest;
  const approved = newest(versions.filter((v) => v.status === 'approved').map((v) => v.version));
  return approved ?? newest(versions.map((v) => v.version));
}

/**
 * One status for the plugin as a whole: `approved` as soon as one version is, else the status of its newest
 * version (`draft`, `pending` or `rejected`).
 */
export function pluginStatus(versions: VersionState[]): VersionStatus {
  if (versions.some((v) => v.status === 'approved')) return 'approved';
  const top = newest(versions.map((v) => v.version));
  return versions.find((v) => v.version === top)?.status ?? 'draft';
}

/** Newest first, by semver precedence. */
export function sortVersionsDesc<T extends { version: string }>(items: T[]): T[] {
  return [...items].sort((a, b) => semver.rcompare(a.version, b.version));
}
