import type { Capability } from './capabilities.js';
import type { Permission } from './manifest.types.js';

/** The capability a permission entry stands for. */
export function capabilityOf(permission: Permission): Capability {
  return typeof permission === 'string' ? permission : permission.capability;
}

export function hasCapability(permissions: readonly Permission[], capability: Capability): boolean {
  return permissions.some((p) => capabilityOf(p) === capability);
}

/** Hosts listed in the `http:external` entries of a permission list. */
export function allowedHosts(permissions: readonly Permission[]): string[] {
  return permissions.flatMap((p) => (typeof p === 'string' ? [] : p.hosts));
}

/**
 * Whether `url` may be fetched under the given host grants. `example.com` allows any port of that host,
 * `example.com:8443` only that port, `*.example.com` any subdomain (not the apex). Only http and https.
 */
export function isUrlAllowed(url: string, hosts: readonly string[]): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return false;
  if (parsed.username || parsed.password) return false;
  const hostname = parsed.hostname.toLowerCase();
  const port = parsed.port || (parsed.protocol === 'https:' ? '443' : '80');
  return hosts.some((entry) => {
    const [pattern, grantPort] = splitHost(entry.toLowerCase());
    if (grantPort !== undefined && grantPort !== port) return false;
    if (pattern.startsWith('*.')) return hostname.endsWith(pattern.slice(1)) && hostname.length > pattern.length - 1;
    return hostname === pattern;
  });
}

function splitHost(entry: string): [string, string | undefined] {
  const i = entry.lastIndexOf(':');
  return i === -1 ? [entry, undefined] : [entry.slice(0, i), entry.slice(i + 1)];
}

/**
 * Whether an event type matches a subscription from `events.subscribes`: `*` matches everything, `user.*` matches
 * `user.login` and `user.profile.updated` (not `user` itself), anything else must be equal.
 */
export function matchesEventType(subscription: string, type: string): boolean {
  if (subscription === '*') return true;
  if (subscription.endsWith('.*')) return type.startsWith(subscription.slice(0, -1));
  return subscription === type;
}
