import type { FieldError } from '@app/common';
import { allowedHosts, capabilityOf, type Permission } from '@app/plugin-sdk';
import { effectiveGrants } from '@app/runtime';

/**
 * The grants of a new installation: what the caller consents to, every one of which the manifest must request
 * (hosts of `http:external` included); omitted, everything requested. Errors name each grant that was not
 * requested (`grants.<i>`).
 */
export function grantsAtInstall(
  requested: readonly Permission[],
  given: readonly Permission[] | undefined,
  field = 'grants',
): { grants: Permission[]; errors: FieldError[] } {
  if (given === undefined) return { grants: normalise(requested), errors: [] };
  const errors = notRequestedGrants(requested, given, field);
  return { grants: errors.length ? [] : normalise(given), errors };
}

/**
 * One error per grant in `given` that `requested` does not cover (`<field>.<i>`): a capability the manifest does
 * not request, or hosts of `http:external` beyond the requested ones. At install and when the owner grants more.
 */
export function notRequestedGrants(
  requested: readonly Permission[],
  given: readonly Permission[],
  field: string,
): FieldError[] {
  const capabilities = new Set(requested.map(capabilityOf));
  const hosts = new Set(allowedHosts(requested));
  const errors: FieldError[] = [];
  given.forEach((permission, i) => {
    const capability = capabilityOf(permission);
    if (!capabilities.has(capability)) {
      errors.push({ field: `${field}.${i}`, message: `${capability} is not requested by the plugin` });
    } else if (typeof permission !== 'string') {
      const extra = permission.hosts.filter((h) => !hosts.has(h));
      if (extra.length) errors.push({ field: `${field}.${i}`, message: `hosts not requested: ${extra.join(', ')}` });
    }
  });
  return errors;
}

/**
 * Grants across a version change: what was granted and the new version still requests stays granted; what the
 * new version requests beyond the old one's requests (a capability, or a host) is left ungranted and listed as
 * pending, for the owner to grant (permissions module). Something the old version requested but the owner did not
 * grant stays ungranted, and is not pending either: the owner already decided. Custom scopes (`read:data`) follow
 * the same rules as capabilities (the `Permission` type carries them as strings, as the grant DTO does).
 */
export function grantsAcrossVersions(
  granted: readonly Permission[],
  oldRequested: readonly Permission[],
  newRequested: readonly Permission[],
): { grants: Permission[]; pending: Permission[] } {
  // Capabilities and custom scopes (`read:data`) alike: granted and still requested stays granted.
  const grants = normalise(effectiveGrants(newRequested, granted) as Permission[]);
  const oldCapabilities = new Set(oldRequested.map(capabilityOf));
  const oldHosts = new Set(allowedHosts(oldRequested));
  const pending: Permission[] = [];
  for (const permission of newRequested) {
    if (typeof permission === 'string') {
      if (!oldCapabilities.has(permission)) pending.push(permission);
    } else {
      const hosts = oldCapabilities.has('http:external')
        ? permission.hosts.filter((h) => !oldHosts.has(h))
        : permission.hosts;
      if (hosts.length) pending.push({ capability: 'http:external', hosts });
    }
  }
  return { grants, pending: normalise(pending) };
}

/** One entry per capability, hosts merged and sorted, in the catalogue's order of first appearance. */
export function normalise(permissions: readonly Permission[]): Permission[] {
  const out: Permission[] = [];
  const seen = new Set<string>();
  let http: { capability: 'http:external'; hosts: string[] } | null = null;
  for (const permission of permissions) {
    if (typeof permission === 'string') {
      if (!seen.has(permission)) out.push(permission);
      seen.add(permission);
    } else if (http) {
      http.hosts = [...new Set([...http.hosts, ...permission.hosts])].sort();
    } else {
      http = { capability: 'http:external', hosts: [...new Set(permission.hosts)].sort() };
      out.push(http);
    }
  }
  return out;
}
