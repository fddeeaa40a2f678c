import { CAPABILITY_NAMESPACES, isCapability, type Capability } from './capabilities.js';
import type { CustomScope, Permission, PermissionEntry } from './manifest.types.js';

/**
 * A custom scope: `resource:action`, lower-case, each part starting with a letter (`[a-z][a-z0-9_-]*`), the action
 * may be `*`; at most CUSTOM_SCOPE_MAX_LENGTH characters. The resource may not be a capability namespace (`log`,
 * `config`, `storage`, ...): `storage:raed` is a misspelt capability, not a scope.
 */
export const CUSTOM_SCOPE_PATTERN = `^(?!(?:${CAPABILITY_NAMESPACES.join('|')}):)[a-z][a-z0-9_-]*:(?:\\*|[a-z][a-z0-9_-]*)$`;
export const CUSTOM_SCOPE_MAX_LENGTH = 64;
const customScope = new RegExp(CUSTOM_SCOPE_PATTERN);

export function isCustomScope(value: unknown): value is CustomScope {
  return typeof value === 'string' && value.length <= CUSTOM_SCOPE_MAX_LENGTH && customScope.test(value);
}

/** The capability a permission entry stands for. */
export function capabilityOf(permission: Permission): Capability {
  return typeof permission === 'string' ? permission : permission.capability;
}

/** What an entry is called in grants and in `context.grants`: the capability id, or the custom scope itself. */
export function permissionId(entry: PermissionEntry): string {
  return typeof entry === 'string' ? entry : entry.capability;
}

/**
 * Capabilities (what the host enforces) and custom scopes (what it only records and shows), in their order.
 * Strings that are neither (invalid in a validated manifest) are left out of both.
 */
export function splitPermissions(list: readonly PermissionEntry[]): {
  capabilities: Permission[];
  customScopes: CustomScope[];
} {
  const capabilities: Permission[] = [];
  const customScopes: CustomScope[] = [];
  for (const entry of list) {
    if (typeof entry !== 'string') {
      if (entry?.capability === 'http:external') capabilities.push(entry);
    } else if (isCapability(entry)) {
      if (entry !== 'http:external') capabilities.push(entry);
    } else if (isCustomScope(entry)) customScopes.push(entry);
  }
  return { capabilities, customScopes };
}

export function hasCapability(permissions: readonly PermissionEntry[], capability: Capability): boolean {
  return permissions.some((p) => permissionId(p) === capability);
}

/** Hosts listed in the `http:external` entries of a permission list. */
export function allowedHosts(permissions: readonly PermissionEntry[]): string[] {
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
