import { type AuthRequirement, type AuthUser, hasRole, type PlatformRole } from '@app/common';
import { MissingRoleError, ReadOnlyTokenError, TokenLacksAdminScopeError } from './auth.errors.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * What an authenticated caller may call, given the route's requirement: one of its roles (admin passes all), and,
 * for an API token with scopes, `write` for any unsafe method and `admin` on top for admin-only routes. A token
 * without scopes, and a JWT, carry all of the user's rights. Throws the named error of the first rule broken.
 */
export function assertAccess(
  user: Pick<AuthUser, 'roles' | 'scopes'>,
  method: string,
  requirement: AuthRequirement,
): void {
  if (requirement.roles?.length && !requirement.roles.some((role) => hasRole(user, role))) {
    throw new MissingRoleError(requirement.roles);
  }
  if (user.scopes) {
    if (!SAFE_METHODS.has(method.toUpperCase()) && !user.scopes.includes('write')) throw new ReadOnlyTokenError();
    if (requirement.roles?.includes('admin') && !user.scopes.includes('admin')) throw new TokenLacksAdminScopeError();
  }
}

/**
 * The platform roles a caller acts with: the user's, less `admin` when an API token has scopes without `admin`.
 * Such a token acts as the same user without the platform-admin role: their other roles stay (an admin's
 * `read, write` token keeps none, since `admin` was the role that implied the others), so no rule in any module
 * (`hasRole`, AccessService, the registry's visibility) can treat it as an admin.
 */
export function effectiveRoles(roles: readonly PlatformRole[], scopes: readonly string[] | null): PlatformRole[] {
  if (scopes === null || scopes.includes('admin')) return [...roles];
  const kept = roles.filter((r) => r !== 'admin');
  return kept.length ? kept : ['user'];
}

/**
 * The caller as every handler and service sees it: built once, by the guard, after the route's requirement was
 * checked against the account's own roles (so an admin route names the missing `admin` scope, not a role).
 */
export function effectiveCaller(user: AuthUser): AuthUser {
  const roles = effectiveRoles(user.roles, user.scopes);
  return roles.length === user.roles.length && roles.every((r, i) => r === user.roles[i]) ? user : { ...user, roles };
}

/** A token can never hold more than the token that created it: a scoped caller needs a non-empty subset. */
export function scopesWithin(requested: readonly string[], creator: readonly string[] | null): boolean {
  if (creator === null) return true;
  return requested.length > 0 && requested.every((s) => creator.includes(s));
}
