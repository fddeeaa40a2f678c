import { allowedHosts, capabilityOf, DEFAULT_LIMITS, MAX_LIMITS, type Permission } from '@app/plugin-sdk';
import type { LoadSpec, ResolvedLimits } from './runtime.types.js';

/** Granted ∩ requested: a grant the manifest never asked for is ignored, and so are hosts it did not list. */
export function effectiveGrants(requested: readonly Permission[], granted: readonly Permission[]): Permission[] {
  const asked = new Set(requested.map(capabilityOf));
  const askedHosts = new Set(allowedHosts(requested));
  const result: Permission[] = [];
  for (const permission of granted) {
    const capability = capabilityOf(permission);
    if (!asked.has(capability)) continue;
    if (typeof permission === 'string') result.push(permission);
    else {
      const hosts = permission.hosts.filter((h) => askedHosts.has(h));
      if (hosts.length > 0) result.push({ capability: 'http:external', hosts });
    }
  }
  return result;
}

/** Installation overrides win over the manifest, the manifest over the defaults; all capped by MAX_LIMITS. */
export function resolveLimits(spec: Pick<LoadSpec, 'manifest' | 'limits'>): ResolvedLimits {
  const pick = (key: keyof ResolvedLimits) =>
    Math.min(spec.limits?.[key] ?? spec.manifest.limits?.[key] ?? DEFAULT_LIMITS[key], MAX_LIMITS[key]);
  return { memory_mb: pick('memory_mb'), timeout_ms: pick('timeout_ms'), max_pending: pick('max_pending') };
}
