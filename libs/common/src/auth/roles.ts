/** Platform-wide roles. `admin` implies every other role. */
export const PLATFORM_ROLES = ['admin', 'reviewer', 'publisher', 'user'] as const;
export type PlatformRole = (typeof PLATFORM_ROLES)[number];

/** Roles inside an organisation, strongest first. */
export const ORG_ROLES = ['owner', 'admin', 'member'] as const;
export type OrgRole = (typeof ORG_ROLES)[number];

/**
 * API token scopes. A token without scopes acts with all of its user's rights; `read` limits it to
 * safe methods (GET, HEAD); `write` allows changes; `admin` is needed on top for admin-only routes.
 */
export const TOKEN_SCOPES = ['read', 'write', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** Who is calling, as every guarded handler sees it. */
export interface AuthUser {
  id: string;
  email: string;
  name: string;
  roles: PlatformRole[];
  /** How the caller authenticated. */
  method: 'jwt' | 'token';
  /** Scopes of the API token used, or null for JWT (full rights). */
  scopes: TokenScope[] | null;
  tokenId?: string;
}

export function hasRole(user: Pick<AuthUser, 'roles'>, role: PlatformRole): boolean {
  return user.roles.includes('admin') || user.roles.includes(role);
}
