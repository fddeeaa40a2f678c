import type { FieldError } from '@app/common';
import {
  allowedHosts,
  CAPABILITY_CATALOGUE,
  capabilityOf,
  type Capability,
  type HttpExternalPermission,
  type Permission,
  RISK_LEVELS,
  type RiskLevel,
} from '@app/plugin-sdk';
import type { ResolvedLimits } from '@app/runtime';
import { normalise, notRequestedGrants } from '../installation/grants.js';
import type { InstallationLimits, PermissionsChange } from '../installation/installation.entity.js';
import { LIMIT_KEYS, type LimitKey } from './permissions.entity.js';

/** One entry of a revoke list: a capability by name (`http:external` drops every host), or some hosts of it. */
export type Revocation = Capability | HttpExternalPermission;

/** The body of PUT …/permissions/, as the validation pipe lets it through. */
export interface PermissionsRequest {
  grant?: Permission[];
  revoke?: Revocation[];
  security_level?: RiskLevel;
  /** A number grants that limit, null goes back to the platform default. */
  resource_limits?: Partial<Record<LimitKey, number | null>>;
}

/** What a change is checked against: what the installed version requests, and what it holds now. */
export interface PermissionsState extends PermissionsChange {
  requested: Permission[];
}

export type PermissionsRefusal =
  'grant_not_requested' | 'granted_and_revoked' | 'above_platform_maximum' | 'above_security_level';

export type PermissionsPlan =
  | { ok: true; change: PermissionsChange; changed: boolean }
  | { ok: false; reason: PermissionsRefusal; errors: FieldError[] };

const RISK: ReadonlyMap<Capability, RiskLevel> = new Map(CAPABILITY_CATALOGUE.map((c) => [c.id, c.risk]));
const rank = (level: RiskLevel): number => RISK_LEVELS.indexOf(level);

/** The security level an installation without one has: no ceiling. */
export const NO_CEILING: RiskLevel = 'high';

/**
 * Plans a PUT …/permissions/: `grant` adds capabilities (each requested by the installed version, hosts of
 * `http:external` included), `revoke` removes them (revoking what is not granted changes nothing), a granted or
 * revoked entry leaves `pendingGrants`; `security_level` is the riskiest capability the installation may hold
 * (a grant above it is refused, and so is lowering it below a capability it keeps); `resource_limits` grants
 * limits up to the platform maximums (`null`: back to the default). Refusals, in this order, each list every field
 * of their kind: grant_not_requested, granted_and_revoked, above_platform_maximum, above_security_level.
 */
export function planPermissions(
  state: PermissionsState,
  body: PermissionsRequest,
  maximums: ResolvedLimits,
): PermissionsPlan {
  const grant = body.grant ?? [];
  const revoke = body.revoke ?? [];

  const notRequested = notRequestedGrants(state.requested, grant, 'grant');
  if (notRequested.length) return { ok: false, reason: 'grant_not_requested', errors: notRequested };

  const both = conflicts(grant, revoke);
  if (both.length) return { ok: false, reason: 'granted_and_revoked', errors: both };

  const limits = nextLimits(state.limits, body.resource_limits);
  const tooHigh = LIMIT_KEYS.filter((key) => (limits?.[key] ?? 0) > maximums[key]).map((key) => ({
    field: `resource_limits.${key}`,
    message: `must be at most ${maximums[key]}`,
  }));
  if (tooHigh.length) return { ok: false, reason: 'above_platform_maximum', errors: tooHigh };

  const grants = withoutRevoked(normalise([...state.grants, ...grant]), revoke);
  const securityLevel = body.security_level ?? state.securityLevel;
  if (securityLevel !== null) {
    const above = aboveLevel(grants, grant, securityLevel);
    if (above.length) return { ok: false, reason: 'above_security_level', errors: above };
  }
  const pendingGrants = withoutRevoked(withoutRevoked(state.pendingGrants, grant), revoke);
  const change: PermissionsChange = { grants, pendingGrants, limits, securityLevel };
  const before: PermissionsChange = {
    grants: state.grants,
    pendingGrants: state.pendingGrants,
    limits: state.limits,
    securityLevel: state.securityLevel,
  };
  return { ok: true, change, changed: JSON.stringify(change) !== JSON.stringify(before) };
}

/** What the installed version requests that is not granted (hosts of `http:external` one by one). */
export function deniedOf(requested: readonly Permission[], granted: readonly Permission[]): Permission[] {
  return withoutRevoked(normalise(requested), granted);
}

function conflicts(grant: readonly Permission[], revoke: readonly Revocation[]): FieldError[] {
  const granted = new Set(grant.map(capabilityOf));
  const grantedHosts = new Set(allowedHosts(grant));
  const errors: FieldError[] = [];
  revoke.forEach((entry, i) => {
    const hit = typeof entry === 'string' ? granted.has(entry) : entry.hosts.some((h) => grantedHosts.has(h));
    if (hit) errors.push({ field: `revoke.${i}`, message: 'is granted by the same request' });
  });
  return errors;
}

/** `permissions` without what `removed` names: a capability by name, or hosts of `http:external`. */
function withoutRevoked(permissions: readonly Permission[], removed: readonly Revocation[]): Permission[] {
  const names = new Set<Capability>(removed.filter((r) => typeof r === 'string'));
  const hosts = new Set(removed.flatMap((r) => (typeof r === 'string' ? [] : r.hosts)));
  const out: Permission[] = [];
  for (const permission of permissions) {
    if (typeof permission === 'string') {
      if (!names.has(permission)) out.push(permission);
      continue;
    }
    if (names.has('http:external')) continue;
    const left = permission.hosts.filter((h) => !hosts.has(h));
    if (left.length) out.push({ capability: 'http:external', hosts: left });
  }
  return out;
}

function nextLimits(
  current: InstallationLimits | null,
  given: PermissionsRequest['resource_limits'],
): InstallationLimits | null {
  if (!given) return current;
  const next: InstallationLimits = { ...current };
  for (const key of LIMIT_KEYS) {
    const value = given[key];
    if (value === null) delete next[key];
    else if (value !== undefined) next[key] = value;
  }
  return Object.keys(next).length ? next : null;
}

/** Granted capabilities riskier than `level`: on the grant that adds one, else on `security_level`. */
function aboveLevel(grants: readonly Permission[], grant: readonly Permission[], level: RiskLevel): FieldError[] {
  const over = (permission: Permission) => rank(RISK.get(capabilityOf(permission)) ?? 'high') > rank(level);
  const errors: FieldError[] = [];
  const added = new Set<Capability>();
  grant.forEach((permission, i) => {
    if (!over(permission)) return;
    added.add(capabilityOf(permission));
    errors.push({
      field: `grant.${i}`,
      message: `${capabilityOf(permission)} is riskier than security level ${level}`,
    });
  });
  const kept = grants.filter((p) => over(p) && !added.has(capabilityOf(p))).map(capabilityOf);
  if (kept.length) {
    errors.push({
      field: 'security_level',
      message: `${level} is below granted ${kept.join(', ')}: revoke them in the same request`,
    });
  }
  return errors;
}
