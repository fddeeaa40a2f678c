import { type AuthRequirement, type AuthUser, hasRole } from '@app/common';
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

/** A token can never hold more than the token that created it: a scoped caller needs a non-empty subset. */
export function scopesWithin(requested: readonly string[], creator: readonly string[] | null): boolean {
  if (creator === null) return true;
  return requested.length > 0 && requested.every((s) => creator.includes(s));
}
