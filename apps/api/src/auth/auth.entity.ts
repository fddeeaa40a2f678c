import type { AuthUser, OrgRole, PlatformRole, TokenScope } from '@app/common';

export type { AuthUser };

export interface ApiToken {
  id: string;
  userId: string;
  name: string;
  keyPrefix: string;
  scopes: TokenScope[];
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
}

export interface NewApiToken {
  userId: string;
  name: string;
  keyHash: string;
  keyPrefix: string;
  scopes: TokenScope[];
  expiresAt: Date | null;
}

export interface JwtClaims {
  sub: string;
  /** The user's token version when it was issued; a password change raises it and ends this JWT. */
  ver?: number;
  /** Issued at (seconds), set by the signer. */
  iat?: number;
  /** Expires at (seconds), set by the signer from PLUGHUB_JWT_TTL. */
  exp?: number;
}

/** One fixed window of a failed-login counter. */
export interface FailureWindow {
  count: number;
  resetAt: Date;
}

/**
 * Who is calling, with what every access rule needs: platform roles and the role in each organisation. Resolved
 * once per request by AccessService.
 */
export interface Viewer {
  id: string;
  roles: PlatformRole[];
  isAdmin: boolean;
  /** Organisation id → the viewer's role in it. */
  orgRoles: ReadonlyMap<string, OrgRole>;
}

/**
 * What a rule is about: one user's things, one organisation's, or the instance's (global installations, system
 * plugins). The §4 `scope`/`org` query parameters name one; AccessService.resolveTarget turns them into it.
 */
export type AccessTarget = { kind: 'user'; id: string } | { kind: 'org'; id: string } | { kind: 'global' };

/**
 * - `read`: see it (a user's own things, an org's members, anything global).
 * - `manage`: change it (the user themself, an org's owners and admins, platform admins for global).
 * - `own`: the strongest rights: make or remove org owners (an org's owners); otherwise as `manage`.
 * Platform admins may do all three on every target.
 */
export type AccessAction = 'read' | 'manage' | 'own';

export const TARGET_SCOPES = ['user', 'org', 'global'] as const;
export type TargetScope = (typeof TARGET_SCOPES)[number];

/** An organisation as access rules see it. */
export interface OrgRef {
  id: string;
  slug: string;
}

/** A resolved target, with the organisation when it is one. */
export type ResolvedTarget =
  { kind: 'user'; id: string } | { kind: 'org'; id: string; org: OrgRef } | { kind: 'global' };
