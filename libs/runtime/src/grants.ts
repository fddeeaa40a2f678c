import {
  allowedHosts,
  DEFAULT_LIMITS,
  isCapability,
  isCustomScope,
  MAX_LIMITS,
  permissionId,
  type PermissionEntry,
  type PluginLimits,
} from '@app/plugin-sdk';
import type { LoadSpec, PlatformLimits, ResolvedLimits } from './runtime.types.js';

/**
 * Granted ∩ requested: a grant the manifest never asked for is ignored, and so are hosts it did not list. Custom
 * scopes are kept like capabilities (the host records them; only the plugin acts on them); entries that are
 * neither are dropped.
 */
export function effectiveGrants(
  requested: readonly PermissionEntry[],
  granted: readonly PermissionEntry[],
): PermissionEntry[] {
  const asked = new Set(requested.map(permissionId));
  const askedHosts = new Set(allowedHosts(requested));
  const result: PermissionEntry[] = [];
  for (const permission of granted) {
    const id = permissionId(permission);
    if (!asked.has(id) || !(isCapability(id) || isCustomScope(id))) continue;
    if (typeof permission === 'string') result.push(permission);
    else {
      const hosts = permission.hosts.filter((h) => askedHosts.has(h));
      if (hosts.length > 0) result.push({ capability: 'http:external', hosts });
    }
  }
  return result;
}

/** The platform limits when RuntimeOptions set none: the SDK's defaults and maximums, 1 MiB / 64 MiB of storage. */
export const DEFAULT_PLATFORM_LIMITS: PlatformLimits = {
  defaults: { ...DEFAULT_LIMITS, storage_quota_bytes: 1024 * 1024 },
  max: { ...MAX_LIMITS, storage_quota_bytes: 64 * 1024 * 1024 },
};

const positive = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n > 0;

/**
 * The limits an installation runs with. What the installation was granted applies, up to the platform maximum;
 * what it was not granted gets the platform default, or what the manifest asks when that is lower (a manifest may
 * restrict itself, never widen: `timeout_ms: 300000` in a manifest means nothing until an owner grants it).
 */
export function resolveLimits(
  spec: Pick<LoadSpec, 'manifest' | 'limits' | 'storageQuotaBytes'>,
  platform: PlatformLimits = DEFAULT_PLATFORM_LIMITS,
): ResolvedLimits {
  const pick = (key: keyof PluginLimits & keyof ResolvedLimits) => {
    const granted = spec.limits?.[key];
    if (positive(granted)) return Math.min(granted, platform.max[key]);
    const asked = spec.manifest.limits?.[key];
    return Math.min(positive(asked) ? asked : platform.defaults[key], platform.defaults[key], platform.max[key]);
  };
  const quota = positive(spec.storageQuotaBytes)
    ? Math.min(spec.storageQuotaBytes, platform.max.storage_quota_bytes)
    : Math.min(platform.defaults.storage_quota_bytes, platform.max.storage_quota_bytes);
  return {
    memory_mb: pick('memory_mb'),
    timeout_ms: pick('timeout_ms'),
    max_pending: pick('max_pending'),
    storage_quota_bytes: quota,
  };
}

/** Platform limits from RuntimeOptions.limits, filled in from DEFAULT_PLATFORM_LIMITS. */
export function platformLimits(options?: {
  defaults?: Partial<ResolvedLimits>;
  max?: Partial<ResolvedLimits>;
}): PlatformLimits {
  return {
    defaults: { ...DEFAULT_PLATFORM_LIMITS.defaults, ...options?.defaults },
    max: { ...DEFAULT_PLATFORM_LIMITS.max, ...options?.max },
  };
}
