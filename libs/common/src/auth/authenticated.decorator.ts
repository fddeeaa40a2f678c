import { applyDecorators, createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension, ApiSecurity } from '@nestjs/swagger';
import type { PlatformRole } from './roles.js';

export const AUTH_METADATA = 'plughub:auth';

export interface AuthRequirement {
  /** No credentials needed (token issuance, health, version). */
  public?: boolean;
  /** The caller needs at least one of these platform roles (admin always passes). */
  roles?: PlatformRole[];
}

/**
 * Declares a route's access rule and its OpenAPI security in one place, so the two cannot drift.
 * Routes without it are still authenticated: the global guard is secure by default.
 */
export function Authenticated(requirement: Omit<AuthRequirement, 'public'> = {}) {
  return applyDecorators(
    SetMetadata(AUTH_METADATA, requirement),
    ApiBearerAuth('bearerAuth'),
    ApiSecurity('tokenAuth'),
    ...(requirement.roles?.length ? [ApiExtension('x-required-roles', requirement.roles)] : []),
  );
}

/** A route anyone may call. */
export function Public() {
  return applyDecorators(
    SetMetadata(AUTH_METADATA, { public: true } satisfies AuthRequirement),
    ApiExtension('x-public', true),
  );
}

/** The authenticated caller (`AuthUser`), injected into a handler parameter. */
export const CurrentUser = createParamDecorator((_data: unknown, ctx: ExecutionContext) => {
  return ctx.switchToHttp().getRequest<{ user?: unknown }>().user;
});
